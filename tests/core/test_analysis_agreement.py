"""AD against FD, and step sweeps, on functions whose derivatives are known.

Step-sweep tolerances: the error curve is sampled every 10^(11/44) ~ 1.8x in h and is noisy
near its minimum (round-off is erratic), so "the minimum lies within a factor 30 of the rule
of thumb" is a loose but meaningful bound: the sweep spans 11 decades. The V is checked as
"some step 30x smaller, and some step 10x larger, than the best one has 30x its error"
(the float32 optimum sits only ~1.5 decades below the largest step of the sweep).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf

from jacgui.core import CancelToken, JacobianCancelled
from jacgui.core.analysis import compare_ad_fd, save_analysis, step_sweep
from tests.core.analytic import tanh_mlp

from .analysis_models import function_model


@pytest.fixture(scope="module")
def mlp():
    return tanh_mlp()


def test_smooth_model_agrees_everywhere(mlp):
    model, truth = mlp
    x = np.array([0.3, -0.2, 0.9, 1.1, -1.4, 0.05, 0.7])
    seen = []
    agreement = compare_ad_fd(model, x, progress=seen.append)
    expected, _ = truth(x)
    assert agreement.fraction_agree == 1.0 and agreement.agree.all()
    assert agreement.ad_dtype == "float32" and agreement.fd_dtype == "float64"
    # float32 AD against float64 FD: the disagreement is AD round-off, ~1e-7 of max|J|.
    assert agreement.max_abs <= 1e-5 * np.abs(expected).max()
    np.testing.assert_allclose(agreement.fd, expected, atol=1e-8)
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert seen[-1].done == seen[-1].total and seen[0].done == 0


def test_kink_is_found_at_its_cell():
    # y0 = relu(x0) + x1^2, y1 = x0 x1 at (0, 2): TF says relu'(0) = 0, central differences
    # say (h - 0) / 2h = 0.5. Everything else agrees.
    model = function_model(
        lambda x: tf.stack([tf.nn.relu(x[:, 0]) + x[:, 1] ** 2, x[:, 0] * x[:, 1]], 1),
        2, 2, [0.0, 2.0])
    agreement = compare_ad_fd(model)
    assert agreement.max_abs_cell == (0, 0)
    assert agreement.max_abs == pytest.approx(0.5, rel=1e-9)  # 4 + h rounds: eps 4 / h
    assert agreement.max_rel_cell == (0, 0) and agreement.max_rel == pytest.approx(1.0)
    assert agreement.difference[0, 0] == pytest.approx(-0.5)
    assert agreement.fraction_agree == 0.75 and not agreement.agree[0, 0]
    assert "d y[0] / d x[0]" in agreement.summary_lines()[1]


def test_compare_can_be_cancelled(mlp):
    model, _ = mlp
    token = CancelToken()
    token.cancel()
    with pytest.raises(JacobianCancelled):
        compare_ad_fd(model, cancel=token)


def test_compare_exports_difference_with_labels(tmp_path, mlp):
    model, _ = mlp
    agreement = compare_ad_fd(model)
    rows = save_analysis(agreement, tmp_path / "c.csv").read_text().splitlines()
    assert rows[0].startswith("AD - FD,x[0],") and rows[1].startswith("y[0],")
    doc = json.loads(save_analysis(agreement, tmp_path / "c.json").read_text())
    assert doc["fraction_agree"] == 1.0 and len(doc["difference"]) == 5


def _check_v_shape(sweep, index, rule_factor=30.0):
    error, h = sweep.error[index], sweep.steps[index]
    finite = np.isfinite(error) & (error > 0)
    best = np.nanmin(error[finite])
    best_h = sweep.best_step[index]
    rule = sweep.rule_step[index]
    assert rule / rule_factor <= best_h <= rule * rule_factor
    # Both arms rise well above the bottom of the V.
    left, right = error[finite & (h < best_h / 30)], error[finite & (h > best_h * 10)]
    assert left.size and right.size
    assert left.max() > 30 * best and right.max() > 30 * best
    return best


@pytest.mark.parametrize("function,x,third,central", [
    (tf.sin, 1.0, lambda x: -np.cos(x), True),
    (tf.exp, 3.0, np.exp, True),
    (tf.sin, 1.0, None, False),
])
def test_sweep_is_a_v_with_its_bottom_at_the_optimal_step(function, x, third, central):
    model = function_model(function)
    sweep = step_sweep(model, np.array([x]), 0, 0, dtype="both", central=central)
    assert sweep.dtypes == ("float32", "float64")
    f = float(function(tf.constant(x, tf.float64)))
    assert sweep.ad_value == pytest.approx(f if function is tf.exp else np.cos(x), rel=1e-15)
    scale = max(1.0, abs(x))
    for index, dtype in enumerate(sweep.dtypes):
        eps = np.finfo(dtype).eps
        assert sweep.rule_step[index] == pytest.approx(
            (eps ** (1 / 3) if central else eps ** 0.5) * scale)
        _check_v_shape(sweep, index)
        if third is not None:  # curvature optimum h* = cbrt(3 eps |f| / |f'''|), f''' estimated
            expected = np.cbrt(3 * eps * abs(f) / abs(third(x)))
            assert sweep.optimal_step[index] == pytest.approx(expected, rel=0.2)
    # float32 bottoms out far above float64: the point of sweeping both.
    assert np.nanmin(sweep.error[0]) > 1e3 * np.nanmin(sweep.error[1])


def test_steps_that_vanish_in_float32_are_nan_not_infinite():
    model = function_model(tf.sin)
    sweep = step_sweep(model, np.array([1.0]), 0, 0, steps=[1e-12, 1e-3], dtype="float32")
    assert sweep.steps[0, 0] == 0.0 and np.isnan(sweep.derivative[0, 0])
    assert np.isfinite(sweep.derivative[0, 1])
    rows = sweep.to_rows()
    assert rows[0] == ["relative_step", "h_float32", "derivative_float32", "abs_error_float32"]


def test_a_float32_only_model_says_it_cannot_do_float64():
    model = function_model(tf.sin, float64=False)
    sweep = step_sweep(model, np.array([1.0]), 0, 0, dtype="both")
    assert sweep.dtypes == ("float32",)
    assert any("float64 was asked for" in note for note in sweep.notes)
