"""What the loaded model takes and gives, and which input/output pair is differentiated.

A view of :class:`~jacgui.gui.state.WindowState`: it shows ``state.model`` and writes the
chosen input and output back with ``state.select``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from jacgui.core.spec import TensorInfo

from .state import WindowState

_INT_TIP = "Integer input: it cannot be differentiated (its value is still used by the model)"


class ModelPanel(QWidget):
    """Lists inputs and outputs and lets the user pick the pair to differentiate.

    Parameters
    ----------
    state : WindowState
    parent : QWidget, optional
    """

    def __init__(self, state: WindowState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self.title = QLabel("No model", self)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.details = QLabel("", self)
        self.details.setWordWrap(True)
        self.details.setStyleSheet("color: palette(mid);")
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Name", "Shape", "Dtype"])
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(8)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.input_combo = QComboBox(self)
        self.input_combo.setToolTip("The input x in ∂f/∂x (the heatmap's columns)")
        self.output_combo = QComboBox(self)
        self.output_combo.setToolTip("The output f in ∂f/∂x (the heatmap's rows)")
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Output (rows)", self.output_combo)
        form.addRow("w.r.t. input (cols)", self.input_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.details)
        layout.addWidget(self.tree)
        layout.addLayout(form)
        self.input_combo.currentIndexChanged.connect(self._on_combo)
        self.output_combo.currentIndexChanged.connect(self._on_combo)
        state.model_changed.connect(self._on_model_changed)
        state.selection_changed.connect(self._on_selection_changed)
        self._on_model_changed()

    @Slot()
    def _on_model_changed(self) -> None:
        model = self._state.model
        self.tree.clear()
        for combo in (self.input_combo, self.output_combo):
            combo.blockSignals(True)
            combo.clear()
        if model is None:
            self.title.setText("No model")
            self.details.setText("")
        else:
            self.title.setText(Path(self._state.model_path or model.path).name)
            self.title.setToolTip(self._state.model_path or model.path)
            parts = [model.format]
            if model.param_count is not None:
                parts.append(f"{model.param_count:,} parameters")
            parts.append(f"default point: {model.point_source}")
            self.details.setText(" · ".join(parts) + "".join(f"\n{n}" for n in model.notes))
            self._fill(model)
        self._show_selection()
        for combo in (self.input_combo, self.output_combo):
            combo.blockSignals(False)
        self._fit_tree()

    @Slot()
    def _on_selection_changed(self) -> None:
        for combo in (self.input_combo, self.output_combo):
            combo.blockSignals(True)
        self._show_selection()
        for combo in (self.input_combo, self.output_combo):
            combo.blockSignals(False)

    def _show_selection(self) -> None:
        self.input_combo.setCurrentIndex(self.input_combo.findData(self._state.input_name))
        self.output_combo.setCurrentIndex(self.output_combo.findData(self._state.output_name))

    def selection(self) -> tuple[str | None, str | None]:
        """The selected (input name, output name)."""
        return (self.input_combo.currentData(), self.output_combo.currentData())

    def _fit_tree(self) -> None:
        # As tall as its rows (up to 8), so that a two-tensor model wastes no space.
        rows = min(max(self.tree.topLevelItemCount(), 1), 8)
        row_height = self.tree.sizeHintForRow(0) if self.tree.topLevelItemCount() else 20
        height = self.tree.header().sizeHint().height() + rows * max(row_height, 18) + 6
        self.tree.setFixedHeight(height)

    def _fill(self, model: object) -> None:
        for kind, specs in (("in", model.inputs), ("out", model.outputs)):
            for spec in specs:
                item = QTreeWidgetItem([f"{kind}: {spec.name}", _shape(spec), spec.dtype])
                if kind == "in" and not spec.is_float:
                    for column in range(3):
                        item.setToolTip(column, _INT_TIP)
                        item.setForeground(column, self.palette().mid())
                self.tree.addTopLevelItem(item)
        inputs = QStandardItemModel(self.input_combo)
        for spec in model.inputs:
            item = QStandardItem(f"{spec.name}  {_shape(spec)}")
            item.setData(spec.name, Qt.ItemDataRole.UserRole)
            if not spec.is_float:
                item.setEnabled(False)
                item.setToolTip(_INT_TIP)
            inputs.appendRow(item)
        self.input_combo.setModel(inputs)
        for spec in model.outputs:
            self.output_combo.addItem(f"{spec.name}  {_shape(spec)}", spec.name)

    @Slot()
    def _on_combo(self) -> None:
        self._state.select(self.input_combo.currentData(), self.output_combo.currentData())


def _shape(spec: TensorInfo) -> str:
    return "×".join(str(d) for d in spec.shape) if spec.shape else "scalar"
