"""Editor of the input point: a label | value table, a slider, an image preview and bulk actions.

A view of :class:`~jacgui.gui.state.WindowState`: it shows the value of the differentiated
input (``state.point``) and writes every accepted edit back to it. Typed values that do not
parse are refused and marked in the table; nothing else the user typed is touched.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .point_model import PointTableModel, array_pixmap
from .point_slider import ValueSlider
from .state import WindowState

__all__ = ["PointActions", "PointEditor"]


class PointActions:
    """The editor's buttons, each bound to an action by the composition root.

    Parameters
    ----------
    load, save, paste, reset, randomise, undo : callable
        ``randomise`` takes the seed; the others take nothing.
    """

    def __init__(self, load: Callable[[], object], save: Callable[[], object],
                 paste: Callable[[], object], reset: Callable[[], object],
                 randomise: Callable[[int], object], undo: Callable[[], object]) -> None:
        self.load, self.save, self.paste = load, save, paste
        self.reset, self.randomise, self.undo = reset, randomise, undo


class PointEditor(QWidget):
    """Edits the value of the differentiated input of the loaded model.

    Parameters
    ----------
    state : WindowState
    actions : PointActions
    parent : QWidget, optional
    """

    def __init__(self, state: WindowState, actions: PointActions,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._shown: str | None = None  # the input in the table
        self._slider_row = -1
        self._build(actions)
        state.model_changed.connect(self._on_input_changed)
        state.selection_changed.connect(self._on_input_changed)
        state.point.changed.connect(self._on_point_changed)
        state.point.history_changed.connect(self.undo_action.setEnabled)
        self._on_input_changed()

    # -- construction -------------------------------------------------------------------------
    def _build(self, actions: PointActions) -> None:
        self.table_model = PointTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.table_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        for column in (0, 1):
            self.table.horizontalHeader().setSectionResizeMode(column,
                                                               QHeaderView.ResizeMode.Stretch)
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

        self.seed = QSpinBox(self)
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setPrefix("seed ")
        self.seed.setMaximumWidth(110)
        self.seed.setToolTip("Random seed used by Randomise (same seed, same point)")
        self.load_action = self._action(
            "Load…", "Load the point from .npy/.npz/.csv/.json (or an image)", actions.load)
        self.save_action = self._action(
            "Save…", "Save this point as .npy/.npz/.csv/.json", actions.save)
        self.paste_action = self._action(
            "Paste", "Paste values from the clipboard (numbers separated by commas, spaces or "
            "new lines)", actions.paste)
        self.reset_action = self._action(
            "Reset", "Reset this input to the model's default point", actions.reset)
        self.random_action = self._action(
            "Randomise", "", lambda: actions.randomise(self.seed.value()))
        # Ctrl+Z is the Edit menu's; the button is the same command.
        self.undo_action = self._action("Undo", "Undo the last change to the point (Ctrl+Z)",
                                        actions.undo)
        self.undo_action.setEnabled(False)

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
        self.value_slider.pressed.connect(self._on_slider_pressed)
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

    def _action(self, text: str, tip: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.triggered.connect(lambda: slot())
        self.addAction(action)
        return action

    def _button(self, action: QAction) -> QToolButton:
        button = QToolButton(self)
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return button

    # -- state -> widgets ---------------------------------------------------------------------
    @Slot()
    def _on_input_changed(self) -> None:
        spec = self._state.input_spec()
        self._shown = None if spec is None else spec.name
        if spec is None:
            self.table_model.set_input(None, np.zeros(0), np.zeros(0))
        else:
            self.table_model.set_input(spec, self._state.point.value(spec.name),
                                       self._state.point.default(spec.name))
        self._slider_row = -1
        if spec is not None and spec.size:
            self.table.selectionModel().setCurrentIndex(
                self.table_model.index(0, 1),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
        self._update_image()
        self._update_enabled()

    @Slot(str, bool)
    def _on_point_changed(self, name: str, live: bool) -> None:
        if name != self._shown:
            return
        values = self._state.point.value(name).reshape(-1)
        if not np.array_equal(values, self.table_model.values()):
            self.table_model.set_values(values)
        if not live:
            self.table_model.clear_marks()
        self._sync_slider(recenter=not live)
        self._update_image()

    def _update_image(self) -> None:
        spec = self._state.input_spec()
        if spec is None or not spec.is_image:
            self.image.hide()
            return
        self.image.setPixmap(array_pixmap(self._state.point.value(spec.name), self.image.width()))
        self.image.show()

    def _update_enabled(self) -> None:
        spec = self._state.input_spec()
        for action in (self.load_action, self.save_action, self.paste_action,
                       self.reset_action, self.random_action):
            action.setEnabled(spec is not None)
        self.seed.setEnabled(spec is not None)
        self.undo_action.setEnabled(self._state.point.can_undo())
        self.random_action.setToolTip(
            "Random point from the seed: uniform in [0, 1] per pixel"
            if spec is not None and spec.is_image
            else "Random point from the seed: each value uniform within ±10% of its default "
            "(±0.1 where the default is 0)"
        )

    def _sync_slider(self, recenter: bool) -> None:
        row = self._slider_row
        values = self.table_model.values()
        if not 0 <= row < values.size:
            self.value_slider.show_value(None)
            return
        spec = self._state.input_spec()
        label = self.table_model.data(self.table_model.index(row, 0))
        self.value_slider.show_value(label, float(values[row]),
                                     spec is not None and spec.is_float, recenter)

    # -- widgets -> state ---------------------------------------------------------------------
    @Slot(int, float)
    def _on_value_edited(self, row: int, value: float) -> None:
        if self._shown is not None:
            self._state.point.set_element(self._shown, row, value)

    @Slot(int, str)
    def _on_rejected(self, row: int, reason: str) -> None:
        spec = self._state.input_spec()
        label = spec.element_labels()[row] if spec is not None else f"row {row}"
        self._state.inform(f"{label}: {reason}; the value was not changed")

    @Slot(QModelIndex, QModelIndex)
    def _on_current_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._slider_row = current.row() if current.isValid() else -1
        self._sync_slider(recenter=True)

    @Slot()
    def _on_slider_pressed(self) -> None:
        if self._shown is not None:
            self._state.point.checkpoint(self._shown)  # one undo step for the whole drag

    @Slot(float)
    def _on_slider(self, value: float) -> None:
        row = self._slider_row
        if self._shown is None or not 0 <= row < self.table_model.rowCount():
            return
        dragged = self.value_slider.is_dragged()
        # A drag saved its undo step when pressed; keyboard or wheel moves have no press.
        self.table_model.set_value(row, value)
        self._state.point.set_element(self._shown, row, value, undoable=not dragged, live=True)

    # -- for tests and drops ------------------------------------------------------------------
    def values(self) -> np.ndarray:
        """The values shown in the table, shaped like the input."""
        spec = self._state.input_spec()
        return self.table_model.values() if spec is None else \
            self.table_model.values().reshape(spec.shape)
