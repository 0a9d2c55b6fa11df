"""An in-process engine for window tests: models from a dict, core calls on one worker thread.

It honours the same contract as the engine process (one worker thread for every model call,
answers through callbacks from that thread, cooperative cancel between chunks), so the window
cannot tell them apart; the tests of the real process live in tests/process/.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jacgui.core.errors import ModelLoadError, UnsafeModelError
from jacgui.core.job import CancelToken, JacobianJob, JacobianOptions, Progress


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
    """

    def __init__(self, models: dict[str, Any]) -> None:
        self.models = models
        self.loads: list[tuple[str, bool]] = []
        self.ops: list[str] = []
        self.model: Any = None
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._tokens: dict[int, CancelToken] = {}
        self._ids = itertools.count(1)
        self._thread = threading.Thread(target=self._work, name="local-engine", daemon=True)
        self._thread.start()
        self.gate: threading.Event | None = None  # when set, jobs wait on it before running

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
            entry = self.models.get(path)
            if entry is None:
                done(None, ModelLoadError(f"{Path(path).name}: no such model"))
                return
            if isinstance(entry, UnsafeModelError) and unsafe:
                entry = self.models[path + "#trusted"]
            if isinstance(entry, BaseException):
                done(None, entry)
                return
            self.model = entry
            done(entry, None)

        self._queue.put(load)

    def submit(self, op: str, args: dict[str, Any], progress: Callable[[int, int], None],
               done: Callable[[Any, BaseException | None], None]) -> int:
        job_id = next(self._ids)
        token = CancelToken()
        self._tokens[job_id] = token

        def run() -> None:
            if self.gate is not None:
                self.gate.wait()
            try:
                if token.cancelled:
                    token.raise_if_cancelled()
                self.ops.append(op)
                value = OPERATIONS[op](self.model, args,
                                       lambda p: progress(p.done, p.total), token)
            except BaseException as exc:  # every failure is the job's answer
                done(None, exc)
            else:
                done(value, None)
            finally:
                self._tokens.pop(job_id, None)

        self._queue.put(run)
        return job_id

    def cancel(self, job_id: int) -> None:
        token = self._tokens.get(job_id)
        if token is not None:
            token.cancel()

    def close(self) -> None:
        for token in list(self._tokens.values()):
            token.cancel()
        if self.gate is not None:
            self.gate.set()
        self._queue.put(None)
        self._thread.join(30)

    def _work(self) -> None:
        while (task := self._queue.get()) is not None:
            task()


def _jacobian(model: Any, args: dict[str, Any], progress: Callable[[Progress], None],
              cancel: CancelToken) -> Any:
    from jacgui.core.engine import run_job

    options = JacobianOptions(step=args.get("step"), dtype=args.get("dtype"),
                              memory_budget=args["memory_budget"],
                              error_estimate=args.get("error_estimate", True))
    job = JacobianJob(model, args["point"], args["method"], args["input"], args["output"],
                      options)
    return run_job(job, progress, cancel)


def _cross_check(model: Any, args: dict[str, Any], *_: Any) -> Any:
    from jacgui.core.cell import cross_check

    return cross_check(model, dict(args["point"]), args["row"], args["col"],
                       input=args["input"], output=args["output"],
                       method_used=args["method_used"], value=args["value"])


def _slice(model: Any, args: dict[str, Any], *_: Any) -> Any:
    from jacgui.core.analysis import slice_cell

    return slice_cell(model, dict(args["point"]), args["row"], args["col"], input=args["input"],
                      output=args["output"], t_range=args["t_range"], samples=args["samples"])


def _sweep(model: Any, args: dict[str, Any], *_: Any) -> Any:
    from jacgui.core.analysis import step_sweep

    return step_sweep(model, dict(args["point"]), args["row"], args["col"], input=args["input"],
                      output=args["output"], central=args["central"], dtype=args["dtype"])


def _principal(_model: Any, args: dict[str, Any], *_: Any) -> Any:
    from jacgui.core.analysis import principal_directions

    return principal_directions(args["result"], args["k"])


def _compare(model: Any, args: dict[str, Any], progress: Any, cancel: CancelToken) -> Any:
    from jacgui.core.analysis import compare_ad_fd

    return compare_ad_fd(model, dict(args["point"]), input=args["input"], output=args["output"],
                         memory_budget=args["memory_budget"], progress=progress, cancel=cancel)


def _global(model: Any, args: dict[str, Any], progress: Any, cancel: CancelToken) -> Any:
    from jacgui.core.analysis import global_sensitivity

    return global_sensitivity(model, args["points"], input=args["input"], output=args["output"],
                              fixed=dict(args["fixed"]), bounds=args["bounds"],
                              memory_budget=args["memory_budget"],
                              batch_size=args["batch_size"], progress=progress, cancel=cancel,
                              provenance=args["provenance"])


OPERATIONS: dict[str, Callable[..., Any]] = {
    "jacobian": _jacobian, "cross_check": _cross_check, "slice": _slice, "sweep": _sweep,
    "principal": _principal, "compare": _compare, "global": _global,
}
