"""The parent's side of the engine process: :class:`EngineClient`.

The window and the command line load and run models only through this client; their own
process never imports TensorFlow and never unpickles what the engine sends (see
:mod:`.wire` and :mod:`.codec`)::

    client = EngineClient()                       # spawns the engine now, returns at once
    ...                                           # import Qt, parse arguments, read files
    info = client.open_model("model.keras")       # ModelInfo (blocks); same errors as in-process
    result = client.call("jacobian", {"point": x, "method": "reverse"})
    job = client.submit("compare", {"point": x}, on_progress=show, on_done=done)
    client.cancel(job.job_id)                     # between chunks; after a grace, kill + restart
    client.close()

Operations and their arguments are those of :data:`.operations.OPERATIONS`: the keyword
arguments of the public function of the same name, without the model.

Threads. ``on_progress``, ``on_done`` and ``on_ready`` callbacks run on one of the client's
threads (a GUI wraps them in queued signals) and must not call the blocking methods
(:meth:`~EngineClient.call`, :meth:`~EngineClient.open_model`, :meth:`~EngineClient.wait_ready`).
Every other method may be called from any thread.

Failures. When the engine dies while it holds jobs, the running job fails with
:class:`~jacgui.core.errors.EngineCrashedError` ("the engine crashed while computing reverse
mode (SIGSEGV); restarted"), jobs waiting behind it fail with a "not run: ..." message, and (with
``auto_restart``) a fresh engine reloads the model before those failures are reported, so the
message says whether that worked. A job that does not stop within ``cancel_grace`` seconds of
:meth:`~EngineClient.cancel` (or of its ``timeout``) is stopped by killing the engine, with the
same restart. An engine whose resident memory goes more than :data:`RSS_HEADROOM` over the
memory limit (shared memory escapes ``RLIMIT_DATA``) is killed with "the engine exceeded its
memory limit of N GiB".
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import (
    EngineInternalError,
    EngineTimeoutError,
    JacguiError,
    JacobianCancelled,
    ModelLoadError,
)
from ..job import CancelToken, Progress
from ..model_info import ModelInfo
from . import codec
from .child import EngineProcess
from .failures import (
    clean,
    crash_failures,
    line_of,
    remote_error,
    start_failure,
    timeout_error,
    with_suffix,
)
from .jobs import Done, EngineJob, ProgressHandler, guarded
from .operations import OPERATIONS
from .sandbox import default_memory_limit, format_bytes
from .wire import ProtocolError

__all__ = ["CANCEL_GRACE", "EngineClient", "EngineJob", "EngineStatus"]

#: Seconds a cancelled (or timed-out) job may take to reach its next chunk boundary before the
#: engine is killed. Chunks are sized to take well under this (benchmarks/engine_process.py).
CANCEL_GRACE = 1.0
#: Resident memory allowed over the limit before the watchdog kills the engine: mapped library
#: code (about 300 MB for TensorFlow) is resident but not counted by ``RLIMIT_DATA``.
RSS_HEADROOM = 512 << 20
#: The smallest memory limit an engine can work under (TensorFlow alone resides in ~0.7 GiB).
MIN_MEMORY_LIMIT = 1 << 30
#: Idle seconds after a model loads before a spare engine is started (``spare=True``).
SPARE_DELAY = 1.0


@dataclass(frozen=True)
class EngineStatus:
    """What an engine reported when it started (its handshake).

    Attributes
    ----------
    jacgui, python, tensorflow, keras, numpy : str
        Versions running in the engine.
    pid : int
    landlock_abi : int
        The kernel's Landlock ABI (0: no sandbox on this machine).
    sandbox : str
        One line: ``"Landlock ABI 7"`` or ``"no sandbox: ...; relying on the model scans"``.
    device : str
        ``"CPU"``, or a note that a GPU build picks its device when a model loads (the model's
        :attr:`ModelInfo.device` then says which).
    """

    jacgui: str
    python: str
    tensorflow: str
    keras: str
    numpy: str
    pid: int
    landlock_abi: int
    sandbox: str
    device: str

    @property
    def sandbox_available(self) -> bool:
        """Whether untrusted models run sandboxed on this machine."""
        return self.landlock_abi > 0


@dataclass(frozen=True)
class _OpenModel:
    path: str
    unsafe: bool
    info: ModelInfo


class EngineClient:
    """Runs models in a sandboxed child engine process.

    Parameters
    ----------
    spare : bool
        Keep a warm engine (TensorFlow imported, no model) for the next :meth:`open_model` and
        for restarts, so they do not wait for an import. Costs one more process (~600 MB) once
        a model has loaded; meant for the window.
    auto_restart : bool
        After a crash (or a kill to cancel a job), start a fresh engine and reload the model.
    memory_limit : int, optional
        The engine's memory ceiling in bytes (``RLIMIT_DATA`` plus a resident-memory watchdog);
        default half the physical memory (at least 2 GiB); 0 for none.
    cancel_grace : float
        Seconds a cancelled job may take before the engine is killed.
    start : bool
        Spawn the engine now (without waiting for it).

    Notes
    -----
    A window drives it asynchronously, with every callback re-posted to its GUI thread::

        client = EngineClient(spare=True)            # before importing Qt: TF imports meanwhile
        client.start(on_ready)                       # on_ready(EngineStatus, error)
        client.submit_open(path, unsafe=False, on_done=loaded)      # loaded(ModelInfo, error)
        job = client.submit("jacobian", {"point": {name: x}, "method": "auto"},
                            on_progress=progress, on_done=done)     # done(JacobianResult, error)
        client.cancel(job.job_id)                    # the newest job of a kind replaces the last
        client.close()                               # when the window closes

    The operations the window needs are ``jacobian``, ``cross_check``, ``slice``, ``sweep``,
    ``principal``, ``compare`` and ``global`` (:data:`.operations.OPERATIONS`).
    """

    def __init__(self, *, spare: bool = False, auto_restart: bool = True,
                 memory_limit: int | None = None, cancel_grace: float = CANCEL_GRACE,
                 start: bool = True) -> None:
        self.memory_limit = default_memory_limit() if memory_limit is None else int(memory_limit)
        self.cancel_grace = float(cancel_grace)
        self._want_spare = spare
        self._auto_restart = auto_restart
        self._echo = os.environ.get("JACGUI_DEBUG", "") not in ("", "0")
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._jobs: dict[int, EngineJob] = {}
        self._engine: EngineProcess | None = None  # holds the open model
        self._spare: EngineProcess | None = None  # warm, no model yet
        self._opening: tuple[EngineProcess, EngineJob] | None = None
        self._retiring: set[EngineProcess] = set()
        self._model: _OpenModel | None = None
        self._lost_model = ""  # why there is no model after a failed reload
        self._status: EngineStatus | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._ready_callbacks: list[Done] = []
        self._idle_since = time.monotonic()
        self._closed = False
        self._wake = threading.Event()
        threading.Thread(target=self._watch, name="jacgui-engine-monitor", daemon=True).start()
        if start:
            self.start()

    # -- life cycle ---------------------------------------------------------------------------
    def start(self, on_ready: Done | None = None) -> None:
        """Spawn an engine if none runs (returns at once).

        ``on_ready(status, error)`` is called once the engine's handshake arrived (an
        :class:`EngineStatus`), or with the error if it could not start.
        """
        with self._lock:
            self._check_open()
            if self._engine is None and self._opening is None and self._spare is None:
                self._spare = self._spawn()
            status, error = self._status, self._start_error
            if on_ready is not None and status is None and error is None:
                self._ready_callbacks.append(on_ready)
                return
        if on_ready is not None:
            guarded(on_ready, status, error)

    def wait_ready(self, timeout: float | None = None) -> EngineStatus:
        """Block until an engine has started; its :class:`EngineStatus`.

        Raises
        ------
        EngineInternalError
            When the engine could not start (a broken installation, not the model).
        TimeoutError
            When ``timeout`` seconds passed first.
        """
        self.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the engine did not start in time")
        if self._status is None:
            raise self._start_error or EngineInternalError("the engine did not start")
        return self._status

    def close(self) -> None:
        """Stop every engine at once; jobs still running fail with JacobianCancelled."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            engines = self._engines()
            jobs = list(self._jobs.values())
            self._jobs.clear()
            self._engine = self._spare = self._opening = None
            self._retiring.clear()
        for engine in engines:
            engine.close()
        for job in jobs:
            job.finish(None, JacobianCancelled("the engine was closed"))
        self._wake.set()
        deadline = time.monotonic() + 2.0
        for engine in engines:  # reaped, so no zombie or temporary folder outlives the client
            if not engine.wait_ended(max(0.0, deadline - time.monotonic())):
                engine.remove_private_dir()

    def __enter__(self) -> EngineClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def status(self) -> EngineStatus | None:
        """The handshake of the latest engine to start, once one has."""
        return self._status

    @property
    def model(self) -> ModelInfo | None:
        """The open model, or ``None``."""
        model = self._model
        return None if model is None else model.info

    @property
    def pid(self) -> int | None:
        """The process id of the engine holding the model (for tests and diagnostics)."""
        engine = self._engine
        return None if engine is None else engine.pid

    def engine_log(self, lines: int = 40) -> list[str]:
        """The last ``lines`` lines the engine holding the model wrote to stderr."""
        engine = self._engine or (self._opening[0] if self._opening else None)
        return [] if engine is None else engine.stderr_tail(lines)

    @property
    def spare_pid(self) -> int | None:
        """The process id of a warm spare engine that has finished starting, if any."""
        spare = self._spare
        return spare.pid if spare is not None and spare.status is not None else None

    # -- models -------------------------------------------------------------------------------
    def open_model(self, path: str | os.PathLike[str], *, unsafe: bool = False,
                   timeout: float | None = None) -> ModelInfo:
        """Load a model in a fresh engine, sandboxed unless ``unsafe``; its :class:`ModelInfo`.

        The engine that held the previous model keeps it until this load succeeds; when the
        load fails, the previous model stays open.

        Raises
        ------
        ModelLoadError, UnsafeModelError
            As :func:`jacgui.load_model` does.
        EngineCrashedError, EngineTimeoutError
            When loading crashed the engine or took longer than ``timeout`` seconds.
        """
        return self._wait(self.submit_open(path, unsafe=unsafe, timeout=timeout), None)

    def submit_open(self, path: str | os.PathLike[str], *, unsafe: bool = False,
                    on_done: Done | None = None, timeout: float | None = None) -> EngineJob:
        """Like :meth:`open_model` without blocking; ``on_done(info, error)``.

        A newer open supersedes this one (its job then fails with JacobianCancelled).
        """
        return self._open(str(Path(path).expanduser().absolute()), unsafe, on_done, timeout)

    def _open(self, path: str, unsafe: bool, on_done: Done | None, timeout: float | None,
              restart: list[tuple[EngineJob, BaseException]] | None = None) -> EngineJob:
        if 0 < self.memory_limit < MIN_MEMORY_LIMIT:
            raise JacguiError(f"the memory limit must be 0 (none) or at least "
                              f"{format_bytes(MIN_MEMORY_LIMIT)}: TensorFlow alone takes about "
                              "0.7 GiB")
        with self._lock:
            self._check_open()
            superseded = self._opening
            engine = self._spare or self._spawn()
            self._spare = None
            job = self._new_job("load", f"loading {Path(path).name}", None, None, timeout)
            job._on_done = lambda info, error: self._opened(job, path, unsafe, info, error,
                                                            restart or [], on_done)
            job.engine = engine
            self._opening = (engine, job)
            engine.send({"type": "load", "id": job.job_id, "path": path, "unsafe": unsafe,
                         "memory_limit": self.memory_limit})
        if superseded is not None:
            text = f"superseded: {Path(path).name} was opened instead"
            self._discard(superseded[0], lambda: JacobianCancelled(text))
        return job

    def _opened(self, job: EngineJob, path: str, unsafe: bool, info: Any,
                error: BaseException | None, restart: list[tuple[EngineJob, BaseException]],
                on_done: Done | None) -> None:
        with self._lock:
            if self._opening is not None and self._opening[1] is job:
                self._opening = None
            engine = job.engine
            if error is None and not self._closed:
                previous, self._engine = self._engine, engine
                self._model = _OpenModel(path, unsafe, info)
                self._idle_since = time.monotonic()
                if previous is not None and previous is not engine:
                    self._retire(previous)
            elif engine is not None and restart and not isinstance(error, JacobianCancelled):
                self._model, self._engine = None, None
                self._lost_model = f"reloading {Path(path).name} failed: {line_of(error)}"
        if error is not None and engine is not None:
            # Sandboxed for a model that did not load: of no further use, and so are the jobs
            # queued behind the load.
            text = f"no model is open: loading {Path(path).name} failed: {line_of(error)}"
            self._discard(engine, lambda: ModelLoadError(text))
        if restart:
            if error is None:
                suffix = "; restarted"
            elif isinstance(error, JacobianCancelled):
                suffix = ""
            else:
                suffix = f"; restarting failed: {line_of(error)}"
            for failed, failure in restart:
                self._finish(failed, None, with_suffix(failure, suffix, error is None))
        if on_done is not None:
            guarded(on_done, info, error)

    # -- jobs ---------------------------------------------------------------------------------
    def call(self, op: str, args: Mapping[str, Any] | None = None, *,
             progress: ProgressHandler | None = None, cancel: CancelToken | None = None,
             timeout: float | None = None) -> Any:
        """Run operation ``op`` with ``args`` on the open model and return its value.

        ``progress`` is called (on a client thread) between chunks; ``cancel`` is watched and
        forwarded; ``timeout`` stops the job after that many seconds of running. Ctrl-C
        cancels the job (killing the engine after the grace) and raises KeyboardInterrupt.

        Raises
        ------
        JacguiError
            The same errors as the in-process call, plus EngineCrashedError and
            EngineTimeoutError.
        JacobianCancelled
            When ``cancel`` was set.
        EngineInternalError
            For a bug in jacgui's own code inside the engine.
        """
        return self._wait(self.submit(op, args, on_progress=progress, timeout=timeout), cancel)

    def submit(self, op: str, args: Mapping[str, Any] | None = None, *,
               on_progress: ProgressHandler | None = None, on_done: Done | None = None,
               timeout: float | None = None) -> EngineJob:
        """Start operation ``op`` without waiting; ``on_done(value, error)`` when it ends.

        Jobs run one after the other in the engine, in the order submitted. When no model is
        open, the job fails at once (``on_done`` is still called).
        """
        if op not in OPERATIONS:
            raise ValueError(f"unknown engine operation {op!r}; known: {', '.join(OPERATIONS)}")
        document, arrays = codec.encode(dict(args or {}))
        with self._lock:
            self._check_open()
            job = self._new_job(op, op.replace("_", " "), on_progress, on_done, timeout)
            engine = self._engine or (self._opening[0] if self._opening else None)
            if engine is not None:
                job.engine = engine
                engine.send({"type": "call", "id": job.job_id, "op": op, "args": document},
                            arrays)
                return job
            reason = self._lost_model or "open a model first"
        self._finish(job, None, ModelLoadError(f"no model is open: {reason}"))
        return job

    def cancel(self, job_id: int) -> None:
        """Stop job ``job_id`` at its next chunk boundary, or kill the engine after a grace.

        The grace is :attr:`cancel_grace` seconds from the job's start; a load is stopped at
        once (the previous model stays). Unknown or finished ids are ignored.
        """
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.cancel_requested or job.engine is None:
                return
            opening = self._opening is not None and self._opening[1] is job
        if opening:  # nothing to lose: the previous model stays
            self._open_cancelled(job)
            return
        self._request_cancel(job)

    def _request_cancel(self, job: EngineJob) -> None:
        with self._lock:
            job.cancel_requested = True
            if job.started_at is not None:
                job.cancel_deadline = time.monotonic() + self.cancel_grace
            if job.engine is not None:
                job.engine.send({"type": "cancel", "id": job.job_id})
        self._wake.set()

    def _open_cancelled(self, job: EngineJob) -> None:
        with self._lock:
            if self._opening is not None and self._opening[1] is job:
                self._opening = None
        self._finish(job, None, JacobianCancelled("opening the model was cancelled"))

    def _discard(self, engine: EngineProcess, failure: Callable[[], BaseException]) -> None:
        """Stop ``engine`` on purpose; every job still on it fails with ``failure()``."""
        engine.close()
        with self._lock:
            pending = [job for job in self._jobs.values() if job.engine is engine]
        for job in pending:
            self._finish(job, None, failure())

    def _wait(self, job: EngineJob, cancel: CancelToken | None) -> Any:
        try:
            while not job.wait(0.05):
                if cancel is not None and cancel.cancelled and not job.cancel_requested:
                    self.cancel(job.job_id)
        except KeyboardInterrupt:
            self._interrupt(job)
            raise
        return job.result()

    def _interrupt(self, job: EngineJob) -> None:
        """Ctrl-C in a blocking call: cancel, wait out the grace, then kill."""
        self.cancel(job.job_id)
        try:
            job.wait(self.cancel_grace)
        except KeyboardInterrupt:
            pass  # a second Ctrl-C: stop waiting
        if not job.done() and job.engine is not None:
            job.engine.kill("cancel", job.job_id)

    # -- engine messages (reader threads) -----------------------------------------------------
    def _spawn(self) -> EngineProcess:
        limit = self.memory_limit + RSS_HEADROOM if self.memory_limit else 1 << 40
        return EngineProcess(self._on_message, self._on_lost, max_payload=limit,
                             echo_stderr=self._echo)

    def _on_message(self, engine: EngineProcess, message: dict[str, Any],
                    arrays: list[np.ndarray]) -> None:
        kind = message["type"]
        if kind == "ready":
            self._engine_ready(message)
            return
        with self._lock:
            job = self._jobs.get(message["id"])
        if job is None or job.engine is not engine:
            return  # the answer to a job that already ended (cancelled, superseded)
        if kind == "activity":
            with self._lock:
                job.what = clean(message["what"], 120)
                if job.started_at is None:
                    job.started_at = time.monotonic()
                    if job.cancel_requested:
                        job.cancel_deadline = job.started_at + self.cancel_grace
        elif kind == "cancelling":
            job.cancel_seen.set()
        elif kind == "progress":
            progress = codec.decode(message["value"], arrays)
            if not isinstance(progress, Progress):
                raise ProtocolError("a progress message without a Progress")
            job.progress(progress)
        elif kind == "result":
            value = codec.decode(message["value"], arrays)
            expected = ModelInfo if job.op == "load" else OPERATIONS[job.op].result
            if not isinstance(value, expected):
                raise ProtocolError(f"{job.op} answered a {type(value).__name__}, not a "
                                    f"{expected.__name__}")
            job.finished_at, job.received_at = message["finished"], time.monotonic()
            self._finish(job, value, None)
        else:
            self._finish(job, None, remote_error(job, message, self.memory_limit))

    def _engine_ready(self, message: dict[str, Any]) -> None:
        fields = {key: message[key] for key in EngineStatus.__dataclass_fields__}
        status = EngineStatus(**{k: clean(v, 200) if isinstance(v, str) else v
                                 for k, v in fields.items()})
        with self._lock:
            self._status = status
            callbacks, self._ready_callbacks = self._ready_callbacks, []
        self._ready.set()
        for callback in callbacks:
            guarded(callback, status, None)

    def _on_lost(self, engine: EngineProcess, reason: str) -> None:
        with self._lock:
            if engine.closing or self._closed:
                return
            pending = [job for job in self._jobs.values() if job.engine is engine]
            current = engine is self._engine
            if engine is self._spare:
                self._spare = None
            if current:
                self._engine = None
            self._retiring.discard(engine)
            opening = self._opening is not None and self._opening[0] is engine
            if opening:
                self._opening = None
            model = self._model
            restart = (current and self._auto_restart and model is not None
                       and self._opening is None)
        if engine.status is None:
            self._start_failed(engine, pending)
            return
        failures = crash_failures(engine, reason, pending, self.memory_limit)
        # A cancel or a time limit is answered at once; a crash once the restart says whether
        # the model is back, so its message can tell.
        now = [(job, error) for job, error in failures
               if isinstance(error, (JacobianCancelled, EngineTimeoutError))]
        later = [(job, error) for job, error in failures if (job, error) not in now]
        for job, failure in now:
            self._finish(job, None, failure)
        if restart and model is not None:
            try:
                self._open(model.path, model.unsafe, None, None, restart=later)
                return
            except RuntimeError:  # closed meanwhile
                pass
        for job, failure in later:
            self._finish(job, None, failure)

    def _start_failed(self, engine: EngineProcess, pending: list[EngineJob]) -> None:
        error = start_failure(engine)
        with self._lock:
            if self._status is None:
                self._start_error = error
            callbacks, self._ready_callbacks = self._ready_callbacks, []
        if self._status is None:
            self._ready.set()
        for callback in callbacks:
            guarded(callback, None, error)
        for job in pending:
            self._finish(job, None, error)

    def _finish(self, job: EngineJob, value: Any, error: BaseException | None) -> None:
        with self._lock:
            self._jobs.pop(job.job_id, None)
            engine = job.engine
            retire = (engine in self._retiring
                      and not any(j.engine is engine for j in self._jobs.values()))
            if retire:
                self._retiring.discard(engine)
            if not self._jobs:
                self._idle_since = time.monotonic()
        if retire and engine is not None:
            engine.close()
        job.finish(value, error)

    # -- bookkeeping --------------------------------------------------------------------------
    def _new_job(self, op: str, what: str, on_progress: ProgressHandler | None,
                 on_done: Done | None, timeout: float | None) -> EngineJob:
        if timeout is not None and not timeout > 0:
            raise JacguiError(f"the time limit must be a positive number of seconds, not "
                              f"{timeout!r}")
        job = EngineJob(self.cancel, next(self._ids), op, what, on_progress, on_done, timeout)
        self._jobs[job.job_id] = job
        self._wake.set()
        return job

    def _retire(self, engine: EngineProcess) -> None:
        if any(job.engine is engine for job in self._jobs.values()):
            self._retiring.add(engine)  # closed when its last job ends
        else:
            engine.close()

    def _engines(self) -> list[EngineProcess]:
        engines = [self._engine, self._spare, self._opening[0] if self._opening else None,
                   *self._retiring]
        return [engine for engine in dict.fromkeys(engines) if engine is not None]

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this EngineClient is closed")

    def _watch(self) -> None:
        """The monitor thread: memory watchdog, time limits, cancel graces, the spare."""
        while not self._closed:
            with self._lock:
                busy = bool(self._jobs)
            self._wake.wait(0.05 if busy else 0.25)
            self._wake.clear()
            with self._lock:  # the spare holds no model: nothing to limit yet
                engines = [e for e in self._engines() if e is not self._spare]
                jobs = list(self._jobs.values())
                spawn_spare = (self._want_spare and self._spare is None and not self._closed
                               and self._engine is not None and self._opening is None
                               and not jobs
                               and time.monotonic() - self._idle_since > SPARE_DELAY)
                if spawn_spare:
                    self._spare = self._spawn()
            now = time.monotonic()
            for engine in engines:
                if self.memory_limit and engine.rss() > self.memory_limit + RSS_HEADROOM:
                    engine.kill("memory", engine.peak_rss)
            for job in jobs:
                if (job.timeout is not None and job.started_at is not None
                        and not job.cancel_requested and now - job.started_at > job.timeout):
                    job.timed_out = True
                    if job.op == "load":
                        self._open_timed_out(job)
                    else:
                        self._request_cancel(job)
                elif (job.cancel_deadline is not None and now > job.cancel_deadline
                      and not job.done() and job.engine is not None):
                    job.engine.kill("timeout" if job.timed_out else "cancel", job.job_id)

    def _open_timed_out(self, job: EngineJob) -> None:
        with self._lock:
            if self._opening is not None and self._opening[1] is job:
                self._opening = None
        self._finish(job, None, timeout_error(job))
