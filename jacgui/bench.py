"""``jacgui bench``: time every method on the user's own model and compare its accuracy."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .core.engine import jacobian
from .core.errors import JacguiError
from .core.planning import choose_method
from .core.process.dispatch import isolated_operation
from .core.rss import PeakRSS

BENCH_METHODS = ("reverse", "forward", "fd-forward", "fd-central")


@dataclass(frozen=True)
class MethodTiming:
    """One row of the benchmark table (times in milliseconds, memory in bytes)."""

    method: str
    first_ms: float
    median_ms: float
    runs: int
    error: float
    peak_growth: int
    failure: str = ""


@isolated_operation("bench_method")
def time_method(model: Any, point: Any, method: str, runs: int, reference: np.ndarray | None,
                **selection: Any) -> MethodTiming:
    """First call (with its trace) and the median of ``runs`` warm calls of one method."""
    try:
        with PeakRSS() as memory:
            start = time.perf_counter()
            result = jacobian(model, point, method=method, **selection)
            first = time.perf_counter() - start
            times = []
            budget_end = time.perf_counter() + 30.0  # a slow method gets fewer runs, not hours
            for _ in range(runs):
                start = time.perf_counter()
                jacobian(model, point, method=method, **selection)
                times.append(time.perf_counter() - start)
                if time.perf_counter() > budget_end:
                    break
    except JacguiError as error:
        return MethodTiming(method, float("nan"), float("nan"), 0, float("nan"), 0, str(error))
    error = float("nan")
    if reference is not None:
        scale = float(np.nanmax(np.abs(reference))) or 1.0
        error = float(np.nanmax(np.abs(result.matrix - reference))) / scale
    return MethodTiming(method, first * 1e3, statistics.median(times) * 1e3, len(times), error,
                        memory.growth)


def run_bench(model: Any, point: Any = None, *, input: str | None = None,
              output: str | None = None, runs: int = 20) -> str:
    """Benchmark every method and return the table as text.

    Error is ``max|J - J_reverse| / max|J_reverse|``; peak is the RSS growth during the runs.
    """
    selection = {"input": input, "output": output}
    reference_result = jacobian(model, point, method="reverse", **selection)
    reference = reference_result.matrix.astype(np.float64)
    m, n = reference_result.shape
    rows = [time_method(model, point, method, runs, reference, **selection)
            for method in BENCH_METHODS]
    auto, reason = choose_method("auto", m, n)
    lines = [f"Jacobian {m} x {n} of {reference_result.output_name} w.r.t. "
             f"{reference_result.input_name}; {runs} timed runs after a warm-up call",
             f"{'method':<11} {'first ms':>10} {'median ms':>10} {'runs':>5} "
             f"{'rel. error':>11} {'peak MiB':>9}"]
    for row in rows:
        if row.failure:
            lines.append(f"{row.method:<11} failed: {row.failure}")
            continue
        lines.append(f"{row.method:<11} {row.first_ms:>10.2f} {row.median_ms:>10.3f} "
                     f"{row.runs:>5} {row.error:>11.1e} {row.peak_growth / (1 << 20):>9.1f}")
    fastest = min((r for r in rows if not r.failure and r.method in ("reverse", "forward")),
                  key=lambda r: r.median_ms)
    lines.append(f"auto picks {auto} ({reason}); the fastest AD method here is {fastest.method}")
    return "\n".join(lines)
