"""One request to the engine as the caller sees it: :class:`EngineJob`.

A job is created by :class:`~.client.EngineClient` and finished exactly once, on one of the
client's threads, with its value or its error; the caller may wait for it, read it, or be called
back.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from ..job import Progress
from .child import EngineProcess

__all__ = ["Done", "EngineJob", "ProgressHandler", "guarded"]

#: ``on_done(value, error)``: exactly one of them is not ``None`` (a value may be ``None``).
Done = Callable[[Any, BaseException | None], None]
ProgressHandler = Callable[[Progress], None]
_PROGRESS_INTERVAL = 0.01


class EngineJob:
    """One request to the engine: its id and, once it is done, its value or its error.

    Attributes
    ----------
    job_id : int
        The id to pass to :meth:`EngineClient.cancel`.
    op : str
        The operation (``"load"`` for :meth:`EngineClient.submit_open`).
    what : str
        What the engine is doing for it, as it last said ("computing reverse mode").
    cancel_seen : threading.Event
        Set when the engine acknowledged :meth:`cancel` (it stops at its next chunk boundary).
    finished_at, received_at : float or None
        ``time.monotonic()`` when the engine had the answer and when it was decoded here (the
        cost of the process boundary; the engine's clock is trusted for diagnostics only).
    """

    def __init__(self, cancel: Callable[[int], None], job_id: int, op: str, what: str,
                 on_progress: ProgressHandler | None, on_done: Done | None,
                 timeout: float | None) -> None:
        self.job_id, self.op, self.what = job_id, op, what
        self.timeout = timeout
        self.engine: EngineProcess | None = None
        self.started_at: float | None = None
        self.cancel_requested = False
        self.cancel_seen = threading.Event()  # the engine got the cancel
        self.cancel_deadline: float | None = None
        self.timed_out = False
        self.finished_at: float | None = None
        self.received_at: float | None = None
        self._cancel = cancel
        self._on_progress, self._on_done = on_progress, on_done
        self._last_progress = 0.0
        self._event = threading.Event()
        self._value: Any = None
        self._error: BaseException | None = None

    def done(self) -> bool:
        """Whether the job has its answer."""
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the answer; ``False`` when ``timeout`` seconds passed first."""
        return self._event.wait(timeout)

    def result(self, timeout: float | None = None) -> Any:
        """The job's value; raises its error (or ``TimeoutError`` if not done in time)."""
        if not self._event.wait(timeout):
            raise TimeoutError(f"job {self.job_id} ({self.op}) is still running")
        if self._error is not None:
            raise self._error
        return self._value

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """The job's error, or ``None`` when it succeeded."""
        if not self._event.wait(timeout):
            raise TimeoutError(f"job {self.job_id} ({self.op}) is still running")
        return self._error

    def cancel(self) -> None:
        """Same as ``client.cancel(job.job_id)``."""
        self._cancel(self.job_id)

    def progress(self, progress: Progress) -> None:
        """Report ``progress`` to the caller, at most every 10 ms (the last one always)."""
        now = time.monotonic()
        if self._on_progress is None or (now - self._last_progress < _PROGRESS_INTERVAL
                                         and progress.done < progress.total):
            return  # a flood of progress must not flood the window
        self._last_progress = now
        guarded(self._on_progress, progress)

    def finish(self, value: Any, error: BaseException | None) -> bool:
        """Record the answer and call back; ``False`` when the job already had one."""
        if self._event.is_set():
            return False
        self._value, self._error = value, error
        self._event.set()
        if self._on_done is not None:
            guarded(self._on_done, value, error)
        return True


def guarded(callback: Callable[..., Any], *args: Any) -> None:
    """Call back without letting the callback's exception kill the client's thread."""
    try:
        callback(*args)
    except Exception:  # a caller's bug must not stop the engine channel
        traceback.print_exc(file=sys.stderr)
