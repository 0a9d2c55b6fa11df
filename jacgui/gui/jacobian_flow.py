"""Keeps the Jacobian on screen in step with the state: when to recompute, and what answers do.

Edits of the point, the selection or the method are turned into Jacobian jobs for the runner
(typed edits after a short quiet time, slider drags live: the next job starts as soon as the
running one is done); the runner's answers become state (result, progress, errors); a selected
cell is checked by the other family of methods once the selection rests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Slot

from jacgui.core.job import JacobianOptions

from .runner import JobRunner
from .state import JacobianRequest, JobStatus, WindowState

__all__ = [
    "CROSS_CHECK_DELAY_MS", "DEBOUNCE_MS", "ETA_SHOWN_SECONDS", "LIVE_INTERVAL_MS",
    "LONG_JOB_SECONDS", "JacobianFlow", "jacobian_args",
]

#: Quiet time after a typed edit before it is computed.
DEBOUNCE_MS = 150
#: Live edits (a dragged slider) start a job at most this often, and only after the previous one.
LIVE_INTERVAL_MS = 30
#: Arrow keys move the selection quickly; the cell is checked only where it comes to rest.
CROSS_CHECK_DELAY_MS = 120
#: A job estimated to take longer than this is stopped to ask the user, after its second chunk:
#: the pace of the chunks after the first (which traces the model) is the estimate; the plan
#: alone cannot know the model's speed.
LONG_JOB_SECONDS = 10.0
#: Jobs estimated to take longer than this show their remaining time.
ETA_SHOWN_SECONDS = 3.0

JACOBIAN, CROSS_CHECK, PLAN = "jacobian", "cross_check", "plan"
#: What to offer after the engine crashed computing a Jacobian: no vectorised gradients.
SAFE_METHOD = "fd-central"


def jacobian_args(request: JacobianRequest) -> dict[str, Any]:
    """The engine operation's arguments for ``request``."""
    options: JacobianOptions = request.options
    return {"point": request.point, "method": request.method, "input": request.input,
            "output": request.output, "step": options.step, "dtype": options.dtype,
            "memory_budget": options.memory_budget, "error_estimate": options.error_estimate}


