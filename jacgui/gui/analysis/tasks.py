"""Analysis jobs on the one worker thread: job ids per kind, stale answers dropped, cancel.

The :class:`TaskWorker` lives in the controller's worker thread (TensorFlow and Keras state is
thread-local, so every model call must happen there) and only turns a prepared core call into
signals. The :class:`TaskRunner` lives in the GUI thread: it numbers every request per *kind*
(``"slice"``, ``"global"``, ...), cancels the previous request of the same kind, and re-emits
only the newest answer of each kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from jacgui.core.errors import JacobianCancelled
from jacgui.core.job import CancelToken, Progress

from ..worker import describe_exception, log_traceback

__all__ = ["TaskCall", "TaskRequest", "TaskRunner", "TaskWorker"]

#: A core call: ``call(progress, cancel) -> result``; runs in the worker thread.
TaskCall = Callable[[Callable[[Progress], None], CancelToken], Any]


@dataclass(frozen=True)
class TaskRequest:
    """One analysis job for the worker thread."""

    task_id: int
    kind: str
    call: TaskCall
    token: CancelToken


class TaskWorker(QObject):
    """Runs :class:`TaskRequest` calls in the worker thread and reports each outcome."""

    progress = Signal(int, int, int)  # task id, done, total
    finished = Signal(int, object)  # task id, result
    failed = Signal(int, str)  # task id, message
    cancelled = Signal(int)  # task id

    @Slot(object)
    def run(self, request: TaskRequest) -> None:
        """Run ``request``; emits exactly one of finished, failed or cancelled."""
        if request.token.cancelled:
            self.cancelled.emit(request.task_id)
            return

        def report(progress: Progress) -> None:
            self.progress.emit(request.task_id, int(progress.done), int(progress.total))

        try:
            value = request.call(report, request.token)
        except JacobianCancelled:
            self.cancelled.emit(request.task_id)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            log_traceback(exc)
            self.failed.emit(request.task_id, describe_exception(exc))
        else:
            if request.token.cancelled:  # a cancel always ends in "cancelled"
                self.cancelled.emit(request.task_id)
            else:
                self.finished.emit(request.task_id, value)


class TaskRunner(QObject):
    """GUI-thread side of the analysis jobs.

    Parameters
    ----------
    controller : Controller
        Supplies the worker thread (:meth:`Controller.adopt`); on shutdown every job is
        cancelled first so the thread stops at the next batch boundary.

    Signals
    -------
    task_started(str, int), task_progress(str, int, int), task_finished(str, object),
    task_failed(str, str), task_cancelled(str)
        Per kind; only the newest request of each kind is reported.
    """

    task_started = Signal(str, int)
    task_progress = Signal(str, int, int)
    task_finished = Signal(str, object)
    task_failed = Signal(str, str)
    task_cancelled = Signal(str)

    _run = Signal(object)

    def __init__(self, controller: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = TaskWorker()
        controller.adopt(self._worker, self._shutdown)
        self._run.connect(self._worker.run)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.cancelled.connect(self._on_cancelled)
        self._next_id = 0
        self._latest: dict[str, int] = {}
        self._kinds: dict[int, str] = {}
        self._tokens: dict[str, CancelToken] = {}
        self.dropped = 0  # stale answers thrown away; tests read it

    def submit(self, kind: str, call: TaskCall) -> int:
        """Run ``call`` for ``kind``; an earlier request of that kind is cancelled."""
        self.cancel(kind)
        self._next_id += 1
        token = CancelToken()
        self._latest[kind] = self._next_id
        self._kinds[self._next_id] = kind
        self._tokens[kind] = token
        self._run.emit(TaskRequest(self._next_id, kind, call, token))
        self.task_started.emit(kind, self._next_id)
        return self._next_id

    def cancel(self, kind: str) -> None:
        """Ask the running job of ``kind`` to stop at its next batch boundary."""
        token = self._tokens.get(kind)
        if token is not None:
            token.cancel()

    def cancel_all(self) -> None:
        """Cancel every job (called when the window closes)."""
        for token in self._tokens.values():
            token.cancel()

    def _shutdown(self) -> None:
        # Cancel, and let the worker thread delete its own object when its loop ends: deleting
        # it later from the main thread (at interpreter exit) segfaulted about half the time.
        self.cancel_all()
        self._worker.deleteLater()

    def is_busy(self, kind: str) -> bool:
        """Whether a request of ``kind`` is queued or running."""
        return kind in self._tokens

    def _wanted(self, task_id: int) -> str | None:
        kind = self._kinds.pop(task_id, None)
        if kind is None or self._latest.get(kind) != task_id:
            self.dropped += 1
            return None
        self._tokens.pop(kind, None)
        return kind

    @Slot(int, int, int)
    def _on_progress(self, task_id: int, done: int, total: int) -> None:
        kind = self._kinds.get(task_id)
        if kind is not None and self._latest.get(kind) == task_id:
            self.task_progress.emit(kind, done, total)

    @Slot(int, object)
    def _on_finished(self, task_id: int, value: object) -> None:
        if (kind := self._wanted(task_id)) is not None:
            self.task_finished.emit(kind, value)

    @Slot(int, str)
    def _on_failed(self, task_id: int, message: str) -> None:
        if (kind := self._wanted(task_id)) is not None:
            self.task_failed.emit(kind, message)

    @Slot(int)
    def _on_cancelled(self, task_id: int) -> None:
        if (kind := self._wanted(task_id)) is not None:
            self.task_cancelled.emit(kind)
