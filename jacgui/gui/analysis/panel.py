"""The Analysis tab set, and the few connections that hook it into the main window."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6 import QtCore, QtWidgets

from .agreement_view import AgreementView
from .global_view import GlobalView
from .importance_view import ImportanceView
from .jobs import AnalysisContext
from .principal_view import PrincipalView
from .saliency_view import SaliencyView
from .slice_view import SliceView
from .sweep_view import SweepView
from .tasks import TaskRunner
from .view_heatmap import VIEWS
from .view_selector import ViewValueBox

if TYPE_CHECKING:
    from jacgui.core.job import JacobianResult

    from ..main_window import MainWindow

__all__ = ["AnalysisPanel", "install_analysis", "with_toolbar"]


class AnalysisPanel(QtWidgets.QTabWidget):
    """One tab per analysis; cell-based ones follow the heatmap's selection.

    Signals
    -------
    move_requested(object)
        New (flat) values of the differentiated input, from "Move point along ±v".
    cell_clicked(int, int)
        A cell clicked in one of the panel's own heatmaps.
    message(str)
        Status-bar notices.
    """

    move_requested = QtCore.Signal(object)
    cell_clicked = QtCore.Signal(int, int)
    message = QtCore.Signal(str)

    def __init__(self, runner: TaskRunner | None, dialogs: Any = None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDocumentMode(True)
        self.importance = ImportanceView()
        self.slice = SliceView()
        self.principal = PrincipalView()
        self.agreement = AgreementView()
        self.sweep = SweepView()
        self.global_ = GlobalView()
        self.images = SaliencyView()
        self.views = [self.importance, self.slice, self.principal, self.agreement, self.sweep,
                      self.global_, self.images]
        tabs = [("Importance", "Which inputs matter; which outputs react"),
                ("Slice", "f_i along one input, its tangent and trust radius"),
                ("Principal directions", "Singular values and vectors of J"),
                ("AD vs FD", "Can I trust this number? Both methods, cell by cell"),
                ("Step sweep", "Finite-difference error against the step for one cell"),
                ("Global", "Jacobian statistics over many points (DGSM)"),
                ("Image maps", "Saliency and gradient × input over the image")]
        for view, (name, tip) in zip(self.views, tabs):
            view.dialogs = dialogs
            view.message.connect(self.message)
            self.setTabToolTip(self.addTab(view, name), tip)
            if runner is not None and hasattr(view, "attach"):
                view.attach(runner)
        self.principal.move_requested.connect(self.move_requested)
        self.agreement.cell_clicked.connect(self.cell_clicked)
        self.context: AnalysisContext | None = None
        self.setTabEnabled(self.indexOf(self.images), False)

    def set_context(self, context: AnalysisContext | None, matrix: np.ndarray | None = None,
                    view_name: str = VIEWS["raw"][1]) -> None:
        """A new Jacobian is on screen (``matrix``: the heatmap's current view of it)."""
        self.context = context
        result = None if context is None else context.result
        self.importance.set_data(result, matrix, view_name)
        for view in (self.slice, self.principal, self.agreement, self.sweep, self.global_):
            view.set_context(context)
        image = result is not None and _is_image(context)
        self.setTabEnabled(self.indexOf(self.images), image)
        self.images.set_result(result if image else None)

    def set_view(self, matrix: np.ndarray | None, view_name: str) -> None:
        """The heatmap's view changed: importance follows it."""
        result = None if self.context is None else self.context.result
        self.importance.set_data(result, matrix, view_name)

    def select_cell(self, row: int, col: int) -> None:
        """The heatmap's selection changed."""
        self.importance.set_row(row)
        self.slice.select_cell(row, col)
        self.sweep.select_cell(row, col)
        self.images.set_row(row)


def _is_image(context: AnalysisContext | None) -> bool:
    try:
        return bool(context is not None and context.input_spec().is_image)
    except Exception:  # noqa: BLE001 - an unknown input is simply not an image
        return False


def with_toolbar(toolbar: QtWidgets.QWidget, widget: QtWidgets.QWidget) -> QtWidgets.QWidget:
    """``toolbar`` above ``widget`` in one page (the heatmap tab)."""
    page = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(toolbar)
    layout.addWidget(widget, 1)
    return page


class _Glue(QtCore.QObject):
    """Slots between the window and the panel (QObject slots run in the GUI thread)."""

    def __init__(self, window: MainWindow, panel: AnalysisPanel) -> None:
        super().__init__(window)
        self.window, self.panel = window, panel

    @QtCore.Slot(object)
    def on_result(self, result: JacobianResult) -> None:
        window = self.window
        job = window.controller.result_job
        if job is None:
            return
        context = AnalysisContext(job.model, job.point, result, job.options.memory_budget)
        derived = window.heatmap.derived()
        if derived is None or derived.matrix.shape != result.shape:
            self.panel.set_context(context)
        else:
            self.panel.set_context(context, derived.matrix, VIEWS[derived.key][1])
        window.view_value.refresh()

    @QtCore.Slot()
    def on_quit(self) -> None:
        # Delete the panel's plots now, while Python is intact: left to PySide's clean-up at
        # interpreter exit, their Python overrides ran during finalisation and quitting
        # segfaulted (PepException_GetArgs from QGraphicsWidget::event, in gdb).
        import shiboken6

        if shiboken6.isValid(self.panel):
            shiboken6.delete(self.panel)

    @QtCore.Slot(object)
    def on_model_loaded(self, _model: object) -> None:
        self.panel.set_context(None)

    @QtCore.Slot(str)
    def on_view_changed(self, _key: str) -> None:
        derived = self.window.heatmap.derived()
        if derived is not None:
            self.panel.set_view(derived.matrix, VIEWS[derived.key][1])

    @QtCore.Slot(object)
    def on_move(self, values: object) -> None:
        window = self.window
        try:
            window.point_editor.set_values(np.asarray(values))
        except Exception as exc:  # noqa: BLE001 - a mismatched point must not crash the window
            window.show_error(f"Cannot move the point: {exc}")
            return
        window.compute_now()

    @QtCore.Slot(int, int)
    def on_cell_clicked(self, row: int, col: int) -> None:
        try:
            self.window.heatmap.select_cell(row, col)  # the window follows selection_changed
        except IndexError:
            pass


def install_analysis(window: MainWindow) -> AnalysisPanel:
    """Add the Analysis tab, the task runner and the view read-out to ``window``.

    Expects ``window.heatmap`` to be a :class:`ViewHeatmap` and ``window.view_selector`` its
    :class:`ViewSelector`.
    """
    runner = TaskRunner(window.controller, window)
    panel = AnalysisPanel(runner, window.dialogs, window)
    for view in panel.views:
        view.folder = window.settings.last_dir()
    window.analysis_runner = runner
    window.analysis = panel
    window.tabs.addTab(panel, "Analysis")
    window.tabs.setTabToolTip(window.tabs.indexOf(panel), "Sensitivity analyses of this Jacobian")
    # The selected cell's value in the heatmap's view, under the cell inspector.
    # Added to the inspector's own layout: swapping the dock's widget made exits segfault.
    window.view_value = ViewValueBox(window.heatmap, window.inspector)
    window.inspector.layout().insertWidget(0, window.view_value)
    glue = _Glue(window, panel)
    window.controller.result_ready.connect(glue.on_result)
    window.controller.model_loaded.connect(glue.on_model_loaded)
    window.heatmap.view_changed.connect(glue.on_view_changed)
    window.heatmap.selection_changed.connect(panel.select_cell)
    window.heatmap.cell_clicked.connect(panel.select_cell)
    panel.move_requested.connect(glue.on_move)
    panel.cell_clicked.connect(glue.on_cell_clicked)
    panel.message.connect(window.show_message)
    window.view_selector.message.connect(window.show_message)
    app = QtCore.QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(glue.on_quit)
    return panel