class JacobianFlow(QObject):
    """Runs the window's Jacobian jobs and cross-checks through ``runner``.

    Parameters
    ----------
    state : WindowState
    runner : JobRunner
    confirm_long_job : callable
        ``confirm_long_job(text) -> bool``: asks whether to go on with a job whose estimate
        ``text`` describes; tests answer without a dialog.
    parent : QObject, optional
    """

    def __init__(self, state: WindowState, runner: JobRunner,
                 confirm_long_job: Callable[[str], bool], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state, self._runner = state, runner
        self._confirm = confirm_long_job
        self._pending: JacobianRequest | None = None  # the request of the running job
        self._live_waiting = False
        self._debounce = _timer(self, DEBOUNCE_MS, self.compute_now)
        self._live_timer = _timer(self, LIVE_INTERVAL_MS, self._pump_live)
        self._check_timer = _timer(self, CROSS_CHECK_DELAY_MS, self._start_cross_check)
        state.point.changed.connect(self._on_point_changed)
        state.selection_changed.connect(self._on_edit)
        state.method_changed.connect(self._on_edit)
        state.model_changed.connect(self._on_model_changed)
        state.cell_changed.connect(self._on_cell_changed)
        runner.started.connect(self._on_started)
        runner.progress.connect(self._on_progress)
        runner.finished.connect(self._on_finished)
        runner.failed.connect(self._on_failed)
        runner.cancelled.connect(self._on_cancelled)
        runner.crashed.connect(self._on_crashed)
        self._crashed = False  # the running Jacobian's engine died: offer a safer method
        # What the user agreed to wait for: new points of it are not asked about again.
        self._agreed: tuple[Any, ...] | None = None

    def _job_key(self) -> tuple[Any, ...]:
        state = self._state
        return (id(state.model), state.input_name, state.output_name, state.method)

    # -- requests -----------------------------------------------------------------------------
    @Slot()
    def compute_now(self, confirmed: bool = False) -> bool:
        """Compute the state's Jacobian now (any running one is cancelled); False if none."""
        self._debounce.stop()
        self._live_waiting = False
        request = self._state.jacobian_request(confirmed or self._agreed == self._job_key())
        if request is None:
            return False
        self._pending = request
        self._state.set_job(JobStatus(busy=True, started=time.monotonic()))
        self._runner.submit(JACOBIAN, JACOBIAN, jacobian_args(request), request)
        return True

    @Slot()
    def cancel(self) -> None:
        """Stop the running Jacobian at its next chunk (or stop its engine, if it hangs)."""
        self._debounce.stop()
        self._live_waiting = False
        if self._runner.is_busy(JACOBIAN):
            self._runner.cancel(JACOBIAN)

    # -- edits --------------------------------------------------------------------------------
    @Slot(str, bool)
    def _on_point_changed(self, _name: str, live: bool) -> None:
        if not self._state.auto_recompute:
            return
        if live:
            self._live_waiting = True
            self._pump_live()
        else:
            self._debounce.start()

    @Slot()
    def _on_edit(self) -> None:
        if self._state.auto_recompute and self._state.model is not None:
            self._debounce.start()

    @Slot()
    def _pump_live(self) -> None:
        if (self._live_waiting and not self._runner.is_busy(JACOBIAN)
                and not self._live_timer.isActive()):
            # The interval is given each time: an answer restarts the timer with 0.
            self._live_timer.start(LIVE_INTERVAL_MS)
            self.compute_now()

    @Slot()
    def _on_model_changed(self) -> None:
        self._debounce.stop()
        self._check_timer.stop()
        self._live_waiting = False
        self._runner.cancel(JACOBIAN)
        self._runner.cancel(CROSS_CHECK)
        if self._state.model is not None and any(s.is_float for s in self._state.model.inputs):
            self.compute_now()

    # -- answers ------------------------------------------------------------------------------
    @Slot(str)
    def _on_started(self, _kind: str) -> None:
        pass

    @Slot(str, int, int)
    def _on_progress(self, kind: str, done: int, total: int) -> None:
        if kind != JACOBIAN:
            return
        job = self._state.job.with_progress(done, total)
        self._state.set_job(job)
        request = self._pending
        if (job.eta_settled and job.eta_seconds > LONG_JOB_SECONDS
                and request is not None and not request.confirmed):
            self._runner.cancel(JACOBIAN)
            # Asked once per job: its later chunks, already reported, must not ask again.
            self._pending = None
            text = (f"{request.method} on this model will take about "
                    f"{format_duration(job.eta_seconds)} more ({total} chunks). Go on?")
            if self._confirm(text):
                self._agreed = self._job_key()
                self.compute_now(confirmed=True)

    @Slot(str, object, object)
    def _on_finished(self, kind: str, value: Any, context: Any) -> None:
        if kind == JACOBIAN:
            self._pending = None
            self._state.set_job(JobStatus(outcome="done"))
            self._state.set_result(value, context)
            self._pump_live_after_answer()
        elif kind == CROSS_CHECK and context == self._state.cell:
            self._state.set_cross_check(value)

    @Slot(str, str)
    def _on_failed(self, kind: str, message: str) -> None:
        if kind == JACOBIAN:
            request, self._pending = self._pending, None
            self._state.set_job(JobStatus(outcome="failed"))
            crashed, self._crashed = self._crashed, False
            if crashed and request is not None and request.method != SAFE_METHOD:
                # The same method would crash the fresh engine again: central differences
                # need no vectorised gradients, the usual way TensorFlow itself crashes.
                self._state.report_error(f"{message}. {SAFE_METHOD} did not crash: use it?",
                                         SAFE_METHOD)
            else:
                self._state.report_error(message)
            self._pump_live_after_answer()
        elif kind == CROSS_CHECK:
            self._state.set_cross_check(None)
            self._state.inform(f"Cross-check failed: {message}")

    @Slot(str)
    def _on_crashed(self, kind: str) -> None:
        if kind == JACOBIAN:
            self._crashed = True

    @Slot(str)
    def _on_cancelled(self, kind: str) -> None:
        if kind == JACOBIAN:
            self._pending = None
            self._state.set_job(JobStatus(outcome="cancelled"))
            self._state.inform("Computation cancelled")
            self._pump_live_after_answer()
        elif kind == CROSS_CHECK:
            self._state.set_cross_check(None)

    def _pump_live_after_answer(self) -> None:
        if self._live_waiting and not self._live_timer.isActive():
            self._live_timer.start(0)  # the newest live state, once this answer is shown

    # -- cross-checks -------------------------------------------------------------------------
    @Slot()
    def _on_cell_changed(self) -> None:
        self._runner.cancel(CROSS_CHECK)
        if self._state.cell is not None:
            self._check_timer.start()

    @Slot()
    def _start_cross_check(self) -> None:
        state = self._state
        result, request, cell = state.result, state.result_request, state.cell
        if result is None or request is None or cell is None:
            return
        row, col = cell
        fd = result.error_estimate is not None
        args = {"point": request.point, "row": row, "col": col, "input": result.input_name,
                "output": result.output_name, "method_used": result.method,
                "value": float(result.matrix[row, col]),
                # What the agreement policy needs, already known here: no extra model calls.
                "value_error": float(result.error_estimate[row, col]) if fd else None,
                "ad_scale": None if fd else float(np.nanmax(np.abs(result.matrix[row])))}
        self._runner.submit(CROSS_CHECK, CROSS_CHECK, args, cell)


def format_duration(seconds: float) -> str:
    """``75`` -> ``"1 min 15 s"``; under a minute ``"42 s"``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _timer(parent: QObject, interval_ms: int, slot: Any) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(interval_ms)
    timer.timeout.connect(slot)
    return timer
