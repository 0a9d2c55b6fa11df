"""Timing the Jacobian methods on the user's own model, one method per call.

Each method is first *estimated* from one chunk: a cold run (set-up, tracing and the first
chunk) is cancelled after its first chunk, then a warm run is timed from its first progress
report to its second, which brackets exactly one chunk of work and no tracing. The estimate
is that chunk's time multiplied by the number of chunks, so a method that would take an hour
costs two chunks to rule out. Only methods within the time limit are then timed in full.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .engine import jacobian
from .errors import JacguiError, JacobianCancelled
from .job import DEFAULT_MEMORY_BUDGET, CancelToken, Progress
from .process.dispatch import isolated_operation
from .rss import PeakRSS

#: The methods ``jacgui bench`` times, in the order it times them (AD first: the reference).
BENCH_METHODS = ("reverse", "forward", "fd-forward", "fd-central")
DEFAULT_MAX_SECONDS = 60.0

Clock = Callable[[], float]


@dataclass(frozen=True)
class MethodEstimate:
    """How long one warm Jacobian of a method should take, from one chunk.

    Attributes
    ----------
    method : str
    seconds : float
        ``chunk_seconds * chunks``: one full Jacobian once traced.
    chunk_seconds : float
        One warm chunk.
    chunks : int
    first_seconds : float
        The cold run up to the end of its first chunk: set-up, tracing and one chunk.
    """

    method: str
    seconds: float
    chunk_seconds: float
    chunks: int
    first_seconds: float

    @property
    def setup_seconds(self) -> float:
        """The one-off cost of the first call (mostly tracing): cold minus warm chunk."""
        return max(0.0, self.first_seconds - self.chunk_seconds)


@dataclass(frozen=True)
class MethodTiming:
    """One method's benchmark: timed, skipped over the time limit, or failed.

    Attributes
    ----------
    method : str
    status : str
        ``"timed"``, ``"skipped"`` or ``"failed"``.
    estimate : MethodEstimate or None
        None when the method failed before its first chunk.
    median_seconds : float
        Median of the timed warm runs (NaN unless timed).
    runs : int
        Timed runs (fewer than asked when they would exceed the time limit).
    error : float
        ``max|J - J_ref| / max|J_ref|`` against the reference given (NaN without one).
    peak_growth : int
        Resident-memory growth in bytes over the estimate and the runs.
    note : str
        Why the method was skipped, or the one-line error it failed with.
    matrix : ndarray or None
        The Jacobian of the last timed run, to pass as the next call's ``reference``.
    """

    method: str
    status: str
    estimate: MethodEstimate | None = None
    median_seconds: float = math.nan
    runs: int = 0
    error: float = math.nan
    peak_growth: int = 0
    note: str = ""
    matrix: np.ndarray | None = field(default=None, repr=False, compare=False)


def check_methods(methods: str | Sequence[str]) -> tuple[str, ...]:
    """The methods to benchmark, in benchmark order, from a list or ``"a,b"`` text.

    Raises
    ------
    JacguiError
        For an empty list or a name that is not one of :data:`BENCH_METHODS`.
    """
    names = methods.split(",") if isinstance(methods, str) else list(methods)
    wanted = {name.strip() for name in names if name.strip()}
    unknown = sorted(wanted - set(BENCH_METHODS))
    if unknown or not wanted:
        shown = ", ".join(repr(name) for name in unknown) or "none"
        raise JacguiError(f"unknown benchmark method {shown}; choose from "
                          f"{', '.join(BENCH_METHODS)} (comma-separated)")
    return tuple(method for method in BENCH_METHODS if method in wanted)


def estimate_method(model: Any, point: Any = None, method: str = "reverse", *,
                    input: str | None = None, output: str | None = None,
                    memory_budget: int = DEFAULT_MEMORY_BUDGET,
                    clock: Clock | None = None) -> MethodEstimate:
    """Estimate one warm Jacobian of ``method`` from its first chunk (see the module notes).

    Costs at most two chunks plus the first call's tracing. ``clock`` is for tests.

    Raises
    ------
    JacguiError
        When the method fails on this model (the message is one line).
    """
    clock = clock or time.perf_counter
    start = clock()
    cold = _first_chunk(model, point, method, input, output, memory_budget, clock)
    warm = _first_chunk(model, point, method, input, output, memory_budget, clock)
    if not warm.chunks:
        raise RuntimeError(f"{method}: the engine reported no finished chunk")
    chunk = warm.chunk_end - warm.chunk_start
    return MethodEstimate(method, chunk * warm.chunks, chunk, warm.chunks, cold.chunk_end - start)


@dataclass
class _ChunkMarks:
    chunk_start: float = math.nan
    chunk_end: float = math.nan
    chunks: int = 0


def _first_chunk(model: Any, point: Any, method: str, input: str | None, output: str | None,
                 budget: int, clock: Clock) -> _ChunkMarks:
    """Run ``method`` until its first chunk is done; the clock at progress 0 and 1."""
    marks, token = _ChunkMarks(), CancelToken()

    def progress(report: Progress) -> None:
        if report.done == 0:
            marks.chunk_start = clock()
        elif report.done == 1:
            marks.chunk_end, marks.chunks = clock(), report.total
            token.cancel()  # a one-chunk Jacobian has finished by now; nothing checks it

    try:
        jacobian(model, point, method=method, input=input, output=output,
                 memory_budget=budget, progress=progress, cancel=token)
    except JacobianCancelled:
        pass
    return marks


@isolated_operation("bench_method")
def time_method(model: Any, point: Any = None, method: str = "reverse", *, runs: int = 20,
                max_seconds: float = DEFAULT_MAX_SECONDS, reference: np.ndarray | None = None,
                input: str | None = None, output: str | None = None,
                memory_budget: int = DEFAULT_MEMORY_BUDGET,
                clock: Clock | None = None) -> MethodTiming:
    """Estimate ``method``, then time up to ``runs`` warm Jacobians unless it is too slow.

    A method whose estimate exceeds ``max_seconds`` is skipped with a note giving the
    estimate. Timed runs stop early once they have used ``max_seconds``. A method that
    fails on this model (a :class:`JacguiError`) is reported as failed; anything else is a
    bug and propagates.

    Parameters
    ----------
    reference : ndarray, optional
        A Jacobian to compare against (the ``matrix`` of an earlier reverse-mode timing).
    clock : callable, optional
        For tests (``time.perf_counter`` by default).

    Returns
    -------
    MethodTiming
    """
    clock = clock or time.perf_counter
    selection = {"input": input, "output": output, "memory_budget": memory_budget}
    estimate = None
    try:
        with PeakRSS() as memory:
            estimate = estimate_method(model, point, method, clock=clock, **selection)
            if estimate.seconds > max_seconds:
                chunks = f"{estimate.chunks} chunk{'s' if estimate.chunks > 1 else ''}"
                note = (f"skipped: estimated {duration_text(estimate.seconds)} ({chunks} of "
                        f"{duration_text(estimate.chunk_seconds)}), over the limit of "
                        f"{duration_text(max_seconds)}")
                return MethodTiming(method, "skipped", estimate, note=note)
            times, result = [], None
            deadline = clock() + max_seconds
            for _ in range(max(1, runs)):
                begin = clock()
                result = jacobian(model, point, method=method, **selection)
                times.append(clock() - begin)
                if clock() > deadline:
                    break
    except JacguiError as error:
        return MethodTiming(method, "failed", estimate, note=f"failed: {error}")
    return MethodTiming(method, "timed", estimate, statistics.median(times), len(times),
                        _relative_error(result.matrix, reference), memory.growth,
                        matrix=result.matrix)


def _relative_error(matrix: np.ndarray, reference: np.ndarray | None) -> float:
    if reference is None or reference.shape != matrix.shape:
        return math.nan
    reference = reference.astype(np.float64)
    scale = float(np.nanmax(np.abs(reference))) if reference.size else 0.0
    difference = float(np.nanmax(np.abs(matrix - reference))) if matrix.size else 0.0
    return difference / (scale or 1.0)


def duration_text(seconds: float) -> str:
    """``3.2 ms``, ``4.1 s``, ``2.5 min`` or ``1.2 h``."""
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    if seconds >= 1:
        return f"{seconds:.1f} s"
    return f"{seconds * 1e3:.3g} ms"
