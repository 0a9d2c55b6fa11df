"""The engine against Jacobians known in closed form.

Tolerances: AD runs in float32, so it agrees with the float64 truth to float32 round-off,
about 1e-6 relative to max|J| (we allow 1e-5). Finite differences run in float64 (the models
offer a float64 forward) and are Richardson-extrapolated; each must lie within its own per-cell
error estimate, which is the plain difference's truncation (central h^2 |f'''|/6 at
h = eps^(1/5), about 1e-7; forward h |f''|/2 at h = eps^(1/3), about 3e-6) plus round-off.
"""

from __future__ import annotations

import numpy as np
import pytest

from jacgui.core import CancelToken, JacobianCancelled, JacobianJob, JacobianOptions
from jacgui.core.engine import jacobian, plan_job, run_job
from jacgui.core.errors import JacguiError, JacobianTooLargeError
from jacgui.core.traces import TRACE_COUNTS

from .analytic import linear_layer, tanh_mlp, two_in_two_out

AD = ("auto", "reverse", "forward")
FD = ("fd-forward", "fd-central")
AD_RTOL = 1e-5


@pytest.fixture(scope="module")
def mlp():
    return tanh_mlp()


@pytest.mark.parametrize("method", AD + FD)
def test_linear_layer_is_w_transposed(method):
    model, wt = linear_layer()
    result = jacobian(model, method=method)
    tol = AD_RTOL * np.abs(wt).max() if method in AD else 1e-7
    np.testing.assert_allclose(result.matrix, wt, atol=tol, rtol=0)
    assert result.shape == (4, 6)


@pytest.mark.parametrize("method", AD)
def test_tanh_mlp_matches_hand_derivation(mlp, method):
    model, truth = mlp
    x = np.array([0.3, -0.2, 0.9, 1.1, -1.4, 0.05, 0.7])
    expected, outputs = truth(x)
    result = jacobian(model, x, method=method)
    assert np.max(np.abs(result.matrix - expected)) <= AD_RTOL * np.abs(expected).max()
    np.testing.assert_allclose(result.outputs, outputs, rtol=1e-5)
    assert result.input_labels[3] == "x[3]" and result.output_labels[0] == "y[0]"


@pytest.mark.parametrize("method", FD)
def test_finite_differences_lie_within_their_error_estimate(mlp, method):
    model, truth = mlp
    x = np.array([0.3, -0.2, 0.9, 1.1, -1.4, 0.05, 0.7])
    expected, _ = truth(x)
    result = jacobian(model, x, method=method)
    assert result.extra["dtype"] == "float64"
    actual_error = np.abs(result.matrix - expected)
    assert np.all(actual_error <= result.error_estimate)
    # The estimate must also be informative, not a blanket huge number: central within the
    # 1e-6 of max|J| asked of it; forward's is a few times h |f''| with h = eps^(1/3).
    bound = 3e-5 if method == "fd-forward" else 1e-6
    assert result.error_estimate.max() < bound * np.abs(expected).max()
    assert result.steps.shape == (7,)


def test_fd_float32_is_much_less_accurate_than_float64(mlp):
    model, truth = mlp
    expected, _ = truth(model.default_point["x"])
    err32 = np.abs(jacobian(model, method="fd-central", dtype="float32").matrix - expected).max()
    err64 = np.abs(jacobian(model, method="fd-central").matrix - expected).max()
    assert err64 * 100 < err32


def test_auto_picks_reverse_for_wide_and_forward_for_tall():
    wide, _ = linear_layer(n=6, m=4)
    tall, _ = linear_layer(n=3, m=9)
    assert jacobian(wide).method == "reverse"
    result = jacobian(tall)
    assert result.method == "forward" and "auto" in result.method_reason


def test_multi_input_multi_output_selection():
    model = two_in_two_out()
    a, b = model.default_point["a"], model.default_point["b"]
    for method in AD + ("fd-central",):
        ju_b = jacobian(model, method=method, input="b", output="u").matrix
        np.testing.assert_allclose(ju_b, np.diag(a), atol=1e-6)
        jv_a = jacobian(model, method=method, input="a", output="v").matrix
        expected = np.array([[2 * a.sum()] * 3, [0, 0, 0]])
        np.testing.assert_allclose(jv_a, expected, atol=1e-5)
    # The held input keeps its value from the point.
    result = jacobian(model, {"a": a, "b": b + 1}, input="a", output="u")
    np.testing.assert_allclose(result.matrix, np.diag(b + 1), atol=1e-6)


@pytest.mark.parametrize("method", AD)
def test_a_row_that_does_not_depend_is_exact_zeros_without_a_false_alarm(method):
    model = two_in_two_out()
    a = model.default_point["a"]
    # v[1] = sin(b0) ignores a; v[0] = sum(a)^2 depends on a, so the path is connected and the
    # zero row is honest: no warning about cut gradients or independence.
    result = jacobian(model, input="a", output="v", method=method)
    np.testing.assert_array_equal(result.matrix[1], 0.0)
    np.testing.assert_allclose(result.matrix[0], 2 * a.sum(), rtol=AD_RTOL)
    assert result.warnings == ()


def _smallest_budget(model, method):
    """The smallest budget the planner accepts, by bisection (set-up, not an oracle)."""
    low, high = 1, 1 << 30
    while low < high:
        middle = (low + high) // 2
        try:
            plan_job(JacobianJob(model, {}, method, options=JacobianOptions(memory_budget=middle)))
            high = middle
        except JacobianTooLargeError:
            low = middle + 1
    return low


