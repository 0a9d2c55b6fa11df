"""The one Problem every part of the engine starts from, and the typed trace cache.

No tolerances here: these tests compare plans, dtypes, point values and trace counts exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

from jacgui.core import JacobianJob, JacobianOptions, cross_check
from jacgui.core.analysis import compare_ad_fd, slice_cell
from jacgui.core.engine import plan_job, run_job
from jacgui.core.errors import JacguiError
from jacgui.core.handle import ModelHandle
from jacgui.core.problem import Problem
from jacgui.core.traces import TRACE_COUNTS, TraceCache, TraceKey

from .analytic import tanh_mlp, two_in_two_out

PLAN_FIELDS = ("method", "chunk", "n_chunks", "jacobian_bytes", "estimate_bytes")


def _plan_fields(plan):
    return tuple(getattr(plan, name) for name in PLAN_FIELDS)


@pytest.mark.parametrize("method", ["auto", "reverse", "forward", "fd-forward", "fd-central"])
@pytest.mark.parametrize("which", ["analytic", "keras"])
def test_the_plan_shown_is_the_plan_run(loaded, method, which):
    # A Keras model sizes chunks from its layers, a plain function from its traced graph; in
    # both, the plan the status bar shows before the run is the one the run uses.
    model = tanh_mlp(seed=5)[0] if which == "analytic" else loaded["image"]
    full = plan_job(JacobianJob(model, {}, method))
    per_unit = (full.estimate_bytes - full.jacobian_bytes) // full.chunk
    budget = full.jacobian_bytes + per_unit * max(1, full.chunk // 2)
    job = JacobianJob(model, {}, method, options=JacobianOptions(memory_budget=budget))
    shown = plan_job(job)
    assert shown.n_chunks > 1
    assert _plan_fields(run_job(job).extra["plan"]) == _plan_fields(shown)


def test_problem_holds_the_point_the_held_inputs_and_the_dtype():
    model = two_in_two_out()
    a, b = np.array([0.5, 1.5, -2.0]), np.array([3.0, -1.0, 0.25])
    ad = Problem.build(model, {"a": a, "b": b}, input="a", output="v")
    assert ad.x.dtype == np.float64 and np.array_equal(ad.x, a)
    assert ad.selection.others == ("b",) and ad.dtype == "float32"
    np.testing.assert_array_equal(ad.held[0].numpy(), b.astype(np.float32))
    assert (ad.m, ad.n) == (2, 3)
    fd = Problem.build(model, {"a": a, "b": b}, input="a", output="v", finite_differences=True)
    assert fd.dtype == "float64" and fd.held[0].dtype == "float64"
    assert fd.selection.forward == "float64 copy" and ad.selection.forward == "model"
    # f at the point, through the same narrowed function every analysis uses.
    np.testing.assert_allclose(fd.evaluate(fd.x[None])[0], [a.sum() ** 2, np.sin(b[0])])


def test_a_model_fixed_at_its_precision_says_so_only_when_float64_was_asked():
    model, _ = tanh_mlp(seed=6)
    fixed = ModelHandle("fixed", "savedmodel", model.inputs, model.outputs, model.forward,
                        model.default_point)
    assert Problem.build(fixed, finite_differences=True).notes == ()
    asked = Problem.build(fixed, finite_differences=True, dtype="float64")
    assert asked.dtype == "float32" and "fixed at its saved precision" in asked.notes[0]
    with pytest.raises(JacguiError, match="dtype must be"):
        Problem.build(fixed, dtype="float16")


def test_trace_cache_builds_once_per_key():
    cache, built = TraceCache(), []

    def build(tag):
        return lambda: built.append(tag) or tag

    key = TraceKey("reverse", "x", "y", "float32")
    assert cache.get(key, build("a")) == "a" and cache.get(key, build("b")) == "a"
    other_dtype = TraceKey("reverse", "x", "y", "float64")
    other_forward = TraceKey("reverse", "x", "y", "float32", forward="float64 copy")
    assert cache.get(other_dtype, build("c")) == "c"
    assert cache.get(other_forward, build("d")) == "d"
    assert built == ["a", "c", "d"] and len(cache) == 3


def test_cross_check_and_analyses_trace_once_and_not_again_at_new_points():
    model, _ = tanh_mlp(seed=7)
    x0 = model.default_point["x"]

    def everything(x):
        cross_check(model, {"x": x}, 1, 2, method_used="reverse", value=0.0)
        cross_check(model, {"x": x}, 1, 2, method_used="fd-central", value=0.0)
        compare_ad_fd(model, x)
        slice_cell(model, x, 1, 2)

    before = TRACE_COUNTS.copy()
    everything(x0)
    traced = {kind for kind in TRACE_COUNTS if TRACE_COUNTS[kind] > before[kind]}
    assert {"row-gradient", "fd", "reverse", "fd-perturbed"} <= traced
    before = TRACE_COUNTS.copy()
    for k in range(3):
        everything(x0 + 0.05 * (k + 1))
    assert TRACE_COUNTS == before
