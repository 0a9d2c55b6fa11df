"""An in-process engine for window tests: models from a dict, run by the engine's own operation
table on one worker thread, every argument and answer sent through the engine's codec.

It honours the same contract as the engine process (one worker thread for every model call,
answers through callbacks from that thread, cooperative cancel between chunks), so the window
cannot tell them apart; the tests of the real process live in tests/process/.

Tests steer it without timing: ``gate`` holds every job before it starts, ``hold_after_chunk``
holds one job in the middle (after it reported that chunk) until ``release`` is set or the job
is cancelled; ``received`` lists the jobs as submitted and ``ops`` the operations that ran.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jacgui.core.errors import ModelLoadError, UnsafeModelError
from jacgui.core.job import CancelToken, Progress
from jacgui.core.process import codec
from jacgui.core.process.operations import OPERATIONS

#: The longest a held job waits for ``release``; a test that gets this far has failed anyway.
HOLD_SECONDS = 60.0

Loader = Callable[[str, bool], Any]


class EngineStatusInfo:
    """What the engine reports about itself."""

    def __init__(self, device: str = "CPU", sandbox: str = "no sandbox: in-process test engine"):
        self.device, self.sandbox = device, sandbox


class LocalEngine:
    """Runs jacgui's core in a thread of the test process.

    Parameters
    ----------
    models : dict
        Path -> ModelHandle, or -> an exception to raise when it is opened. ``path#trusted``
        is what an UnsafeModelError entry loads when opened with ``unsafe=True``.
    loader : callable, optional
        ``loader(path, unsafe)`` loads the paths that are not in ``models`` (the real loader,
        for tests of real files); without one such a path fails to load.
    """

    def __init__(self, models: dict[str, Any], loader: Loader | None = None) -> None:
        self.models = models
        self.loader = loader
        self.loads: list[tuple[str, bool]] = []
        self.received: list[tuple[str, dict[str, Any]]] = []  # (op, args) of every submit
        self.ops: list[str] = []  # operations that actually ran
        self.in_flight_at_submit: list[int] = []  # jobs not yet answered, at every submit
        self.model: Any = None
        self.gate: threading.Event | None = None  # when set, jobs wait on it before running
        # The next job reaching this chunk holds (-1: the chunk before its last one).
        self.hold_after_chunk: int | None = None
        self.holding = threading.Event()  # set while a job is held after a chunk
        self.release = threading.Event()  # lets a held job go on
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._tokens: dict[int, CancelToken] = {}
        self._ids = itertools.count(1)
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="local-engine", daemon=True)
        self._thread.start()

    # -- EngineLink ---------------------------------------------------------------------------
    def start(self, on_ready: Callable[[Any, BaseException | None], None]) -> None:
        def ready() -> None:
            from jacgui.core import _tf

            _tf.tf()
            on_ready(EngineStatusInfo(), None)

        self._queue.put(ready)

    def open_model(self, path: str, unsafe: bool,
                   done: Callable[[Any, BaseException | None], None]) -> None:
        def load() -> None:
            self.loads.append((path, unsafe))
            try:
                entry = self._entry(path, unsafe)
            except BaseException as exc:  # every failure is the load's answer
                done(None, exc)
                return
            self.model = entry
            # The window only ever gets the description of a model, as from the engine.
            done(_crossed(entry.info(device="CPU")), None)

        self._queue.put(load)

    def _entry(self, path: str, unsafe: bool) -> Any:
        entry = self.models.get(path)
        if entry is None and self.loader is not None:
            return self.loader(path, unsafe)
        if entry is None:
            raise ModelLoadError(f"{Path(path).name}: no such model")
        if isinstance(entry, UnsafeModelError) and unsafe:
            entry = self.models[path + "#trusted"]
        if isinstance(entry, BaseException):
            raise entry
        return entry

    def submit(self, op: str, args: dict[str, Any], progress: Callable[[int, int], None],
               done: Callable[[Any, BaseException | None], None]) -> int:
        job_id = next(self._ids)
        token = CancelToken()
        self.in_flight_at_submit.append(len(self._tokens))
        self._tokens[job_id] = token
        self.received.append((op, args))

        def report(p: Progress) -> None:
            progress(p.done, p.total)
            hold = self.hold_after_chunk
            if hold is not None and p.done == (hold if hold >= 0 else p.total + hold) < p.total:
                self.hold_after_chunk = None  # one job holds, once
                self.holding.set()
                deadline = time.monotonic() + HOLD_SECONDS
                while not (self.release.wait(0.05) or token.cancelled or self._closed
                           or time.monotonic() > deadline):
                    pass
                self.holding.clear()

        def run() -> None:
            if self.gate is not None:
                self.gate.wait()
            value, error = None, None
            try:
                token.raise_if_cancelled()
                self.ops.append(op)
                value = _run_operation(self.model, op, args, report, token)
            except BaseException as exc:  # every failure is the job's answer
                error = exc
            # The job has ended before its answer is sent: the window may submit the next
            # one as soon as it has the answer.
            self._tokens.pop(job_id, None)
            done(value, error)

        self._queue.put(run)
        return job_id

    def cancel(self, job_id: int) -> None:
        token = self._tokens.get(job_id)
        if token is not None:
            token.cancel()

    def close(self) -> None:
        self._closed = True
        for token in list(self._tokens.values()):
            token.cancel()
        if self.gate is not None:
            self.gate.set()
        self.release.set()
        self._queue.put(None)
        self._thread.join(30)

    def is_alive(self) -> bool:
        """Whether the engine's thread still runs (after :meth:`close`: a job never stopped)."""
        return self._thread.is_alive()

    def _work(self) -> None:
        while (task := self._queue.get()) is not None:
            task()


def _crossed(value: Any) -> Any:
    """``value`` as the window would receive it from the engine process: through the codec."""
    document, arrays = codec.encode(value)
    return codec.decode(document, arrays)


def _run_operation(model: Any, op: str, args: dict[str, Any],
                   progress: Callable[[Progress], None], cancel: CancelToken) -> Any:
    """The engine's own operation table, with arguments and answer sent through the codec."""
    operation = OPERATIONS[op]
    return _crossed(operation.run(model, _crossed(args), progress, cancel))


class SilentEngine:
    """An engine that never answers: for windows that compute nothing (menus, layout)."""

    def start(self, on_ready: Callable[[Any, BaseException | None], None]) -> None:
        pass

    def open_model(self, path: str, unsafe: bool,
                   done: Callable[[Any, BaseException | None], None]) -> None:
        pass

    def submit(self, op: str, args: dict[str, Any], progress: Callable[[int, int], None],
               done: Callable[[Any, BaseException | None], None]) -> int:
        return 0

    def cancel(self, job_id: int) -> None:
        pass

    def close(self) -> None:
        pass
