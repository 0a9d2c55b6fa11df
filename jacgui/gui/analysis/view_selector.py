"""The small toolbar above the heatmap that picks its view, and the σ_j table behind it."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6 import QtCore, QtWidgets

from jacgui.core.analysis.scales import check_scales, read_scales
from jacgui.core.errors import JacguiError

from ..state import WindowState
from .view_heatmap import VIEWS, ViewHeatmap

__all__ = ["ScalesDialog", "ViewSelector", "ViewValueBox"]


class ScalesDialog(QtWidgets.QDialog):
    """A table of per-input scales σ_j, typed or loaded from a .csv/.json file."""

    def __init__(self, labels: tuple[str, ...], values: np.ndarray, dialogs: Any,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Per-input scales σ_j")
        self._labels, self._dialogs = labels, dialogs
        note = QtWidgets.QLabel("The scaled view shows σ_j·∂f_i/∂x_j: the change of each output "
                                "for a typical change σ_j of each input (e.g. one standard "
                                "deviation), so inputs in different units can be compared.")
        note.setWordWrap(True)
        self.table = QtWidgets.QTableWidget(len(labels), 1, self)
        self.table.setHorizontalHeaderLabels(["σ_j"])
        self.table.setVerticalHeaderLabels(list(labels))
        self.table.horizontalHeader().setStretchLastSection(True)
        self.set_values(values)
        load = QtWidgets.QPushButton("Load from file…")
        load.setToolTip("CSV rows label,sigma (or one number per row) or JSON {label: sigma}")
        load.clicked.connect(self._on_load)
        self.error = QtWidgets.QLabel()
        self.error.setStyleSheet("color: #c0392b")
        self.error.setWordWrap(True)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        layout.addWidget(load, 0, QtCore.Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(380, 420)

    def set_values(self, values: np.ndarray) -> None:
        """Fill the table."""
        for row, value in enumerate(np.asarray(values, dtype=float).reshape(-1)):
            self.table.setItem(row, 0, QtWidgets.QTableWidgetItem(f"{value:.6g}"))

    def values(self) -> np.ndarray:
        """The typed scales; raises :class:`JacguiError` naming the first bad cell."""
        out = []
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            try:
                out.append(float(item.text() if item else ""))
            except ValueError:
                raise JacguiError(f"σ of {self._labels[row]} is not a number") from None
        return check_scales(out, len(self._labels))

    def load_file(self, path: str) -> bool:
        """Fill the table from a scales file; False (and a message) on error."""
        try:
            self.set_values(read_scales(path, self._labels))
        except JacguiError as exc:
            self.error.setText(str(exc))
            return False
        self.error.setText("")
        return True

    def accept(self) -> None:
        """Close only when every typed scale is valid."""
        try:
            self.values()
        except JacguiError as exc:
            self.error.setText(str(exc))
            return
        super().accept()

    @QtCore.Slot()
    def _on_load(self) -> None:
        path = self._dialogs.open_file(self, "Load scales", "", "Scales (*.csv *.json)")
        if path:
            self.load_file(path)


class ViewSelector(QtWidgets.QWidget):
    """A combo box of :data:`VIEWS` and a σ_j button, writing ``state.view``.

    Parameters
    ----------
    state : WindowState
    dialogs : Dialogs, optional
        For loading a scales file.
    parent : QWidget, optional
    """

    def __init__(self, state: WindowState, dialogs: Any = None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._state, self._dialogs = state, dialogs
        self.combo = QtWidgets.QComboBox()
        for key, (text, _) in VIEWS.items():
            self.combo.addItem(text, key)
        self.combo.setToolTip("What the heatmap shows; hover and the Cell panel name the view")
        self.scales_button = QtWidgets.QPushButton("σ_j…")
        self.scales_button.setToolTip("Set the per-input scales of the scaled view")
        self.scales_button.clicked.connect(self.edit_scales)
        self.scales_dialog: ScalesDialog | None = None
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(QtWidgets.QLabel("View:"))
        layout.addWidget(self.combo)
        layout.addWidget(self.scales_button)
        layout.addStretch(1)
        self.combo.currentIndexChanged.connect(self._on_combo)
        state.view_changed.connect(self._show)
        state.model_changed.connect(self._show)
        self._show()

    def set_view(self, key: str) -> None:
        """Select ``key`` as if picked in the combo box."""
        self.combo.setCurrentIndex(self.combo.findData(key))

    def set_scales(self, scales: Any) -> None:
        """Use ``scales`` (one per input) and show the scaled view."""
        self._state.set_view(key="scaled", scales=np.asarray(scales, dtype=float).reshape(-1))

    @QtCore.Slot()
    def edit_scales(self) -> None:
        """Open the σ_j table (non-blocking); OK applies it and shows the scaled view."""
        result = self._state.result
        if result is None:
            self._state.inform("No Jacobian yet: nothing to scale")
            self._show()
            return
        current = self._state.view.scales
        labels = result.input_labels
        if current is None or current.size != len(labels):
            current = np.ones(len(labels))
        dialog = ScalesDialog(labels, current, self._dialogs, self)
        dialog.accepted.connect(self._on_scales_accepted)
        dialog.rejected.connect(self._show)
        self.scales_dialog = dialog
        dialog.open()

    @QtCore.Slot()
    def _on_scales_accepted(self) -> None:
        if self.scales_dialog is not None:
            self.set_scales(self.scales_dialog.values())

    @QtCore.Slot(int)
    def _on_combo(self, _index: int) -> None:
        key = self.combo.currentData()
        state = self._state
        if key == state.view.key:
            return
        scales, result = state.view.scales, state.result
        if key == "scaled" and (scales is None or result is None
                                or scales.size != len(result.input_labels)):
            self.edit_scales()  # shows the view when accepted
            return
        state.set_view(key=key)

    @QtCore.Slot()
    def _show(self) -> None:
        key = self._state.view.key
        if self.combo.currentData() != key:
            self.combo.blockSignals(True)
            self.combo.setCurrentIndex(self.combo.findData(key))
            self.combo.blockSignals(False)


class ViewValueBox(QtWidgets.QLabel):
    """One line under the cell inspector: the selected cell's value in the heatmap's view."""

    def __init__(self, state: WindowState, heatmap: ViewHeatmap,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._state, self._heatmap = state, heatmap
        self.setWordWrap(True)
        self.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setContentsMargins(9, 0, 9, 6)
        state.cell_changed.connect(self.refresh)
        state.view_changed.connect(self.refresh)
        state.result_changed.connect(self.refresh)
        state.model_changed.connect(self.refresh)
        self.refresh()

    @QtCore.Slot()
    def refresh(self, *_: object) -> None:
        """Show the selected cell in the current view (nothing for the raw view)."""
        cell = self._state.cell
        derived = self._heatmap.derived()
        if cell is None or derived is None or derived.key == "raw":
            self.setText("")
            self.setVisible(False)
            return
        try:
            name, value, note = self._heatmap.view_value(*cell)
        except IndexError:
            self.setVisible(False)
            return
        shown = f"{value:.6g}" if np.isfinite(value) else "— (masked)" if note else "no data"
        text = f"<b>Heatmap view</b>: {VIEWS[derived.key][0]}<br>{name} = <tt>{shown}</tt>"
        scales = self._state.view.scales
        if derived.key == "scaled" and scales is not None:
            text += f"<br>σ_j = <tt>{scales[cell[1]]:.6g}</tt>"
        if note:
            text += f"<br><span style='color:#a35f00'>{note}</span>"
        self.setText(text)
        self.setVisible(True)
