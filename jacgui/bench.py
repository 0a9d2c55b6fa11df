"""``jacgui bench``: the benchmark table, one row printed as soon as its method is done.

The measuring lives in :mod:`jacgui.core.bench`; this module only orders the calls and
formats what they return.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np

from .core.bench import (
    BENCH_METHODS,
    DEFAULT_MAX_SECONDS,
    MethodTiming,
    duration_text,
    time_method,
)
from .core.job import DEFAULT_MEMORY_BUDGET
from .core.planning import choose_method

AD_METHODS = ("reverse", "forward")


def run_bench(model: Any, point: Any = None, *, out: TextIO,
              methods: Sequence[str] = BENCH_METHODS, input: str | None = None,
              output: str | None = None, runs: int = 20,
              max_seconds: float = DEFAULT_MAX_SECONDS,
              memory_budget: int = DEFAULT_MEMORY_BUDGET) -> list[MethodTiming]:
    """Time ``methods`` one after another, writing each row to ``out`` as it finishes.

    The first automatic-differentiation method that is timed is the reference of the error
    column (``max|J - J_ref| / max|J_ref|``); peak is the resident-memory growth.

    Returns
    -------
    list of MethodTiming
        In the order of ``methods``.
    """
    m, n = model.output(output).size, model.input(input).size
    _write(out, f"Jacobian {m} x {n} of {model.output(output).name} w.r.t. "
                f"{model.input(input).name}; each method estimated from one chunk, skipped "
                f"over {max_seconds:g} s, else timed over up to {runs} warm runs")
    _write(out, f"{'method':<11} {'estimate':>10} {'trace ms':>9} {'median ms':>10} "
                f"{'runs':>5} {'rel. error':>11} {'peak MiB':>9}")
    timings, reference, reference_method = [], None, ""
    for method in methods:
        timing = time_method(model, point, method, runs=runs, max_seconds=max_seconds,
                             reference=reference, input=input, output=output,
                             memory_budget=memory_budget)
        if reference is None and method in AD_METHODS and timing.matrix is not None:
            reference, reference_method = timing.matrix, method
        _write(out, format_row(timing, is_reference=method == reference_method))
        timings.append(timing)
    for line in _summary(timings, m, n, reference_method):
        _write(out, line)
    return timings


def format_row(timing: MethodTiming, is_reference: bool = False) -> str:
    """One line of the table."""
    estimate = timing.estimate
    if timing.status != "timed" or estimate is None:
        return f"{timing.method:<11} {timing.note}"
    error = "(ref)" if is_reference else "-" if math.isnan(timing.error) else f"{timing.error:.1e}"
    return (f"{timing.method:<11} {_seconds(estimate.seconds):>10} "
            f"{estimate.setup_seconds * 1e3:>9.1f} {timing.median_seconds * 1e3:>10.3f} "
            f"{timing.runs:>5} {error:>11} {timing.peak_growth / (1 << 20):>9.1f}")


def _summary(timings: list[MethodTiming], m: int, n: int, reference_method: str) -> list[str]:
    auto, reason = choose_method("auto", m, n)
    lines = [f"auto picks {auto} ({reason})"]
    timed_ad = [t for t in timings if t.status == "timed" and t.method in AD_METHODS]
    if timed_ad:
        fastest = min(timed_ad, key=lambda t: t.median_seconds)
        lines.append(f"the fastest AD method here is {fastest.method}")
    if reference_method:
        lines.append(f"rel. error is max|J - J_{reference_method}| / max|J_{reference_method}|")
    elif any(t.status == "timed" for t in timings):
        lines.append("no AD method was timed, so there is no reference for the error column")
    return lines


def _seconds(value: float) -> str:
    return duration_text(value) if np.isfinite(value) else "-"


def _write(out: TextIO, line: str) -> None:
    out.write(line + "\n")
    out.flush()  # a row the user cannot see yet is no progress report
