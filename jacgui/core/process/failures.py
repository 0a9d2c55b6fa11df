"""The one-line messages for the ways an engine job can end badly, and their exceptions.

Everything the engine says is text from a process that may be running a stranger's code, so it
is escaped (:func:`clean`) before it goes into a message.
"""

from __future__ import annotations

from typing import Any

from ..errors import (
    EngineCrashedError,
    EngineInternalError,
    EngineMemoryError,
    EngineTimeoutError,
    JacobianCancelled,
)
from . import protocol
from .child import EngineProcess
from .jobs import EngineJob
from .sandbox import format_bytes

__all__ = ["clean", "crash_failures", "fatal_line", "line_of", "remote_error", "start_failure",
           "timeout_error", "with_suffix"]


def remote_error(job: EngineJob, message: dict[str, Any], memory_limit: int) -> BaseException:
    """The exception for an ``error`` message of the engine about ``job``."""
    kind, text = message["kind"], clean(message["message"])
    if job.timed_out:
        return timeout_error(job)
    if kind == "user":
        return protocol.USER_ERRORS[message["error_class"]](text)
    if kind == "cancelled":
        return JacobianCancelled(text or "cancelled")
    if kind == "memory":
        return EngineMemoryError(
            f"the engine exceeded its memory limit of {format_bytes(memory_limit)} "
            f"while {job.what} ({text})", what=job.what, cause="memory limit")
    return EngineInternalError(f"{text} (in the engine)", message["traceback"])


def crash_failures(engine: EngineProcess, reason: str, pending: list[EngineJob],
                   memory_limit: int) -> list[tuple[EngineJob, BaseException]]:
    """What each job still on a lost ``engine`` fails with (``reason``: a protocol error)."""
    running = next((job for job in pending if job.started_at is not None), None)
    what = running.what if running is not None else "idle"
    killed, detail = engine.kill_reason or ("", None)
    cause = engine.exit_cause()
    if killed == "memory":
        text = (f"the engine exceeded its memory limit of {format_bytes(memory_limit)}"
                f" while {what}")
        first: type[EngineCrashedError] = EngineMemoryError
    elif killed in ("cancel", "timeout"):
        text = f"the engine was stopped because {what} did not respond to cancel"
        first = EngineCrashedError
    elif reason:
        cause = "protocol error"
        text = f"the engine sent a malformed message while {what} ({clean(reason, 100)})"
        first = EngineCrashedError
    else:
        if (hint := fatal_line(engine.stderr_tail())) is not None:
            cause = f"{cause}: {hint}"
        if (memory_limit and engine.peak_rss >= 0.75 * memory_limit
                and engine.returncode is not None and engine.returncode < 0):
            cause += (f"; near its memory limit of {format_bytes(memory_limit)}, "
                      f"peak {format_bytes(engine.peak_rss)}")
        text = f"the engine crashed while {what} ({cause})"
        first = EngineCrashedError
    failures: list[tuple[EngineJob, BaseException]] = []
    for job in pending:
        if job is running or (running is None and killed in ("cancel", "timeout")
                              and detail == job.job_id):
            if killed == "cancel" and detail == job.job_id:
                failure: BaseException = JacobianCancelled("cancelled; the engine was "
                                                           "stopped to end it")
            elif killed == "timeout" and detail == job.job_id:
                failure = timeout_error(job)
            else:
                failure = first(text, what=what, cause=cause)
        else:
            failure = EngineCrashedError(f"not run: {text}", what=what, cause=cause)
        failures.append((job, failure))
    return failures

@staticmethod
def _timeout_error(job: EngineJob) -> EngineTimeoutError:
    return EngineTimeoutError(f"{job.what} did not finish within {job.timeout:g} s; stopped")


def timeout_error(job: EngineJob) -> EngineTimeoutError:
    """``computing reverse mode did not finish within 5 s; stopped``."""
    return EngineTimeoutError(f"{job.what} did not finish within {job.timeout:g} s; stopped")


def start_failure(engine: EngineProcess) -> EngineInternalError:
    """The error of an engine that ended before its handshake (a broken installation)."""
    tail = [text for text in engine.stderr_tail() if text.strip()]
    detail = clean(tail[-1], 200) if tail else engine.exit_cause()
    return EngineInternalError(f"the engine failed to start ({engine.exit_cause()}): {detail}",
                               "\n".join(engine.stderr_tail()))


def with_suffix(error: BaseException, suffix: str, restarted: bool) -> BaseException:
    """``error`` with ``suffix`` appended to its one-line message (same class and fields)."""
    if not suffix:
        return error
    text = f"{error}{suffix}"
    if isinstance(error, EngineCrashedError):
        return type(error)(text, what=error.what, cause=error.cause, restarted=restarted,
                           reload_error=None if restarted else suffix.split(": ", 1)[-1])
    return type(error)(text)


_FATAL = ("free(): ", "malloc(): ", "malloc assertion", "double free", "corrupted ",
          "Check failed", "terminate called", "what():", "dnnl", "Segmentation fault",
          "Illegal instruction", "Aborted")


def fatal_line(lines: list[str]) -> str | None:
    """The last stderr line that names a native failure ("free(): invalid pointer")."""
    for line in reversed(lines):
        if any(marker in line for marker in _FATAL) and not line.startswith("Fatal Python"):
            return clean(line, 100)
    return None


def clean(text: str, limit: int = 300) -> str:
    """One printable line from engine text: control characters escaped, shortened."""
    line = " ".join(text.split())
    line = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in line)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def line_of(error: BaseException) -> str:
    """One clean line for ``error``."""
    return clean(str(error) or type(error).__name__, 200)
