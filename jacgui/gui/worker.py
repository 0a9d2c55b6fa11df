"""The one background thread: it imports TensorFlow, loads models and computes Jacobians.

Loading and computing share one long-lived thread because Keras settings and GradientTapes are
thread-local. The worker only turns core calls into signals; it never touches a widget. Its
signals must be connected to slots of QObjects living in the GUI thread: a lambda connected to
them would run in this worker thread.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from jacgui.core.errors import JacguiError, JacobianCancelled, UnsafeModelError
from jacgui.core.job import CancelToken, JacobianJob, Progress


def debug_enabled() -> bool:
    """Whether ``JACGUI_DEBUG=1`` asks for tracebacks on stderr."""
    return os.environ.get("JACGUI_DEBUG", "") not in ("", "0")


def describe_exception(exc: BaseException) -> str:
    """One line for the user: the message of a :class:`JacguiError`, else type and message."""
    if isinstance(exc, JacguiError):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first if len(first) <= 300 else first[:297] + "…"


def log_traceback(exc: BaseException) -> None:
    """Print the traceback to stderr, but only in debug mode."""
    if debug_enabled():
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)


class Backend:
    """The core calls the worker makes; tests substitute a slower or failing one.

    Every method runs in the worker thread, so TensorFlow is imported there and never in the
    GUI thread.
    """

    def warm_up(self) -> str:
        """Import TensorFlow and describe the compute device, e.g. ``"CPU"``."""
        from jacgui.core import _tf

        tf = _tf.tf()
        _tf.keras()
        names = []
        for gpu in tf.config.list_physical_devices("GPU"):
            details = tf.config.experimental.get_device_details(gpu)
            names.append(details.get("device_name", gpu.name.split(":", 1)[-1]))
        if names:
            return "GPU: " + ", ".join(names)
        logical = tf.config.list_logical_devices()
        return "CPU" if not logical else ", ".join(sorted({d.device_type for d in logical}))

    def load_model(self, path: str, unsafe: bool) -> Any:
        """Load a model file or folder into a :class:`ModelHandle`."""
        from jacgui.core.loading import load_model

        return load_model(path, unsafe=unsafe)

    def plan_job(self, job: JacobianJob) -> Any:
        """The engine's plan (method, chunking, memory) for ``job``; ``None`` if unavailable."""
        from jacgui.core.engine import plan_job

        return plan_job(job)

    def run_job(self, job: JacobianJob, progress: Any, cancel: CancelToken) -> Any:
        """Compute the Jacobian of ``job`` in chunks, checking ``cancel`` between them."""
        from jacgui.core.engine import run_job

        return run_job(job, progress=progress, cancel=cancel)

    def cross_check(self, request: CrossCheckRequest) -> Any:
        """Recompute one cell by the other method family."""
        from jacgui.core.cell import cross_check

        return cross_check(
            request.model,
            dict(request.point),
            request.row,
            request.col,
            input=request.input,
            output=request.output,
            method_used=request.method_used,
            value=request.value,
        )


@dataclass(frozen=True)
class CrossCheckRequest:
    """One cell to verify by the other method family."""

    request_id: int
    model: Any
    point: Any
    row: int
    col: int
    input: str
    output: str
    method_used: str
    value: float | None = None


class JobMailbox:
    """Holds only the newest compute request, so that queued requests coalesce.

    The GUI thread posts a job and then pokes the worker; when the worker gets round to it, it
    takes whatever is newest. Two pokes for one job leave the second with nothing to do.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._job: tuple[JacobianJob, CancelToken] | None = None

    def post(self, job: JacobianJob, token: CancelToken) -> None:
        """Replace any waiting job by ``job``."""
        with self._lock:
            if self._job is not None:
                self._job[1].cancel()
            self._job = (job, token)

    def take(self) -> tuple[JacobianJob, CancelToken] | None:
        """Remove and return the waiting job, if any."""
        with self._lock:
            job, self._job = self._job, None
            return job

    def clear(self) -> None:
        """Drop the waiting job (on shutdown)."""
        with self._lock:
            if self._job is not None:
                self._job[1].cancel()
            self._job = None


class Worker(QObject):
    """Runs core calls in its thread and reports each outcome as a signal.

    Parameters
    ----------
    mailbox : JobMailbox
        Where the GUI thread leaves the newest compute request.
    backend : Backend, optional
        The core calls to make; tests pass a fake.
    """

    tf_ready = Signal(str)  # device description
    tf_failed = Signal(str)
    model_loaded = Signal(int, object)  # request id, ModelHandle
    model_failed = Signal(int, str, str, bool)  # request id, path, message, needs trust
    started = Signal(int, object)  # job id, plan (or None)
    progress = Signal(object)  # Progress
    result = Signal(int, object)  # job id, JacobianResult
    failed = Signal(int, str)  # job id, message
    cancelled = Signal(int)  # job id
    cross_checked = Signal(int, object)  # request id, CrossCheck
    cross_check_failed = Signal(int, str)

    def __init__(self, mailbox: JobMailbox, backend: Backend | None = None) -> None:
        super().__init__()
        self._mailbox = mailbox
        self._backend = backend if backend is not None else Backend()

    @Slot()
    def warm_up(self) -> None:
        """Import TensorFlow; emits ``tf_ready`` or ``tf_failed``."""
        try:
            device = self._backend.warm_up()
        except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
            log_traceback(exc)
            self.tf_failed.emit(describe_exception(exc))
        else:
            self.tf_ready.emit(device)

    @Slot(int, str, bool)
    def load_model(self, request_id: int, path: str, unsafe: bool) -> None:
        """Load ``path``; emits ``model_loaded`` or ``model_failed``."""
        try:
            handle = self._backend.load_model(path, unsafe)
        except UnsafeModelError as exc:
            self.model_failed.emit(request_id, path, describe_exception(exc), True)
        except BaseException as exc:  # noqa: BLE001 - a model may raise anything; never hang busy
            log_traceback(exc)
            self.model_failed.emit(request_id, path, describe_exception(exc), False)
        else:
            self.model_loaded.emit(request_id, handle)

    @Slot()
    def compute_latest(self) -> None:
        """Run the newest waiting job, if any; emits one of result, failed or cancelled."""
        taken = self._mailbox.take()
        if taken is None:
            return  # an earlier poke already ran the newest job
        job, token = taken
        if token.cancelled:
            self.cancelled.emit(job.job_id)
            return
        try:
            try:
                plan = self._backend.plan_job(job)
            except JacguiError:
                raise
            except Exception:  # noqa: BLE001 - the plan only feeds the status bar
                plan = None
            self.started.emit(job.job_id, plan)
            result = self._backend.run_job(job, self.progress.emit, token)
        except JacobianCancelled:
            self.cancelled.emit(job.job_id)
        except BaseException as exc:  # noqa: BLE001 - a model may raise anything; never hang busy
            log_traceback(exc)
            self.failed.emit(job.job_id, describe_exception(exc))
        else:
            # Even if cancelled during the last chunk: the controller drops it when stale.
            self.result.emit(job.job_id, result)

    @Slot(object)
    def cross_check(self, request: CrossCheckRequest) -> None:
        """Verify one cell; emits ``cross_checked`` or ``cross_check_failed``."""
        try:
            check = self._backend.cross_check(request)
        except BaseException as exc:  # noqa: BLE001 - a model may raise anything; never hang busy
            log_traceback(exc)
            self.cross_check_failed.emit(request.request_id, describe_exception(exc))
        else:
            self.cross_checked.emit(request.request_id, check)


__all__ = ["Backend", "CrossCheckRequest", "JobMailbox", "Progress", "Worker"]
