"""Editor of the input point: a label | value table, a slider, an image preview and bulk actions.

Typed values are kept per model file and input; loading another model, a failed load or a
recompute never resets them, and every bulk change (load, paste, reset, randomise) can be undone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QSpinBox, QTableView, QToolButton,
    QVBoxLayout, QWidget,
)

from jacgui.core.errors import JacguiError
from jacgui.core.handle import ModelHandle
from jacgui.core.spec import TensorInfo

from .dialogs import Dialogs
from .point_actions import PointFileActions
from .point_bulk import UNDO_DEPTH, PointBulkActions
from .point_model import PointTableModel, array_pixmap
from .point_slider import ValueSlider


class PointEditor(PointFileActions, PointBulkActions, QWidget):
    """Edits the value of every input of the loaded model, one input at a time.

    Signals
    -------
    point_changed(object)
        The edited input's new value (an ndarray shaped like the input).
    message(str)
        A one-line notice for the status bar (a refused value, a failed load).
    """

    point_changed = Signal(object)
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dialogs = Dialogs()
        self.last_dir = str(Path.home())
        self._model: ModelHandle | None = None
        self._points: dict[str, np.ndarray] = {}
        self._memory: dict[tuple[str, str, tuple[int, ...]], np.ndarray] = {}
        self._input: str | None = None
        self._undo: list[tuple[str, np.ndarray]] = []
        self._slider_row = -1
        self._live = False
        self._build()

    # -- construction -------------------------------------------------------------------------
    def _build(self) -> None:
        self.table_model = PointTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.table_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setAlternatingRowColors(True)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table_model.value_edited.connect(self._on_value_edited)
        self.table_model.rejected.connect(self._on_rejected)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)

        self.image = QLabel(self)
        self.image.setFixedSize(112, 112)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setToolTip("The input as an image (scaled to its own min..max)")
        self.image.hide()

        self.load_action = self._action("Load…", "Load the point from .npy/.npz/.csv/.json (or an image)", self.load_point)
        self.save_action = self._action("Save…", "Save this point as .npy/.npz/.csv/.json", self.save_point)
        self.paste_action = self._action("Paste", "Paste values from the clipboard (numbers separated by commas, spaces or new lines)", self.paste_point)
        self.reset_action = self._action("Reset", "Reset this input to the model's default point", self.reset_point)
        self.random_action = self._action("Randomise", "", self.randomise_point)
        self.undo_action = self._action("Undo", "Undo the last change to the point", self.undo)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.seed = QSpinBox(self)
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setPrefix("seed ")
        self.seed.setMaximumWidth(110)
        self.seed.setToolTip("Random seed used by Randomise (same seed, same point)")

        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        for action in (self.load_action, self.save_action, self.paste_action, self.reset_action):
            buttons.addWidget(self._button(action))
        buttons.addStretch(1)
        random_row = QHBoxLayout()
        random_row.setSpacing(2)
        random_row.addWidget(self._button(self.random_action))
        random_row.addWidget(self.seed)
        random_row.addStretch(1)
        random_row.addWidget(self._button(self.undo_action))

        self.value_slider = ValueSlider(self)
        self.slider, self.slider_label = self.value_slider.slider, self.value_slider.label
        self.value_slider.pressed.connect(self._push_undo)
        self.value_slider.moved.connect(self._on_slider)

        table_row = QHBoxLayout()
        table_row.addWidget(self.table, 1)
        table_row.addWidget(self.image, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addLayout(random_row)
        layout.addLayout(table_row, 1)
        layout.addWidget(self.value_slider)
        self._update_enabled()

    def _action(self, text: str, tip: str, slot: object) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _button(self, action: QAction) -> QToolButton:
        button = QToolButton(self)
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return button

    # -- public API ---------------------------------------------------------------------------
    def set_model(self, model: ModelHandle | None) -> None:
        """Edit the inputs of ``model``; values typed for it earlier come back if shapes match."""
        self._remember()
        self._model = model
        self._points = {}
        if model is not None:
            for spec in model.inputs:
                key = (model.path, spec.name, spec.shape)
                default = self._default(spec)
                self._points[spec.name] = self._memory.get(key, default).copy()
        first = next((s.name for s in model.inputs if s.is_float), model.inputs[0].name) if model and model.inputs else None
        self._input = None
        self.set_input(first)

    def set_input(self, name: str | None) -> None:
        """Show input ``name`` in the table."""
        if self._input is not None and self._input in self._points:
            self._points[self._input] = self._current_values()
        self._input = name
        spec = self._spec()
        values = self._points.get(name, np.zeros(0)) if name else np.zeros(0)
        default = self._default(spec) if spec is not None else np.zeros(0)
        self.table_model.set_input(spec, values, default)
        self._slider_row = -1
        if spec is not None and spec.size:
            self.table.selectionModel().setCurrentIndex(
                self.table_model.index(0, 1),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
        self._update_image()
        self._update_enabled()

    def is_live_change(self) -> bool:
        """True while ``point_changed`` reports a slider move (listeners may update live)."""
        return self._live

    def input_name(self) -> str | None:
        """The input shown in the table."""
        return self._input

    def values(self, name: str | None = None) -> np.ndarray:
        """Current value of input ``name`` (default: the edited one), shaped like the input."""
        name = name or self._input
        if name == self._input:
            return self._current_values()
        return self._points[name].copy()

    def point(self) -> dict[str, np.ndarray]:
        """Current value of every input of the model."""
        point = {name: value.copy() for name, value in self._points.items()}
        if self._input is not None:
            point[self._input] = self._current_values()
        return point

    def set_values(self, values: np.ndarray, undoable: bool = True) -> None:
        """Replace the edited input's value (shape must match) and emit ``point_changed``."""
        spec = self._spec()
        if spec is None:
            return
        array = np.asarray(values, dtype=float)
        if array.size != spec.size:
            raise JacguiError(f"expected {spec.size} values for {spec.name}, got {array.size}")
        if undoable:
            self._push_undo()
        self.table_model.set_values(array)
        self._after_change()

    # -- internals ----------------------------------------------------------------------------
    def _spec(self) -> TensorInfo | None:
        if self._model is None or self._input is None:
            return None
        return self._model.input(self._input)

    def _default(self, spec: TensorInfo) -> np.ndarray:
        assert self._model is not None
        value = self._model.default_point.get(spec.name)
        if value is None or np.asarray(value).size != spec.size:
            return np.zeros(spec.shape)
        return np.asarray(value, dtype=float).reshape(spec.shape)

    def _current_values(self) -> np.ndarray:
        spec = self._spec()
        if spec is None:
            return np.zeros(0)
        return self.table_model.values().reshape(spec.shape)

    def _remember(self) -> None:
        if self._model is None:
            return
        for name, value in self.point().items():
            spec = self._model.input(name)
            self._memory[(self._model.path, name, spec.shape)] = value.copy()

    def _after_change(self) -> None:
        if self._input is not None:
            self._points[self._input] = self._current_values()
        self._sync_slider(recenter=True)
        self._update_image()
        self._update_enabled()
        self.point_changed.emit(self._current_values())

    @Slot(int, float)
    def _on_value_edited(self, _row: int, _value: float) -> None:
        # The table already holds the new value; _points still holds the one before the edit.
        if self._input is not None:
            self._undo.append((self._input, self._points[self._input].copy()))
            del self._undo[:-UNDO_DEPTH]
        self._after_change()

    @Slot(int, str)
    def _on_rejected(self, row: int, reason: str) -> None:
        spec = self._spec()
        label = spec.element_labels()[row] if spec is not None else f"row {row}"
        self.message.emit(f"{label}: {reason}; the value was not changed")

    @Slot(QModelIndex, QModelIndex)
    def _on_current_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._slider_row = current.row() if current.isValid() else -1
        self._sync_slider(recenter=True)

    def _sync_slider(self, recenter: bool) -> None:
        row = self._slider_row
        values = self.table_model.values()
        if not 0 <= row < values.size:
            self.value_slider.show_value(None)
            return
        spec = self._spec()
        label = self.table_model.data(self.table_model.index(row, 0))
        self.value_slider.show_value(label, float(values[row]),
                                     spec is not None and spec.is_float, recenter)

    @Slot(float)
    def _on_slider(self, value: float) -> None:
        row = self._slider_row
        if not 0 <= row < self.table_model.rowCount():
            return
        if not self.value_slider.is_dragged():
            self._push_undo()  # keyboard or wheel moves have no press
        self.table_model.set_value(row, value)
        if self._input is not None:
            self._points[self._input] = self._current_values()
        self._sync_slider(recenter=False)
        self._update_image()
        self._live = True
        try:
            self.point_changed.emit(self._current_values())
        finally:
            self._live = False

    def _update_image(self) -> None:
        spec = self._spec()
        if spec is None or not spec.is_image:
            self.image.hide()
            return
        self.image.setPixmap(array_pixmap(self._current_values(), self.image.width()))
        self.image.show()

    def _update_enabled(self) -> None:
        has = self._spec() is not None
        for action in (self.load_action, self.save_action, self.paste_action, self.reset_action, self.random_action):
            action.setEnabled(has)
        self.seed.setEnabled(has)
        self.undo_action.setEnabled(bool(self._undo))
        spec = self._spec()
        self.random_action.setToolTip(
            "Random point from the seed: uniform in [0, 1] per pixel"
            if spec is not None and spec.is_image
            else "Random point from the seed: each value uniform within ±10% of its default "
            "(±0.1 where the default is 0)"
        )
