"""The GUI-thread side of the worker: job ids, coalescing, cancelling and stale-result dropping.

The controller lives in the GUI thread. It owns the worker thread, numbers every request, and
re-emits only the answers that are still wanted, so widgets connect to it and never to the
worker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from PySide6.QtCore import QObject, Signal, Slot

from jacgui.core.handle import ModelHandle
from jacgui.core.job import CancelToken, JacobianJob, JacobianResult, Progress

from .requests import CrossChecks, job_from_fields
from .scheduling import EditScheduler, WorkerThread
from .worker import Backend, JobMailbox, Worker

__all__ = ["DEBOUNCE_MS", "LIVE_INTERVAL_MS", "SHUTDOWN_WAIT_MS", "Controller", "WorkerThread"]

#: Delay between the last edit and the recompute it triggers.
DEBOUNCE_MS = 150
#: How long closing waits for the running chunk before giving up on it.
SHUTDOWN_WAIT_MS = 15_000
#: Live edits (a dragged slider) start a job at most this often, and only when the previous
#: live job is done: a drag never waits for the mouse to rest and never piles up jobs.
LIVE_INTERVAL_MS = 30


class Controller(QObject):
    """Requests work from the worker thread and filters its answers.

    Parameters
    ----------
    backend : Backend, optional
        The core calls the worker makes (tests pass a fake).
    parent : QObject, optional

    Notes
    -----
    ``job_source`` must be set to a callable returning the job's fields (``point``, ``method``,
    ``input``, ``output``, ``options``) or ``None`` when there is nothing to compute; the
    debounce timer calls it when it fires so that the newest state is used.
    """

    tf_ready = Signal(str)
    tf_failed = Signal(str)
    model_loaded = Signal(object)  # ModelHandle
    model_failed = Signal(str, str, bool)  # path, message, needs trust
    loading_changed = Signal(bool)
    job_started = Signal(int, object)  # job id, plan or None
    progress = Signal(int, int)  # done, total
    result_ready = Signal(object)  # JacobianResult
    failed = Signal(str)
    cancelled = Signal(int)
    busy_changed = Signal(bool)
    cross_checked = Signal(object)  # CrossCheck
    cross_check_failed = Signal(str)

    # Private: queued into the worker thread.
    _warm_up = Signal()
    _load = Signal(int, str, bool)
    _compute = Signal()

    def __init__(self, backend: Backend | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.job_source: Callable[[], Mapping[str, object] | None] = lambda: None
        self.model: ModelHandle | None = None
        self.model_path = ""  # as the user named it (the handle's path may be normalised)
        self.dropped_results = 0  # stale results thrown away; tests read it
        self._mailbox = JobMailbox()
        self._thread = WorkerThread()
        self._thread.setObjectName("jacgui-worker")
        self._worker = Worker(self._mailbox, backend)
        self._worker.moveToThread(self._thread)
        self._load_id = 0
        self._load_path = ""
        self._loading = False
        self._job_id = 0
        self._running_ids: set[int] = set()
        self._token: CancelToken | None = None
        self._last_job: JacobianJob | None = None
        self._result_job: JacobianJob | None = None
        self._last_result: JacobianResult | None = None
        self._shut_down = False
        self._user_cancelled = 0
        self._shutdown_hooks: list[Callable[[], None]] = []

        self._warm_up.connect(self._worker.warm_up)
        self._load.connect(self._worker.load_model)
        self._compute.connect(self._worker.compute_latest)
        w = self._worker
        w.tf_ready.connect(self.tf_ready)  # signal to signal: queued, as for a slot
        w.tf_failed.connect(self.tf_failed)
        w.model_loaded.connect(self._on_model_loaded)
        w.model_failed.connect(self._on_model_failed)
        w.started.connect(self._on_started)
        w.progress.connect(self._on_progress)
        w.result.connect(self._on_result)
        w.failed.connect(self._on_failed)
        w.cancelled.connect(self._on_cancelled)
        self._checks = CrossChecks(w, self)
        self._checks.checked.connect(self.cross_checked)
        self._checks.check_failed.connect(self.cross_check_failed)

        self._edits = EditScheduler(
            self.compute_now, lambda: self.is_busy, DEBOUNCE_MS, LIVE_INTERVAL_MS, self
        )

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker thread and import TensorFlow there."""
        if not self._thread.isRunning():
            self._thread.start()
            self._warm_up.emit()

    def shutdown(self) -> bool:
        """Cancel everything and stop the thread; waits for the current chunk to end.

        Returns whether the thread stopped within :data:`SHUTDOWN_WAIT_MS`. A model stuck
        inside one chunk (an endless loop) cannot be interrupted; the caller then exits
        without waiting rather than hang.
        """
        if self._shut_down:
            return self._thread.isFinished()
        self._shut_down = True
        self._edits.stop()
        self._mailbox.clear()
        for hook in self._shutdown_hooks:  # e.g. cancel a long analysis between its batches
            hook()
        if self._token is not None:
            self._token.cancel()
        # quit() directly before wait(): a queued quit can deadlock the wait (stack-facts §3).
        self._thread.quit()
        return self._thread.wait(SHUTDOWN_WAIT_MS)

    def adopt(self, worker: QObject, on_shutdown: Callable[[], None] | None = None) -> None:
        """Move ``worker`` into the worker thread (TF/Keras state is thread-local, so every
        model call shares it); ``on_shutdown`` runs at the start of :meth:`shutdown`."""
        worker.moveToThread(self._thread)
        if on_shutdown is not None:
            self._shutdown_hooks.append(on_shutdown)

    @property
    def result_job(self) -> JacobianJob | None:
        """The job whose result was last shown (its model, point, input and output)."""
        return self._result_job

    @property
    def is_busy(self) -> bool:
        """Whether a wanted computation is queued or running."""
        return self._job_id in self._running_ids

    @property
    def live_pending(self) -> bool:
        """Whether a live edit waits for the running job or the live interval."""
        return self._edits.live_pending

    @property
    def is_loading(self) -> bool:
        """Whether a model load is in flight."""
        return self._loading

    @property
    def current_job_id(self) -> int:
        """Id of the newest compute request."""
        return self._job_id

    # -- models -------------------------------------------------------------------------------
    def open_model(self, path: str, unsafe: bool = False) -> int:
        """Load ``path`` in the worker; only the newest load request is honoured."""
        # The worker does one thing at a time: stop the old model's Jacobian at its next chunk
        # so the new model loads now instead of after it (its result would be stale anyway).
        self._edits.drop_pending()
        if self._token is not None:
            self._token.cancel()
        self._load_id += 1
        self._load_path = str(path)
        self._set_loading(True)
        self._load.emit(self._load_id, str(path), unsafe)
        return self._load_id

    # -- Jacobians ----------------------------------------------------------------------------
    def schedule(self, live: bool = False) -> None:
        """Recompute after :data:`DEBOUNCE_MS` without further changes.

        With ``live`` (a slider being dragged) compute the newest state as soon as the running
        job is done, at most every :data:`LIVE_INTERVAL_MS`, without cancelling it: states
        edited meanwhile coalesce into the one job that follows.
        """
        if not self._shut_down:
            self._edits.schedule(live)

    @Slot()
    def compute_now(self) -> int | None:
        """Cancel any running job and compute the current state; returns the job id."""
        self._edits.drop_pending()
        if self._shut_down or self.model is None:
            return None
        fields = self.job_source()
        if fields is None:
            return None
        return self.submit(job_from_fields(self.model, fields))

    def submit(self, job: JacobianJob) -> int:
        """Run ``job`` (its ``job_id`` is replaced); any earlier job is cancelled."""
        if self._token is not None:
            self._token.cancel()
        self._job_id += 1
        job = dataclasses.replace(job, job_id=self._job_id)
        self._token = CancelToken()
        self._last_job = job
        self._running_ids.add(job.job_id)
        self._mailbox.post(job, self._token)
        self._compute.emit()
        self.busy_changed.emit(True)
        return job.job_id

    @Slot()
    def cancel(self) -> None:
        """Stop the current computation at its next chunk boundary."""
        self._edits.drop_pending()
        if self._token is not None:
            self._token.cancel()
            # A result that still arrives (the last chunk was running) is reported as cancelled:
            # after Cancel the display does not change.
            self._user_cancelled = self._job_id

    def request_cross_check(self, row: int, col: int) -> int | None:
        """Check cell (row, col) of the displayed result by the other method family."""
        return self._checks.request(self._result_job, self._last_result, row, col)

    # -- worker answers -----------------------------------------------------------------------
    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loading_changed.emit(loading)

    @Slot(int, object)
    def _on_model_loaded(self, request_id: int, handle: object) -> None:
        if request_id != self._load_id:
            return
        self._set_loading(False)
        self.model = handle  # type: ignore[assignment]
        self.model_path = self._load_path
        self.model_loaded.emit(handle)

    @Slot(int, str, str, bool)
    def _on_model_failed(self, request_id: int, path: str, message: str, trust: bool) -> None:
        if request_id != self._load_id:
            return
        self._set_loading(False)
        self.model_failed.emit(path, message, trust)

    @Slot(int, object)
    def _on_started(self, job_id: int, plan: object) -> None:
        if job_id == self._job_id:
            self.job_started.emit(job_id, plan)

    @Slot(object)
    def _on_progress(self, progress: Progress) -> None:
        if progress.job_id == self._job_id:
            self.progress.emit(progress.done, progress.total)

    def _finish(self, job_id: int) -> bool:
        """Forget ``job_id``; True when it is the newest job (its answer is wanted)."""
        self._running_ids.discard(job_id)
        current = job_id == self._job_id
        if current:
            self.busy_changed.emit(False)
            self._edits.job_done()
        return current

    @Slot(int, object)
    def _on_result(self, job_id: int, result: JacobianResult) -> None:
        if not self._finish(job_id):
            self.dropped_results += 1
            return
        if job_id == self._user_cancelled:
            self.cancelled.emit(job_id)
            return
        self._result_job = self._last_job
        self._last_result = result
        self.result_ready.emit(result)

    @Slot(int, str)
    def _on_failed(self, job_id: int, message: str) -> None:
        if self._finish(job_id):
            self.failed.emit(message)

    @Slot(int)
    def _on_cancelled(self, job_id: int) -> None:
        if self._finish(job_id):
            self.cancelled.emit(job_id)
