"""Sobol indices (S1, ST) with bootstrap intervals against closed forms.

Truths come from the functions' variance decompositions, never from the code under test:

- Ishigami on U[-pi, pi]^3 (a = 7, b = 0.1): V1 = (1 + b pi^4/5)^2 / 2, V2 = a^2/8, V3 = 0,
  V13 = 8 b^2 pi^8/225, V = V1 + V2 + V13 (so S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424,
  0.2437).
- Sobol G-function on U[0, 1]^d: V_j = 1 / (3 (1 + a_j)^2), V = prod(1 + V_j) - 1,
  S1_j = V_j / V and ST_j = V_j prod_{k != j}(1 + V_k) / V.
- A linear map y = x W + b with independent uniform inputs: S1_ij = ST_ij =
  a_ij^2 var_j / sum_j a_ij^2 var_j with a = W^T and var_j = (high_j - low_j)^2 / 12.

Tolerances: every index within 0.03 of the truth at N = 4096 (the issue's bar; the estimators'
sampling error at that N is about 0.01), and the truth inside 1.5x the reported 95 %
half-width (|error| <= 1.5 x 1.96 SE, which a correct SE misses with probability ~0.3 % per
index).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf

from jacgui.core import CancelToken, JacobianCancelled
from jacgui.core.analysis import save_analysis, sobol_indices
from jacgui.core.errors import JacguiError, JacobianTooLargeError
from jacgui.core.traces import TRACE_COUNTS

from .analysis_models import G_COEFFICIENTS, function_model, g_function, ishigami, linear
from .analysis_models import ISHIGAMI_A as A
from .analysis_models import ISHIGAMI_B as B

PI = np.pi


def _ishigami_truth():
    v1, v2, v13 = 0.5 * (1 + B * PI**4 / 5) ** 2, A**2 / 8, 8 * B**2 * PI**8 / 225
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def _g_truth(a):
    a = np.asarray(a, dtype=float)
    vj = 1 / (3 * (1 + a) ** 2)
    v = np.prod(1 + vj) - 1
    total = np.array([vj[j] * np.prod(np.delete(1 + vj, j)) for j in range(a.size)]) / v
    return vj / v, total


def _check(result, first, total, tolerance=0.03):
    for estimate, conf, truth in ((result.first_order[0], result.first_order_conf[0], first),
                                  (result.total_order[0], result.total_order_conf[0], total)):
        assert np.all(np.abs(estimate - truth) <= tolerance), (estimate, truth)
        assert np.all(np.abs(estimate - truth) <= 1.5 * conf), (estimate, truth, conf)


@pytest.fixture(scope="module")
def ishigami_sobol():
    return sobol_indices(ishigami(), [[-PI, PI]] * 3, 4096, seed=1)


def test_ishigami_indices_match_the_closed_form(ishigami_sobol):
    first, total = _ishigami_truth()
    np.testing.assert_allclose(first, [0.3139, 0.4424, 0.0], atol=5e-5)  # the values
    np.testing.assert_allclose(total, [0.5576, 0.4424, 0.2437], atol=5e-5)
    _check(ishigami_sobol, first, total)
    assert ishigami_sobol.n_samples == 4096 and ishigami_sobol.evaluations == 4096 * 5
    # Intervals are informative, not blanket wide: well under 0.1 at N = 4096.
    assert np.all(ishigami_sobol.first_order_conf < 0.06)
    assert np.all(ishigami_sobol.total_order_conf < 0.06)


@pytest.mark.parametrize("seed", [0, 7])
def test_g_function_indices_match_the_closed_form(seed):
    result = sobol_indices(g_function(), [[0.0, 1.0]] * len(G_COEFFICIENTS), 4096, seed=seed)
    first, total = _g_truth(G_COEFFICIENTS)
    assert first[0] > 0.7 and total[-1] < 1e-3  # one dominant input, two negligible ones
    _check(result, first, total)


def test_linear_map_gives_equal_first_and_total_indices_per_output_row():
    model, jac = linear(4, 3, seed=5)  # three outputs with different weights
    bounds = np.array([[0.0, 1.0], [-2.0, 2.0], [10.0, 10.5], [-1.0, 3.0]])
    result = sobol_indices(model, bounds, 4096, seed=2)
    contribution = np.square(jac) * np.square(bounds[:, 1] - bounds[:, 0]) / 12
    truth = contribution / contribution.sum(axis=1, keepdims=True)
    assert result.first_order.shape == result.total_order.shape == (3, 4)
    for i in range(3):
        _check(_row(result, i), truth[i], truth[i], tolerance=0.02)


def _row(result, i):
    class Row:
        first_order, total_order = result.first_order[i:i + 1], result.total_order[i:i + 1]
        first_order_conf = result.first_order_conf[i:i + 1]
        total_order_conf = result.total_order_conf[i:i + 1]
    return Row


def test_the_batching_reproduces_scipys_own_end_to_end_estimate():
    # scipy.stats.sobol_indices draws the same scrambled Sobol design from the same seed and
    # calls a NumPy Ishigami itself; jacgui builds the rows batch by batch and runs the model.
    from scipy import stats

    def numpy_ishigami(x):  # x: (d, n) as scipy passes it
        return np.sin(x[0]) + A * np.sin(x[1]) ** 2 + B * x[2] ** 4 * np.sin(x[0])

    reference = stats.sobol_indices(func=numpy_ishigami, n=256,
                                    dists=[stats.uniform(-PI, 2 * PI)] * 3,
                                    rng=np.random.default_rng(3))
    ours = sobol_indices(ishigami(), [[-PI, PI]] * 3, 256, seed=3, batch_size=100)
    # float32 model against float64 NumPy: the indices agree to float32 round-off.
    np.testing.assert_allclose(ours.first_order[0], reference.first_order, atol=2e-5)
    np.testing.assert_allclose(ours.total_order[0], reference.total_order, atol=2e-5)


def test_convergence_prefixes_end_at_the_result_and_narrow_with_n(ishigami_sobol):
    c = ishigami_sobol.convergence
    np.testing.assert_array_equal(c.n_samples, [256, 512, 1024, 2048, 4096])
    np.testing.assert_array_equal(c.total_order[-1], ishigami_sobol.total_order)
    np.testing.assert_array_equal(c.first_order_conf[-1], ishigami_sobol.first_order_conf)
    assert c.first_order.shape == (5, 1, 3)
    # Half-widths shrink like 1/sqrt(N): 16x the points, about a quarter of the width.
    ratio = c.total_order_conf[0, 0] / c.total_order_conf[-1, 0]
    assert np.all((ratio > 2.5) & (ratio < 6.5)), ratio


def test_held_elements_cost_nothing_and_have_zero_indices():
    result = sobol_indices(ishigami(), [[-PI, PI], [1.0, 1.0], [-PI, PI]], 1024, seed=0)
    assert result.evaluations == 1024 * 4  # x2 is held at 1: no A_B^(2) rows
    assert result.first_order[0, 1] == result.total_order[0, 1] == 0.0
    assert result.total_order_conf[0, 1] == 0.0
    # With x2 fixed, f = sin x1 (1 + b x3^4) + const: V1 and V13 only.
    v1, v13 = 0.5 * (1 + B * PI**4 / 5) ** 2, 8 * B**2 * PI**8 / 225
    assert result.total_order[0, 0] == pytest.approx(1.0, abs=0.03)
    assert result.first_order[0, 0] == pytest.approx(v1 / (v1 + v13), abs=0.03)


def test_batches_are_fixed_size_without_retracing_and_progress_is_monotone():
    model, seen = ishigami(), []
    one = sobol_indices(model, [[-PI, PI]] * 3, 64, seed=4)
    count = TRACE_COUNTS["fd"]
    chunked = sobol_indices(model, [[-PI, PI]] * 3, 64, seed=4, batch_size=50,
                            progress=seen.append)
    assert TRACE_COUNTS["fd"] == count
    assert chunked.n_batches == 7 and chunked.batch_size == 50  # 320 rows, the last padded
    levels = len(chunked.convergence.n_samples)  # 64 >> 3 = 8 is the smallest prefix
    assert [p.done for p in seen] == list(range(7 + levels + 1))
    assert {p.total for p in seen} == {7 + levels}
    np.testing.assert_allclose(chunked.total_order, one.total_order, rtol=1e-6, atol=1e-9)


def test_cancel_between_batches_raises():
    token = CancelToken()

    def progress(p):
        if p.done == 2:
            token.cancel()

    with pytest.raises(JacobianCancelled):
        sobol_indices(ishigami(), [[-PI, PI]] * 3, 64, batch_size=40, progress=progress,
                      cancel=token)


def test_constant_output_has_zero_indices_and_says_so():
    model = function_model(lambda x: 0.0 * x[:, :1] + 2.0, 2, 1, name="constant")
    result = sobol_indices(model, [[0.0, 1.0]] * 2, 64)
    np.testing.assert_array_equal(result.total_order, 0.0)
    np.testing.assert_array_equal(result.first_order_conf, 0.0)
    assert any("constant over the box" in w for w in result.warnings)


@pytest.mark.parametrize("n,bounds,message", [
    (1000, [[0, 1]] * 3, "power of 2.*use 512 or 1024"),
    (4, [[0, 1]] * 3, "whole number >= 8"),
    ("many", [[0, 1]] * 3, "N must be a whole number >= 8, got 'many'"),
    (64, [[0, 1]] * 2, "2 bounds given for 3"),
    (64, [[1, 1]] * 3, "nothing varies"),
])
def test_bad_requests_are_refused_with_one_line(n, bounds, message):
    with pytest.raises(JacguiError, match=message) as error:
        sobol_indices(ishigami(), bounds, n)
    assert "\n" not in str(error.value)


def test_nan_outputs_and_the_memory_budget_are_user_errors():
    model = function_model(lambda x: tf.math.log(x[:, :1]), 1, 1, name="log")
    nan_message = r"NaN/Inf at 96 of 192 design points \(first at .*\); shrink the bounds"
    with pytest.raises(JacguiError, match=nan_message):
        sobol_indices(model, [[-1.0, 1.0]], 64)
    with pytest.raises(JacobianTooLargeError, match="more than half the memory budget"):
        sobol_indices(ishigami(), [[-PI, PI]] * 3, 1024, memory_budget=10_000)


def test_exports_hold_the_arrays_and_one_row_per_cell(tmp_path, ishigami_sobol):
    doc = json.loads(save_analysis(ishigami_sobol, tmp_path / "s.json").read_text())
    for key in ("S1", "S1_conf", "ST", "ST_conf"):
        assert np.array(doc[key]).shape == (1, 3)
    np.testing.assert_allclose(doc["ST"], ishigami_sobol.total_order)
    assert doc["input_labels"] == ["x[0]", "x[1]", "x[2]"] and doc["output_labels"] == ["y[0]"]
    assert doc["n_samples"] == 4096 and doc["evaluations"] == 20480
    assert np.array(doc["convergence_ST"]).shape == (5, 1, 3)
    rows = save_analysis(ishigami_sobol, tmp_path / "s.csv").read_text().splitlines()
    assert rows[0] == "output,input,S1,S1_conf,ST,ST_conf" and len(rows) == 4
    cells = rows[2].split(",")
    assert cells[:2] == ["y[0]", "x[1]"]
    np.testing.assert_allclose([float(v) for v in cells[2:]], [
        ishigami_sobol.first_order[0, 1], ishigami_sobol.first_order_conf[0, 1],
        ishigami_sobol.total_order[0, 1], ishigami_sobol.total_order_conf[0, 1]], rtol=1e-15)
    data = np.load(save_analysis(ishigami_sobol, tmp_path / "s.npz"))
    np.testing.assert_array_equal(data["S1_conf"], ishigami_sobol.first_order_conf)
    ranked = ishigami_sobol.ranked(0)
    assert [r[0] for r in ranked] == ["x[0]", "x[1]", "x[2]"]  # ST 0.56 > 0.44 > 0.24


def test_convergence_can_be_left_out(ishigami_sobol):
    alone = sobol_indices(ishigami(), [[-PI, PI]] * 3, 4096, seed=1, convergence=False)
    np.testing.assert_array_equal(alone.convergence.n_samples, [4096])
    # Same design, same first bootstrap draws: the indices are identical, only the rng state
    # of the (fewer) bootstrap runs differs.
    np.testing.assert_array_equal(alone.total_order, ishigami_sobol.total_order)
    np.testing.assert_allclose(alone.total_order_conf, ishigami_sobol.total_order_conf, rtol=0.2)