@pytest.mark.parametrize("method", ["reverse", "forward", "fd-central"])
def test_progress_is_monotone_and_complete_and_chunks_follow_budget(mlp, method):
    # Whether the memory actually stays within the budget is measured in test_memory_budget;
    # here: a smaller budget never means fewer chunks, and every chunking gives the truth.
    model, truth = mlp
    expected, _ = truth(model.default_point["x"])
    units = 5 if method == "reverse" else 7  # reverse chunks the 5 rows, the others 7 columns
    smallest = _smallest_budget(model, method)
    budgets = [1 << 30, *np.geomspace(8 * smallest, smallest, 6).astype(int)]
    counts = []
    for budget in budgets:
        seen = []
        result = jacobian(model, method=method, memory_budget=int(budget), progress=seen.append)
        done = [p.done for p in seen]
        assert done == list(range(result.chunks + 1))
        assert all(p.total == result.chunks for p in seen)
        np.testing.assert_allclose(result.matrix, expected, atol=1e-5)
        counts.append(result.chunks)
    assert counts == sorted(counts), counts  # budgets shrink, chunks never get fewer
    assert counts[0] == 1 and counts[-1] == units, counts  # all at once; one unit per chunk
    with pytest.raises(JacobianTooLargeError):
        jacobian(model, method=method, memory_budget=smallest - 1)


def test_too_large_for_budget_gives_size_and_advice(mlp):
    model, _ = mlp
    with pytest.raises(JacobianTooLargeError, match="choose one output"):
        jacobian(model, memory_budget=100)


@pytest.mark.parametrize("method", ["reverse", "forward", "fd-forward", "fd-central"])
def test_cancel_between_chunks(mlp, method):
    model, _ = mlp
    token = CancelToken()
    seen = []

    def progress(p):
        seen.append(p.done)
        if p.done == 1:
            token.cancel()

    full = plan_job(JacobianJob(model, {}, method))
    budget = full.jacobian_bytes + (full.estimate_bytes - full.jacobian_bytes) // 5
    job = JacobianJob(model, {}, method, options=JacobianOptions(memory_budget=budget), job_id=7)
    with pytest.raises(JacobianCancelled):
        run_job(job, progress, token)
    assert seen == [0, 1]  # stopped right after the first chunk


@pytest.mark.parametrize("method, kinds", [
    ("reverse", {"reverse"}),
    ("forward", {"forward"}),
    ("fd-central", {"fd", "fd-perturbed"}),
    ("fd-forward", {"fd", "fd-perturbed"}),
])
def test_new_points_do_not_retrace(method, kinds):
    model, _ = tanh_mlp(seed=3)  # a fresh model: its first Jacobian must trace
    before = TRACE_COUNTS.copy()
    jacobian(model, method=method)
    traced = {kind for kind in TRACE_COUNTS if TRACE_COUNTS[kind] > before[kind]}
    assert kinds <= traced, f"{method} traced {traced}: the counter does not see its traces"
    before = TRACE_COUNTS.copy()
    for k in range(10):
        jacobian(model, model.default_point["x"] + 0.1 * k, method=method)
    assert TRACE_COUNTS == before, method


def test_plan_reports_method_and_memory(mlp):
    model, _ = mlp
    plan = plan_job(JacobianJob(model, {}, "auto"))
    assert plan.method == "reverse" and plan.jacobian_bytes == 5 * 7 * 4 and plan.n_chunks == 1


def test_unknown_method_is_a_user_error(mlp):
    with pytest.raises(JacguiError, match="unknown method"):
        jacobian(mlp[0], method="backwards")


def test_fd_without_error_estimate_gives_the_same_derivative(mlp):
    model, _ = mlp
    full = jacobian(model, method="fd-central")
    fast = jacobian(model, method="fd-central", error_estimate=False)
    assert fast.error_estimate is None and full.error_estimate is not None
    # Same steps and formula; only the batch size (hence BLAS rounding) differs.
    assert np.all(np.abs(fast.matrix - full.matrix) <= full.error_estimate)


def test_switching_outputs_back_and_forth_reuses_traces():
    model = two_in_two_out()
    jacobian(model, input="a", output="u")
    jacobian(model, input="a", output="v")
    before = dict(TRACE_COUNTS)
    for _ in range(3):
        jacobian(model, input="a", output="u")
        jacobian(model, input="a", output="v")
    assert dict(TRACE_COUNTS) == before


def test_traces_are_called_flat_and_give_what_the_public_call_gives(mlp):
    # The flat call skips the concrete function's signature binding (a tenth of a small
    # model's Jacobian); it is private TensorFlow API, so a TensorFlow without it must be
    # noticed here rather than as a silent slow-down.
    import tensorflow as tf

    from jacgui.core.autodiff import _flat_caller
    from jacgui.core.problem import Problem

    model, _ = mlp
    problem = Problem.build(model)
    function = tf.function(lambda x: (tf.tanh(x), tf.sin(x)[:, None] * x), autograph=False)
    concrete = function.get_concrete_function(tf.TensorSpec((7,), tf.float32))
    flat = _flat_caller(concrete)
    assert flat is not concrete, "this TensorFlow has no flat call: the public call is used"
    x = problem.x_tensor()  # the flat call converts nothing: the point must be float32 already
    assert x.dtype == tf.float32
    for got, expected in zip(flat(x), concrete(x), strict=True):
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
