"""The Jacobian heatmap with derived views: raw J, |J|, elasticity, scaled and row-normalised.

:class:`ViewHeatmap` is a :class:`~jacgui.gui.heatmap.HeatmapView` whose ``set_result`` shows
the *current view* of every new result, and whose hover/selection read-out names that view and,
for masked elasticity cells, says why they are grey. Every number comes from
:mod:`jacgui.core.views`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6 import QtCore

from jacgui.core import views

from ..heatmap import HeatmapView

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
            from jacgui.core.errors import JacguiError

            raise JacguiError("no per-input scales σ_j have been set")
        return DerivedView(key, views.scaled(result, scales), _TITLES[key])
    if key == "row":
        return DerivedView(key, views.row_normalised(result.matrix), _TITLES[key])
    raise ValueError(f"unknown view {key!r}; use one of {', '.join(VIEWS)}")


class ViewHeatmap(HeatmapView):
    """A :class:`HeatmapView` that shows a chosen view of each result.

    Signals
    -------
    view_changed(str)
        The view key after :meth:`set_view` (also after a fallback to ``"raw"``).
    view_failed(str)
        Why a view could not be shown (the heatmap falls back to the raw Jacobian).
    """

    view_changed = QtCore.Signal(str)
    view_failed = QtCore.Signal(str)

    # Class-level defaults: HeatmapView.__init__ already calls set_result().
    _view = "raw"
    _scales: np.ndarray | None = None
    _derived: DerivedView | None = None

    def set_view(self, key: str, scales: np.ndarray | None = None) -> bool:
        """Show the ``key`` view (scales for ``"scaled"``); False when it fell back to raw."""
        if key not in VIEWS:
            raise ValueError(f"unknown view {key!r}; use one of {', '.join(VIEWS)}")
        if scales is not None:
            self._scales = np.asarray(scales, dtype=np.float64).reshape(-1)
        self._view = key
        ok = True
        if self.result() is not None:
            ok = self._show(self.result())
        self.view_changed.emit(self._view)
        return ok

    def view(self) -> str:
        """The key of the view shown."""
        return self._view

    def scales(self) -> np.ndarray | None:
        """The per-input scales σ_j of the scaled view, if set."""
        return None if self._scales is None else self._scales.copy()

    def derived(self) -> DerivedView | None:
        """The view on screen, or ``None`` when nothing is shown."""
        return self._derived

    def set_result(self, result: JacobianResult | None, matrix: np.ndarray | None = None,
                   title: str = "") -> None:
        """Show ``result`` in the current view (an explicit ``matrix`` is shown as is)."""
        if result is None or matrix is not None:
            self._derived = None if result is None else DerivedView("raw", matrix, title)
            super().set_result(result, matrix, title)
            return
        self._show(result)

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

    def _show(self, result: JacobianResult) -> bool:
        try:
            derived = derive(result, self._view, self._scales)
        except Exception as exc:  # noqa: BLE001 - a wrong σ file must not hide the Jacobian
            self._view = "raw"
            derived = derive(result, "raw")
            self._derived = derived
            super().set_result(result, derived.matrix, derived.title)
            self.view_failed.emit(str(exc))
            self.view_changed.emit("raw")
            return False
        self._derived = derived
        super().set_result(result, derived.matrix, derived.title)
        return True


def _label(labels: tuple[str, ...], index: int) -> str:
    return labels[index] if 0 <= index < len(labels) else f"#{index}"
