"""``jacgui bench``: estimates from one chunk, skips over the limit, rows as they finish.

Nothing here depends on how fast the machine is. The skip is forced by construction: a
20000-row Jacobian at the smallest budget that fits runs in 20000 one-row chunks, and any real
chunk takes far longer than 1e-3 s / 20000 = 50 ns. Tracing is made visible by a clock that
jumps 100 s whenever the model is traced, which a correct estimate never sees.
"""

from __future__ import annotations

import io
import re
import time

import numpy as np
import pytest
import tensorflow as tf

from jacgui.bench import run_bench
from jacgui.cli import main
from jacgui.core import engine
from jacgui.core.bench import BENCH_METHODS, check_methods, estimate_method, time_method
from jacgui.core.engine import jacobian, plan_job
from jacgui.core.errors import JacguiError, JacobianTooLargeError
from jacgui.core.handle import ModelHandle
from jacgui.core.job import JacobianJob, JacobianOptions
from jacgui.core.spec import TensorInfo
from tests.core import model_factory as mf
from tests.core.analytic import tanh_mlp

ROWS = 20000
TRACE_JUMP = 100.0  # seconds the test clock jumps whenever the model's Python code runs
# float32 AD against each other and against float64 differences: round-off of float32,
# about 1e-7 of max|J| on the 7 -> 5 tanh MLP (the engine tests allow 1e-5).
AGREEMENT = 1e-5


def _ramp_model(counter: tf.Variable | None = None) -> ModelHandle:
    """y = x * (1, 2, ..., 20000) for a scalar x; ``counter`` counts executed forward passes."""
    ramp = np.arange(1, ROWS + 1, dtype=np.float64)

    def forward(feeds):
        if counter is not None:
            counter.assign_add(1)
        x = feeds["x"]
        return {"y": x * tf.cast(ramp, x.dtype)}

    return ModelHandle("memory://ramp", "python", (TensorInfo("x", (1,)),),
                       (TensorInfo("y", (ROWS,)),), forward, {"x": np.ones(1)},
                       make_float64=lambda: forward)


def _smallest_budget(model: ModelHandle, method: str) -> int:
    """The smallest memory budget the planner accepts (set-up only: one row per chunk)."""
    low, high = 1, 1 << 30
    while low < high:
        middle = (low + high) // 2
        try:
            plan_job(JacobianJob(model, {}, method,
                                 options=JacobianOptions(memory_budget=middle)))
            high = middle
        except JacobianTooLargeError:
            low = middle + 1
    return low


class TraceClock:
    """``perf_counter`` plus TRACE_JUMP seconds for every time the model was traced."""

    def __init__(self) -> None:
        self.traces = 0

    def __call__(self) -> float:
        return time.perf_counter() + TRACE_JUMP * self.traces


def _traced_mlp(clock: TraceClock) -> tuple[ModelHandle, object]:
    model, truth = tanh_mlp()
    plain = model.forward

    def forward(feeds):
        clock.traces += 1  # Python code of a traced model runs only while it is traced
        return plain(feeds)

    model.forward = forward
    model.make_float64 = lambda: forward
    return model, truth


# --- estimates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", BENCH_METHODS)
def test_estimate_is_one_warm_chunk_times_the_chunks_without_the_trace(method):
    clock = TraceClock()
    model, _ = _traced_mlp(clock)
    full = plan_job(JacobianJob(model, {}, method))
    # A budget with room for about two units of work per chunk: several chunks.
    budget = full.jacobian_bytes + 2 * (full.estimate_bytes - full.jacobian_bytes) // full.chunk
    estimate = estimate_method(model, method=method, memory_budget=budget, clock=clock)
    assert clock.traces >= 1, "the model was never traced: the test proves nothing"
    chunks = jacobian(model, method=method, memory_budget=budget).chunks
    assert estimate.chunks == chunks >= 3
    assert estimate.seconds == pytest.approx(estimate.chunk_seconds * chunks)
    # Every trace added 100 s to the clock: the cold run paid for it, the estimate did not.
    assert estimate.first_seconds >= TRACE_JUMP
    assert estimate.seconds < TRACE_JUMP / 2, estimate
    assert estimate.setup_seconds >= TRACE_JUMP / 2


def test_a_method_far_over_the_limit_is_skipped_after_two_chunks():
    counter = tf.Variable(0, dtype=tf.int64)
    model = _ramp_model(counter)
    budget = _smallest_budget(model, "reverse")
    timing = time_method(model, method="reverse", max_seconds=1e-3, memory_budget=budget)
    assert timing.status == "skipped" and timing.runs == 0 and timing.matrix is None
    assert timing.estimate.chunks == ROWS, timing.estimate
    assert timing.note.startswith("skipped: estimated ") and "over the limit of 1 ms" in timing.note
    assert f"{ROWS} chunks of " in timing.note
    # A cold chunk and a warm one ran, of 20000: the skip did not cost the Jacobian.
    assert int(counter.numpy()) == 2


