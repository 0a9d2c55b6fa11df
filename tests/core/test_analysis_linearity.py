"""Slices and trust radii against closed forms.

The grid is read conservatively, so the reported t_plus lies in (truth - dt, truth] and t_minus
in [truth, truth + dt), dt being the grid spacing.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from jacgui.core.analysis import save_analysis, slice_cell
from jacgui.core.errors import JacguiError

from .analysis_models import function_model, linear


def _bisect(g, lo, hi, iterations=200):
    """Root of g between lo (g <= 0) and hi (g > 0)."""
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if g(mid) <= 0 else (lo, mid)
    return lo


def test_linear_model_is_trusted_over_the_whole_range():
    model, wt = linear(4, 3)
    x = model.default_point["x"]
    result = slice_cell(model, x, 2, 1, t_range=3.0, samples=41)
    assert result.dtype == "float64"
    assert result.whole_range and result.t_minus == -3.0 and result.t_plus == 3.0
    assert result.derivative == pytest.approx(wt[2, 1], rel=1e-14)
    np.testing.assert_allclose(result.tangent, result.values, rtol=1e-12, atol=0)
    # values are the model itself along the line
    expected = (x + np.outer(result.t, np.eye(4)[1])) @ wt.T[:, 2]
    np.testing.assert_allclose(result.values - result.values[20], expected - expected[20],
                               rtol=1e-12, atol=1e-12)


def test_square_at_one_matches_the_closed_form_radius():
    # f = x^2 at x = 1: |t^2| <= 0.01 (1 + t)^2  <=>  -1/11 <= t <= 1/9.
    model = function_model(lambda x: x**2)
    result = slice_cell(model, np.array([1.0]), 0, 0, t_range=0.5, samples=1001)
    dt = 1.0 / 1000
    assert result.derivative == pytest.approx(2.0, rel=1e-15)
    assert 1 / 9 - dt < result.t_plus <= 1 / 9
    assert -1 / 11 <= result.t_minus < -1 / 11 + dt
    assert not result.whole_range
    assert np.all(result.trusted == ((result.t >= result.t_minus) & (result.t <= result.t_plus)))


def test_radius_is_relative_to_the_true_value_even_where_f_is_zero():
    # f = sin x at x = 0: f(0) = 0, and t - sin t <= 0.01 |sin t| holds for |t| <= r with r
    # the root of t - sin t - 0.01 sin t (about 0.245), symmetric.
    model = function_model(tf.sin)
    result = slice_cell(model, np.array([0.0]), 0, 0, t_range=1.0, samples=2001)
    root = _bisect(lambda t: t - 1.01 * np.sin(t), 0.1, 1.0)
    dt = 2.0 / 2000
    assert root - dt < result.t_plus <= root
    assert -root <= result.t_minus < -root + dt


def test_given_derivative_and_labels():
    model = function_model(lambda x: tf.stack([x[:, 0] * x[:, 1], x[:, 1]], 1), 2, 2,
                           [2.0, 3.0])
    result = slice_cell(model, None, "y[0]", "x[1]", derivative=0.0, samples=11)
    assert (result.row, result.col) == (0, 1) and result.derivative_source == "given"
    assert result.t_plus == 0.0 and result.t_minus == 0.0  # a wrong slope is trusted nowhere
    assert result.t.size == 11 and 0.0 in result.t
    # default range is 0.5 max(1, |x_j|) = 1.5
    assert result.t.min() == -1.5 and result.t.max() == 1.5


def test_bad_arguments_are_one_line_errors():
    model = function_model(lambda x: x**2)
    with pytest.raises(JacguiError, match="out of range"):
        slice_cell(model, None, 0, 3)
    with pytest.raises(JacguiError, match="no output labelled"):
        slice_cell(model, None, "nope", 0)
    with pytest.raises(JacguiError, match="positive"):
        slice_cell(model, None, 0, 0, t_range=-1.0)


def test_slice_exports_as_csv_and_json(tmp_path):
    import json

    model = function_model(lambda x: x**2)
    result = slice_cell(model, np.array([1.0]), 0, 0, samples=5)
    rows = save_analysis(result, tmp_path / "s.csv").read_text().splitlines()
    assert rows[0] == "t,x[0],y[0],tangent,abs_error,tolerance,trusted" and len(rows) == 6
    doc = json.loads(save_analysis(result, tmp_path / "s.json").read_text())
    assert doc["analysis"] == "slice" and doc["t_plus"] == result.t_plus
    assert np.load(save_analysis(result, tmp_path / "s.npy")).shape == (5,)
