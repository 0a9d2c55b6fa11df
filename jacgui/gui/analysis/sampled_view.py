"""Analyses over many sampled points, set up in a :class:`GlobalDialog` and run by Run…."""

from __future__ import annotations

from typing import Any

from PySide6 import QtCore, QtWidgets

from .global_dialog import GlobalDialog
from .jobs import AnalysisContext, GlobalRequest
from .task_view import CancellableTaskView


class SampledTaskView(CancellableTaskView):
    """A long analysis whose points the user chooses in a dialog before it runs.

    Subclasses set ``sobol_indices`` (the dialog offers only a box of inputs, as Saltelli's
    design needs) and implement :meth:`job_for`; they add ``run_button``, ``cancel_button`` and
    ``bar`` to their controls.
    """

    auto = False
    sobol_indices = False

    def __init__(self, title: str, run_tooltip: str,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.request: GlobalRequest | None = None
        self.dialog: GlobalDialog | None = None
        self.run_button = QtWidgets.QPushButton("Run…")
        self.run_button.setToolTip(run_tooltip)
        self.run_button.clicked.connect(self.open_dialog)
        self.make_progress()

    @QtCore.Slot()
    def open_dialog(self) -> None:
        """Open the set-up dialog (non-blocking); its Run starts the job."""
        if self.context is None:
            self.status.setText("Compute a Jacobian first.")
            return
        self.dialog = GlobalDialog(self.context.input_spec, self.context.result.point,
                                   self.dialogs, self, sobol_indices=self.sobol_indices)
        self.dialog.accepted.connect(self._on_dialog_accepted)
        self.dialog.open()

    @QtCore.Slot()
    def _on_dialog_accepted(self) -> None:
        if self.dialog is not None:
            self.start(self.dialog.request())

    def start(self, request: GlobalRequest) -> bool:
        """Run ``request`` now (cancels a running one)."""
        self.request = request
        return self.run()

    def make_job(self) -> Any:
        """``(operation, arguments)`` for the request, or ``None`` before there is one."""
        if self.context is None or self.request is None:
            return None
        return self.job_for(self.context, self.request)

    def job_for(self, context: AnalysisContext, request: GlobalRequest) -> Any:
        """The engine job of ``request`` on ``context``'s model."""
        raise NotImplementedError