def test_timed_methods_agree_with_the_reverse_reference():
    model, truth = tanh_mlp()
    expected, _ = truth(model.default_point["x"])
    reference = time_method(model, method="reverse", runs=3, max_seconds=1e6)
    assert reference.status == "timed" and reference.runs == 3 and np.isnan(reference.error)
    np.testing.assert_allclose(reference.matrix, expected, atol=AGREEMENT)
    for method in BENCH_METHODS[1:]:
        timing = time_method(model, method=method, runs=3, max_seconds=1e6,
                             reference=reference.matrix)
        assert timing.status == "timed" and timing.runs == 3, timing
        assert timing.median_seconds > 0 and timing.estimate.seconds > 0
        # The column is max|J - J_reverse| / max|J_reverse|, computed here independently.
        independent = np.abs(timing.matrix - reference.matrix).max() / np.abs(
            reference.matrix).max()
        assert timing.error == pytest.approx(independent, rel=1e-12, abs=1e-15)
        assert timing.error <= AGREEMENT


def test_float32_differences_show_their_error_against_reverse_mode():
    model, _ = tanh_mlp()
    model.make_float64 = None  # differences in float32: forward ones are good to ~1e-3
    reference = time_method(model, method="reverse", runs=1, max_seconds=1e6)
    timing = time_method(model, method="fd-forward", runs=1, max_seconds=1e6,
                         reference=reference.matrix)
    assert 1e-5 < timing.error < 1e-1, timing.error


def test_a_method_the_model_cannot_do_is_a_failed_row_and_others_still_run():
    model = ModelHandle("memory://round", "python", (TensorInfo("x", (3,)),),
                        (TensorInfo("y", (3,)),), lambda d: {"y": tf.round(10 * d["x"])},
                        {"x": np.array([0.11, 0.52, 0.93])})
    failed = time_method(model, method="reverse", max_seconds=1e6)
    assert failed.status == "failed" and "Round" in failed.note and "\n" not in failed.note
    assert time_method(model, method="fd-central", runs=1, max_seconds=1e6).status == "timed"


def test_a_bug_in_jacgui_is_not_reported_as_a_failed_method(monkeypatch):
    model, _ = tanh_mlp()
    monkeypatch.setattr(engine, "np", None)
    with pytest.raises(AttributeError):
        time_method(model, method="reverse", max_seconds=1e6)


def test_methods_are_validated_and_put_in_benchmark_order():
    assert check_methods("fd-central, reverse") == ("reverse", "fd-central")
    assert check_methods(["forward", "forward"]) == ("forward",)
    for bad in ("auto", "reverse,bogus", " , "):
        with pytest.raises(JacguiError, match="choose from reverse, forward"):
            check_methods(bad)


# --- the table, row by row ----------------------------------------------------------------------


class FlushRecorder(io.StringIO):
    """A stream that remembers what had been flushed, i.e. what a user could see."""

    def __init__(self) -> None:
        super().__init__()
        self.shown = ""

    def flush(self) -> None:
        super().flush()
        self.shown = self.getvalue()


def test_each_row_is_shown_before_the_next_method_starts():
    stream = FlushRecorder()
    seen_at_trace: list[int] = []
    model, _ = tanh_mlp()
    plain = model.forward

    def forward(feeds):
        # Every method traces the model when it starts: count the rows shown by then.
        seen_at_trace.append(len(stream.shown.splitlines()))
        return plain(feeds)

    model.forward = forward
    model.make_float64 = lambda: forward
    timings = run_bench(model, out=stream, runs=1, max_seconds=1e6)
    lines = stream.shown.splitlines()
    assert [t.method for t in timings] == list(BENCH_METHODS)
    assert [line.split()[0] for line in lines[2:6]] == list(BENCH_METHODS)
    assert lines[2].split()[-2] == "(ref)" and lines[-1].startswith("rel. error is max|J - ")
    # Method k started only once the header (2 lines) and the k rows before it were shown.
    header = 2
    assert {header + k for k in range(len(BENCH_METHODS))} <= set(seen_at_trace), seen_at_trace


# --- the command line ---------------------------------------------------------------------------

RAMP_PY = f"""
import tensorflow as tf

INPUT_SHAPE = (1,)


def f(x):
    return x * tf.range(1, {ROWS + 1}, dtype=x.dtype)
"""


def test_cli_skips_with_the_estimate_and_times_the_rest(tmp_path, capsys):
    from jacgui.core.loading import load_model

    path = mf.write_py(tmp_path, "ramp.py", RAMP_PY)
    budget_mib = _smallest_budget(load_model(path), "reverse") / (1 << 20)
    assert main(["bench", str(path), "--methods", "reverse", "--max-seconds", "0.001",
                 "--memory", repr(budget_mib)]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("reverse"))
    assert "skipped: estimated" in row and "over the limit of 1 ms" in row
    assert int(re.search(r"\((\d+) chunks of", row).group(1)) == ROWS
    assert main(["bench", str(path), "--methods", "forward,fd-central", "--runs", "2",
                 "--max-seconds", "1e6"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:4]]
    assert [r[0] for r in rows] == ["forward", "fd-central"]
    assert [r[-3] for r in rows] == ["2", "2"]  # runs: both timed


@pytest.mark.parametrize("extra, message", [
    (["--methods", "reverse,backwards"], "unknown benchmark method 'backwards'"),
    (["--max-seconds", "0"], "--max-seconds must be positive"),
    (["--runs", "0"], "--runs must be at least 1"),
])
def test_cli_bad_bench_options_exit_2_with_one_line(capsys, extra, message):
    assert main(["bench", "no-such-model.keras", *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("jacgui: error: ") and message in err
