"""The Jacobian heatmap with derived views: raw J, |J|, elasticity, scaled and row-normalised.

:class:`ViewHeatmap` is a :class:`~jacgui.gui.heatmap.HeatmapView` that shows the view of the
state's result that the state names, and whose hover/selection read-out names that view and,
for masked elasticity cells, says why they are grey. Every number comes from
:mod:`jacgui.core.views`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6 import QtCore, QtWidgets

from jacgui.core import views
from jacgui.core.errors import JacguiError

from .. import colormaps
from ..heatmap import HeatmapView
from ..state import WindowState

if TYPE_CHECKING:
    from jacgui.core.job import JacobianResult

__all__ = ["VIEWS", "DerivedView", "ViewHeatmap", "derive"]

#: View key -> (menu text, name used in read-outs; short: the heatmap's read-out line is
#: never narrower than its text).
VIEWS: dict[str, tuple[str, str]] = {
    "raw": ("Raw J", "∂f_i/∂x_j"),
    "abs": ("|J|", "|J|"),
    "elasticity": ("Elasticity", "elasticity"),
    "scaled": ("Scaled by σ_j", "σ_j·J"),
    "row": ("Row-normalised", "row-normalised J"),
}
#: Views whose values are never negative: drawn with a sequential colour map.
MAGNITUDE_VIEWS = frozenset({"abs"})
_TITLES = {  # short: a pyqtgraph title is never narrower than its text
    "abs": "|J|: magnitude of ∂f_i/∂x_j",
    "elasticity": "Elasticity (x_j/f_i)·∂f_i/∂x_j: % per %",
    "scaled": "σ_j·∂f_i/∂x_j: change of f_i per σ_j of x_j",
    "row": "Row-normalised J_ij / ‖J_i,:‖",
}


@dataclass(frozen=True)
class DerivedView:
    """A view of a result: the matrix to draw, its title and (elasticity) the masked cells."""

    key: str
    matrix: np.ndarray
    title: str
    masked: np.ndarray | None = None


def derive(result: JacobianResult, key: str, scales: np.ndarray | None = None) -> DerivedView:
    """The ``key`` view of ``result`` (see :data:`VIEWS`).

    Raises
    ------
    JacguiError
        For ``"scaled"`` when ``scales`` is missing or has the wrong length.
    ValueError
        For an unknown ``key``.
    """
    if key == "raw":
        return DerivedView(key, result.matrix, "")
    if key == "abs":
        return DerivedView(key, np.abs(result.matrix), _TITLES[key])
    if key == "elasticity":
        values, masked = views.elasticity(result)
        count = int(masked.sum())
        title = _TITLES[key]
        if count:
            title = f"Elasticity (x_j/f_i)·∂f_i/∂x_j; {count} grey: undefined"
        return DerivedView(key, values, title, masked)
    if key == "scaled":
        if scales is None:
            raise JacguiError("no per-input scales σ_j have been set")
        return DerivedView(key, views.scaled(result, scales), _TITLES[key])
    if key == "row":
        return DerivedView(key, views.row_normalised(result.matrix), _TITLES[key])
    raise ValueError(f"unknown view {key!r}; use one of {', '.join(VIEWS)}")


class ViewHeatmap(HeatmapView):
    """The window's Jacobian heatmap: the view of ``state.result`` that ``state.view`` names.

    It follows the state (result, view, colours, selected cell) and writes a selected cell
    back with ``state.select_cell``. When a view cannot be shown (scales of the wrong length),
    the state falls back to the raw Jacobian and the reason becomes a notice.

    Parameters
    ----------
    state : WindowState
    parent : QWidget, optional
    """

    def __init__(self, state: WindowState, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._derived: DerivedView | None = None
        self.selection_changed.connect(self._on_selected)
        state.result_changed.connect(self._show)
        state.view_changed.connect(self._on_view_changed)
        state.model_changed.connect(self._show)
        state.cell_changed.connect(self._on_cell_changed)
        self._on_view_changed()

    def derived(self) -> DerivedView | None:
        """The view on screen, or ``None`` when nothing is shown."""
        return self._derived

    def view_value(self, row: int, col: int) -> tuple[str, float, str]:
        """``(name, value, note)`` of cell (row, col) in the current view.

        ``note`` says why an elasticity cell is masked (empty otherwise).
        """
        derived, result = self._derived, self.result()
        if derived is None or result is None:
            raise IndexError("no result is shown")
        note = ""
        if derived.masked is not None and derived.masked[row, col]:
            note = views.elasticity_note(result, row, col) or "x_j or f_i is near zero"
        return VIEWS[derived.key][1], float(derived.matrix[row, col]), note

    def cell_text(self, row: int, col: int) -> str:
        """Read-out of a cell, naming the view (``|∂f_i/∂x_j|``, ``elasticity``, ...)."""
        result, derived = self.result(), self._derived
        if result is None or derived is None or derived.key == "raw":
            return super().cell_text(row, col)
        name, value, note = self.view_value(row, col)
        out, inp = _label(result.output_labels, row), _label(result.input_labels, col)
        if np.isfinite(value):
            shown = f"{value:.6g}"
        else:  # the short reason; the Cell panel gives the whole sentence
            shown = f"masked: {note.split(':')[0]}" if note else "no data"
        return f"{name}: {out} / {inp}   (row {row}, col {col})   = {shown}"

    @QtCore.Slot()
    def _on_view_changed(self) -> None:
        view = self._state.view
        colormap = colormaps.colormap_for(view.colormap, magnitude=view.key in MAGNITUDE_VIEWS)
        if colormap != self.colormap():
            self.set_colormap(colormap)
        if view.value_scale != self.value_scale():
            self.set_value_scale(view.value_scale)
        self._show()

    @QtCore.Slot()
    def _show(self) -> None:
        state = self._state
        result = state.result
        if result is None:
            self._derived = None
            self.set_result(None)
            return
        try:
            derived = derive(result, state.view.key, state.view.scales)
        except (JacguiError, ValueError) as exc:  # a wrong σ file must not hide the Jacobian
            state.inform(f"Cannot show that view: {exc}; showing the raw Jacobian")
            state.set_view(key="raw")  # comes back here through view_changed
            return
        self._derived = derived
        self.set_result(result, derived.matrix, derived.title)
        if state.cell is not None:
            self._on_cell_changed()

    @QtCore.Slot()
    def _on_cell_changed(self) -> None:
        cell = self._state.cell
        if cell is None:
            self.clear_selection()
        elif self.matrix() is not None and self.selected_cell() != cell:
            try:
                self.select_cell(*cell)
            except IndexError:
                self.clear_selection()

    @QtCore.Slot(int, int)
    def _on_selected(self, row: int, col: int) -> None:
        try:
            self._state.select_cell((row, col))
        except IndexError:
            pass


def _label(labels: tuple[str, ...], index: int) -> str:
    return labels[index] if 0 <= index < len(labels) else f"#{index}"
