"""Hover read-out, cell selection and arrow-key navigation of :class:`~.heatmap.HeatmapView`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from .heatmap_math import cell_at

if TYPE_CHECKING:
    from jacgui.core.job import JacobianResult

    from .heatmap_item import SelectionMarker

__all__ = ["CellSelectionMixin", "make_hover_label"]

_ARROWS = {
    QtCore.Qt.Key.Key_Up: (-1, 0),
    QtCore.Qt.Key.Key_Down: (1, 0),
    QtCore.Qt.Key.Key_Left: (0, -1),
    QtCore.Qt.Key.Key_Right: (0, 1),
}


def make_hover_label() -> QtWidgets.QLabel:
    """A selectable fixed-width label for the cell read-out.

    Returns
    -------
    QtWidgets.QLabel
    """
    label = QtWidgets.QLabel()
    label.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
    label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
    # Reserve one line even when empty, so hovering in and out does not resize the plot.
    label.setMinimumHeight(label.fontMetrics().height() + 4)
    return label


class CellSelectionMixin:
    """Hover, click and keyboard handling for a heatmap widget.

    Mixed into :class:`~.heatmap.HeatmapView` ahead of ``QWidget``.  Signals must live on
    the ``QObject`` subclass itself, so the host declares ``cell_clicked``, ``cell_hovered``
    and ``selection_changed`` and creates the attributes annotated below.
    """

    _result: JacobianResult | None
    _matrix: np.ndarray | None
    _selected: tuple[int, int] | None
    _hovered: tuple[int, int] | None
    _marker: SelectionMarker
    _hover_label: QtWidgets.QLabel

    def hover_text(self) -> str:
        """Read-out of the hovered cell: labels, (row, col) and value; empty when none."""
        return "" if self._hovered is None else self.cell_text(*self._hovered)

    def cell_text(self, row: int, col: int) -> str:
        """Read-out of any cell, in the same format as :meth:`hover_text`."""
        if self._result is None or self._matrix is None:
            return ""
        value = float(self._matrix[row, col])
        shown = f"{value:.6g}" if np.isfinite(value) else f"{value} (no data)"
        out = _label(self._result.output_labels, row)
        inp = _label(self._result.input_labels, col)
        return f"∂ {out} / ∂ {inp}   (row {row}, col {col})   = {shown}"

    def select_cell(self, row: int, col: int) -> None:
        """Select and outline cell ``(row, col)``; emits ``selection_changed``.

        Raises
        ------
        IndexError
            If there is no such cell.
        """
        if self._matrix is None:
            raise IndexError("no result is shown")
        rows, cols = self._matrix.shape
        if not (0 <= row < rows and 0 <= col < cols):
            raise IndexError(f"cell ({row}, {col}) outside {rows} x {cols}")
        self._set_selection((row, col))

    def clear_selection(self) -> None:
        """Remove the selection (silently; see ``selection_changed``)."""
        self._set_selection(None)

    def selected_cell(self) -> tuple[int, int] | None:
        """``(row, col)`` of the selected cell, or ``None``."""
        return self._selected

    def _on_image_click(self, pos: QtCore.QPointF) -> None:
        if self._matrix is None:
            return
        row, col = cell_at(pos.x(), pos.y(), self._matrix.shape)
        self.setFocus(QtCore.Qt.FocusReason.MouseFocusReason)
        self._set_selection((row, col))
        self.cell_clicked.emit(row, col)

    def _on_image_hover(self, pos: QtCore.QPointF | None) -> None:
        if self._matrix is None:
            return
        cell = None if pos is None else cell_at(pos.x(), pos.y(), self._matrix.shape)
        if cell == self._hovered:
            return
        self._hovered = cell
        self._update_hover_label()
        self.cell_hovered.emit(*(cell if cell is not None else (-1, -1)))

    def _set_selection(self, cell: tuple[int, int] | None) -> None:
        if cell == self._selected:
            return
        self._selected = cell
        if cell is None:
            self._marker.hide()
        else:
            self._marker.show_cell(*cell)
        self._update_hover_label()
        if cell is not None:
            self.selection_changed.emit(*cell)

    def _update_hover_label(self) -> None:
        if self._hovered is not None:
            text = self.hover_text()
        elif self._selected is not None and self._matrix is not None:
            text = "selected: " + self.cell_text(*self._selected)
        else:
            text = ""
        self._hover_label.setText(text)

    def _move_selection(self, d_row: int, d_col: int) -> None:
        if self._matrix is None:
            return
        rows, cols = self._matrix.shape
        row, col = self._selected if self._selected is not None else (0, 0)
        if self._selected is not None:
            row = min(max(row + d_row, 0), rows - 1)
            col = min(max(col + d_col, 0), cols - 1)
        self._set_selection((row, col))

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:  # noqa: N802
        """Arrow keys move the selection (clamped at the edges)."""
        step = _ARROWS.get(event.key())
        if step is None:
            super().keyPressEvent(event)
            return
        self._move_selection(*step)
        event.accept()

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        """Route arrow keys pressed in the graphics view to :meth:`keyPressEvent`."""
        if event.type() == QtCore.QEvent.Type.KeyPress and event.key() in _ARROWS:
            self.keyPressEvent(event)
            return True
        return super().eventFilter(watched, event)


def _label(labels: tuple[str, ...], index: int) -> str:
    return labels[index] if 0 <= index < len(labels) else f"#{index}"
