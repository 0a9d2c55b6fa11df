"""Base of the panels whose analysis runs on the worker thread (anything calling the model)."""

from __future__ import annotations

from typing import Any

from PySide6 import QtCore, QtWidgets

from jacgui.core.errors import JacguiError

from .base import AnalysisView
from .jobs import AnalysisContext

__all__ = ["CancellableTaskView", "TaskView"]

_ERROR = "color: #c0392b"


class TaskView(AnalysisView):
    """An :class:`AnalysisView` whose work is an engine job of kind :attr:`kind`.

    Subclasses implement :meth:`make_job` (the engine operation and its arguments, or ``None``
    when there is nothing to do) and :meth:`show_analysis`. With ``auto`` set, the job is run
    whenever its inputs change while the panel is visible, and on showing the panel when they
    changed while hidden.

    Signals
    -------
    analysis_ready(object)
        The new analysis, once shown.
    """

    analysis_ready = QtCore.Signal(object)
    kind = ""
    auto = True
    hint = ""  # the status while nothing is shown

    def __init__(self, title: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.runner: Any = None
        self.context: AnalysisContext | None = None
        self._analysis: Any = None
        self._stale = False

    def attach(self, runner: Any) -> None:
        """Use ``runner`` (the window's :class:`~jacgui.gui.runner.JobRunner`) for the jobs."""
        self.runner = runner
        runner.finished.connect(self._on_finished)
        runner.failed.connect(self._on_failed)
        runner.cancelled.connect(self._on_cancelled)
        runner.progress.connect(self._on_progress)

    def set_context(self, context: AnalysisContext | None) -> None:
        """The Jacobian on screen changed."""
        self.context = context
        self.context_changed()
        self.inputs_changed()

    def context_changed(self) -> None:
        """Hook: update controls for a new context (before any re-run)."""

    def inputs_changed(self) -> None:
        """Re-run now when visible, else on the next show."""
        if self.auto and self.isVisible():
            self.run()
        else:
            self._stale = True

    def make_job(self) -> Any:
        """``(operation, arguments)`` for the current inputs, or ``None``."""
        return None

    def describe_run(self) -> str:
        """Status text while the job runs."""
        return "Computing…"

    def run(self) -> bool:
        """Submit the job; False when there is nothing to run."""
        self._stale = False
        if self.runner is None or self.context is None:
            return False
        try:
            job = self.make_job()
        except JacguiError as exc:  # a points file that cannot be read, a bad box
            self._on_failed(self.kind, str(exc))
            return False
        if job is None:
            return False
        self.status.setStyleSheet("")
        self.status.setText(self.describe_run())
        self.runner.submit(self.kind, *job)
        return True

    def analysis(self) -> Any:
        """The analysis shown, or ``None``."""
        return self._analysis

    def clear(self) -> None:
        """Forget the analysis shown (another model was opened); subclasses erase their plots."""
        self._analysis = None
        self.set_exportable(False)
        self.status.setStyleSheet("")
        self.status.setText(self.hint)

    def show_analysis(self, analysis: Any) -> None:
        """Draw ``analysis``; subclasses call this base to store it and enable export."""
        self._analysis = analysis
        self.set_exportable(analysis is not None)

    def showEvent(self, event: Any) -> None:
        """Run what changed while hidden."""
        super().showEvent(event)
        if self._stale and self.auto:
            QtCore.QTimer.singleShot(0, self.run)

    @QtCore.Slot(str, object, object)
    def _on_finished(self, kind: str, value: object, _context: object) -> None:
        if kind == self.kind:
            self.show_analysis(value)
            self.analysis_ready.emit(value)

    @QtCore.Slot(str, str)
    def _on_failed(self, kind: str, message: str) -> None:
        if kind == self.kind:
            self.status.setStyleSheet(_ERROR)
            self.status.setText(f"Failed: {message}")
            self.failed(message)

    def failed(self, message: str) -> None:
        """Hook: the job failed."""

    @QtCore.Slot(str)
    def _on_cancelled(self, kind: str) -> None:
        if kind == self.kind:
            self.cancelled()

    def cancelled(self) -> None:
        """Hook: the job was cancelled (a newer request of the same kind is not reported)."""
        self.status.setText("Cancelled.")

    @QtCore.Slot(str, int, int)
    def _on_progress(self, kind: str, done: int, total: int) -> None:
        if kind == self.kind:
            self.progress(done, total)

    def progress(self, done: int, total: int) -> None:
        """Hook: progress between batches."""


class CancellableTaskView(TaskView):
    """A :class:`TaskView` for long jobs: a Cancel button and a progress bar in its controls.

    Subclasses add ``self.cancel_button`` and ``self.bar`` (made by :meth:`make_progress`) to
    their controls; ``progress_format`` labels the bar (``%v``/``%m`` are Qt's placeholders).
    """

    progress_format = "%v of %m"

    def make_progress(self) -> None:
        """Create ``cancel_button`` and ``bar``, idle and hidden."""
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.bar = QtWidgets.QProgressBar()
        self.bar.setMaximumWidth(200)
        self.bar.setVisible(False)

    def run(self) -> bool:
        """Submit the job and show the progress bar; False when there is nothing to run."""
        started = super().run()
        if started:
            self.cancel_button.setEnabled(True)
            self.bar.setRange(0, 0)  # busy until the first progress report
            self.bar.setVisible(True)
        return started

    @QtCore.Slot()
    def cancel(self) -> None:
        """Stop at the next chunk or batch boundary."""
        if self.runner is not None:
            self.runner.cancel(self.kind)

    def progress(self, done: int, total: int) -> None:
        """Show ``done`` of ``total`` on the bar."""
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        self.bar.setFormat(self.progress_format)

    def _idle(self) -> None:
        self.cancel_button.setEnabled(False)
        self.bar.setVisible(False)
