"""The Analysis tab set: one panel per analysis, all following the window state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6 import QtCore, QtWidgets

from ..state import WindowState
from .agreement_view import AgreementView
from .global_view import GlobalView
from .importance_view import ImportanceView
from .jobs import AnalysisContext
from .principal_view import PrincipalView
from .saliency_view import SaliencyView
from .slice_view import SliceView
from .sobol_view import SobolView
from .sweep_view import SweepView
from .view_heatmap import VIEWS

__all__ = ["AnalysisPanel"]


class AnalysisPanel(QtWidgets.QTabWidget):
    """One tab per analysis, following the state: its result, its selected cell, its model.

    Parameters
    ----------
    state : WindowState
    runner : JobRunner or None
        Runs the analyses that evaluate the model (``None``: those panels stay idle).
    heatmap : ViewHeatmap
        Importance follows the heatmap's view of J.
    dialogs : Dialogs, optional
    move_point : callable, optional
        ``move_point(values)``: "Move point along ±v" sets the input to ``values``.
    parent : QWidget, optional
    """

    def __init__(self, state: WindowState, runner: Any, heatmap: Any, dialogs: Any = None,
                 move_point: Callable[[np.ndarray], object] | None = None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._state, self._heatmap = state, heatmap
        self.setDocumentMode(True)
        self.importance = ImportanceView()
        self.slice = SliceView()
        self.principal = PrincipalView()
        self.agreement = AgreementView()
        self.sweep = SweepView()
        self.global_ = GlobalView()
        self.sobol = SobolView()
        self.images = SaliencyView()
        self.views = [self.importance, self.slice, self.principal, self.agreement, self.sweep,
                      self.global_, self.sobol, self.images]
        tabs = [("Importance", "Which inputs matter; which outputs react"),
                ("Slice", "f_i along one input, its tangent and trust radius"),
                ("Principal directions", "Singular values and vectors of J"),
                ("AD vs FD", "Can I trust this number? Both methods, cell by cell"),
                ("Step sweep", "Finite-difference error against the step for one cell"),
                ("Global", "Jacobian statistics over many points (DGSM)"),
                ("Sobol", "Variance-based indices S1 and ST with 95 % intervals"),
                ("Image maps", "Saliency, gradient × input, integrated gradients and SmoothGrad "
                               "over the image")]
        for view, (name, tip) in zip(self.views, tabs, strict=True):
            view.dialogs = dialogs
            view.message.connect(state.inform)
            self.setTabToolTip(self.addTab(view, name), tip)
            if runner is not None and hasattr(view, "attach"):
                view.attach(runner)
        if move_point is not None:
            self.principal.move_requested.connect(move_point)
        self.agreement.cell_clicked.connect(self._on_cell_clicked)
        self.setTabEnabled(self.indexOf(self.images), False)
        state.result_changed.connect(self._on_result)
        state.cell_changed.connect(self._on_cell)
        state.model_changed.connect(self._on_model)
        state.view_changed.connect(self._on_view)

    def _model_views(self) -> tuple:
        """The panels whose work runs in the engine on the model at the point."""
        return (self.slice, self.principal, self.agreement, self.sweep, self.global_,
                self.sobol, self.images)

    def context(self) -> AnalysisContext | None:
        """The Jacobian on screen with what it was computed for, or ``None``."""
        state = self._state
        if state.result is None or state.result_request is None or state.model is None:
            return None
        return AnalysisContext(state.result_request, state.result, state.input_spec())

    @QtCore.Slot()
    def _on_result(self) -> None:
        context = self.context()
        result = None if context is None else context.result
        self._on_view()
        for view in self._model_views():
            view.set_context(context)
        image = result is not None and context.input_spec.is_image
        self.setTabEnabled(self.indexOf(self.images), image)
        self.images.set_result(result if image else None)

    @QtCore.Slot()
    def _on_view(self) -> None:
        derived = self._heatmap.derived()
        result = self._state.result
        if derived is None or result is None or derived.matrix.shape != result.shape:
            self.importance.set_data(result)
        else:
            self.importance.set_data(result, derived.matrix, VIEWS[derived.key][1])

    @QtCore.Slot()
    def _on_cell(self) -> None:
        if self._state.cell is not None:
            row, col = self._state.cell
            self.importance.set_row(row)
            self.slice.select_cell(row, col)
            self.sweep.select_cell(row, col)
            self.sobol.select_cell(row, col)
            self.images.set_row(row)

    @QtCore.Slot()
    def _on_model(self) -> None:
        """A new model starts from a clean slate: no panel keeps the previous model's plots."""
        for view in self._model_views():
            view.set_context(None)
            view.clear()
        self.importance.set_data(None)
        self.images.set_result(None)
        self.setTabEnabled(self.indexOf(self.images), False)

    @QtCore.Slot(int, int)
    def _on_cell_clicked(self, row: int, col: int) -> None:
        try:
            self._state.select_cell((row, col))
        except IndexError:
            pass
