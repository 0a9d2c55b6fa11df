"""The one job runner of the window: engine jobs by kind, the newest of each kind wins.

The runner lives in the GUI thread and owns the window's connection to the engine (a child
process in the application; an in-process stand-in in some tests). It numbers every request,
cancels the previous request of the same kind, and reports only the newest answer of each kind,
always in the GUI thread: the engine's callbacks arrive on another thread and are re-posted
through a queued signal.
"""

from __future__ import annotations

import itertools
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal, Slot

from jacgui.core.errors import (
    EngineCrashedError,
    JacobianCancelled,
    UnsafeModelError,
)
from jacgui.core.reasons import one_line

__all__ = ["EngineLink", "JobRunner"]

Done = Callable[[Any, BaseException | None], None]
Progress = Callable[[int, int], None]


class EngineLink(Protocol):
    """What the runner needs from an engine; callbacks may run on any thread."""

    def start(self, on_ready: Done) -> None:
        """Start the engine; ``on_ready(status, error)`` once it can load models."""

    def open_model(self, path: str, unsafe: bool, done: Done) -> None:
        """Load ``path``; ``done(model_info, error)``."""

    def submit(self, op: str, args: dict[str, Any], progress: Progress, done: Done) -> int:
        """Run operation ``op`` of the loaded model; returns a job id."""

    def cancel(self, job_id: int) -> None:
        """Stop job ``job_id`` (cooperatively first; by restarting the engine if need be)."""

    def close(self) -> None:
        """Stop the engine."""


class JobRunner(QObject):
    """Submits engine jobs and reports the newest answer of each kind in the GUI thread.

    Parameters
    ----------
    link : EngineLink
    parent : QObject, optional

    Signals
    -------
    engine_ready(object, str)
        The engine's status (or ``None``) and an error message (empty when it started).
    model_opened(object, str)
        The ModelInfo of a loaded model, and the path as the user named it.
    model_failed(str, str, bool)
        Path, one-line message, and whether loading needs the user's trust.
    started(str)
        A job of this kind was submitted.
    progress(str, int, int)
        Kind, chunks done, chunks in all.
    finished(str, object, object)
        Kind, the job's value, and the context given to :meth:`submit`.
    failed(str, str)
        Kind and a one-line message.
    cancelled(str)
        The newest job of this kind was cancelled.
    crashed(str)
        The newest job of this kind ended because the engine process died (it was restarted);
        sent just before ``failed`` for that job.
    """

    engine_ready = Signal(object, str)
    model_opened = Signal(object, str)
    model_failed = Signal(str, str, bool)
    started = Signal(str)
    progress = Signal(str, int, int)
    finished = Signal(str, object, object)
    failed = Signal(str, str)
    cancelled = Signal(str)
    crashed = Signal(str)

    # Re-posts a callback from the engine's thread into this object's (the GUI) thread.
    _post = Signal(object)

    def __init__(self, link: EngineLink, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._link = link
        self._ids = itertools.count(1)
        self._latest: dict[str, int] = {}  # kind -> newest request id
        self._engine_jobs: dict[int, int] = {}  # request id -> engine job id
        self._load_request = 0
        self._closed = False
        self.dropped = 0  # answers of superseded requests; tests read it
        self._post.connect(self._deliver)

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start the engine (its answer arrives as ``engine_ready``)."""
        self._link.start(lambda status, error: self._post.emit(
            lambda: self.engine_ready.emit(status, "" if error is None
                                           else one_line(error))))

    def shutdown(self) -> None:
        """Cancel everything and stop the engine; answers still in flight are dropped."""
        if self._closed:
            return
        self._closed = True
        self.cancel_all()
        self._link.close()

    # -- models -------------------------------------------------------------------------------
    def open_model(self, path: str, unsafe: bool = False) -> None:
        """Load ``path``; only the newest load is reported."""
        self._load_request += 1
        request = self._load_request

        def done(info: Any, error: BaseException | None) -> None:
            self._post.emit(lambda: self._loaded(request, path, info, error))

        self._link.open_model(path, unsafe, done)

    def _loaded(self, request: int, path: str, info: Any, error: BaseException | None) -> None:
        if request != self._load_request or self._closed:
            return
        if error is None:
            self.model_opened.emit(info, path)
            return
        _log(error)
        self.model_failed.emit(path, one_line(error), isinstance(error, UnsafeModelError))

    # -- jobs ---------------------------------------------------------------------------------
    def submit(self, kind: str, op: str, args: dict[str, Any], context: Any = None) -> int:
        """Run ``op`` with ``args`` as the newest job of ``kind``; an older one is cancelled.

        ``context`` comes back with the answer (what the job was for: a request, a cell).
        """
        self.cancel(kind)
        request = next(self._ids)
        self._latest[kind] = request

        def progress(done: int, total: int) -> None:
            self._post.emit(lambda: self._progressed(kind, request, done, total))

        def done(value: Any, error: BaseException | None) -> None:
            self._post.emit(lambda: self._done(kind, request, context, value, error))

        self._engine_jobs[request] = self._link.submit(op, args, progress, done)
        self.started.emit(kind)
        return request

    def cancel(self, kind: str) -> None:
        """Stop the newest job of ``kind``, if it still runs."""
        request = self._latest.get(kind)
        job = self._engine_jobs.get(request) if request is not None else None
        if job is not None:
            self._link.cancel(job)

    def cancel_all(self) -> None:
        """Stop the newest job of every kind that still runs."""
        for kind in list(self._latest):
            self.cancel(kind)

    def is_busy(self, kind: str) -> bool:
        """Whether the newest job of ``kind`` has not answered yet."""
        request = self._latest.get(kind)
        return request is not None and request in self._engine_jobs

    def _progressed(self, kind: str, request: int, done: int, total: int) -> None:
        if self._latest.get(kind) == request and not self._closed:
            self.progress.emit(kind, int(done), int(total))

    def _done(self, kind: str, request: int, context: Any, value: Any,
              error: BaseException | None) -> None:
        self._engine_jobs.pop(request, None)
        if self._latest.get(kind) != request or self._closed:
            self.dropped += 1
            return
        if isinstance(error, JacobianCancelled):
            self.cancelled.emit(kind)
        elif error is not None:
            _log(error)
            if isinstance(error, EngineCrashedError):
                self.crashed.emit(kind)
            self.failed.emit(kind, one_line(error))
        else:
            self.finished.emit(kind, value, context)

    @Slot(object)
    def _deliver(self, call: Callable[[], None]) -> None:
        call()


def _log(error: BaseException) -> None:
    # Our own bugs keep their traceback for developers (JACGUI_DEBUG=1); users see one line.
    if os.environ.get("JACGUI_DEBUG", "") not in ("", "0"):
        traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
