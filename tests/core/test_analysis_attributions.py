"""Integrated gradients and SmoothGrad against closed forms.

- A linear model y = x W + b has the constant gradient W[:, i], so integrated gradients are
  exactly (x - x') * W[:, i] (the quadrature weights sum to 1) and SmoothGrad is exactly W[:, i].
- f = sum x^3 along the straight path x' + t d (d = x - x'): df/dx_j = 3 (x'_j + t d_j)^2, so
  the exact attribution is d_j (3 x'_j^2 + 3 x'_j d_j + d_j^2) = x_j^3 - x'_j^3. Gauss-Legendre
  with K >= 2 nodes integrates the quadratic exactly; the K-point trapezoid rule overshoots by
  g''/(12 (K - 1)^2) with g'' = 6 d_j^2, i.e. the attribution by d_j^3 / (2 (K - 1)^2).
- SmoothGrad of sum x^3: E[3 (x + e)^2] = 3 x^2 + 3 sigma^2 for e ~ N(0, sigma^2).
- Completeness on the bundled digits CNN (ReLU, so the path integrand has kinks): within 1 % at
  K = 64 Gauss-Legendre nodes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from jacgui.core import CancelToken, JacobianCancelled
from jacgui.core.analysis import (
    integrated_gradients,
    save_analysis,
    save_attribution_png,
    smoothgrad,
)
from jacgui.core.analysis.attributions import blurred
from jacgui.core.errors import JacguiError
from jacgui.core.handle import ModelHandle
from jacgui.core.spec import TensorInfo
from jacgui.core.traces import TRACE_COUNTS

from .analysis_models import function_model, linear

DIGITS = Path(__file__).resolve().parents[2] / "resources" / "models" / "digits_cnn.keras"
X = np.array([0.5, -1.25, 2.0, 0.75])
BASE = np.array([0.25, 0.5, -1.0, 0.75])


@pytest.fixture(scope="module")
def digits():
    from jacgui.core.loading import load_model

    return load_model(DIGITS)


def _cubic():
    return function_model(lambda x: tf.reduce_sum(x**3, axis=1, keepdims=True), 4, 1,
                          name="cubic")


def _image_model(shape=(8, 10, 3)):
    """y = sum(w * x) over an image: a constant gradient w of the image's shape."""
    w = np.random.default_rng(1).standard_normal(shape)

    def forward(feeds):
        x = feeds["img"]
        return {"y": tf.reduce_sum(x * tf.cast(w, x.dtype), axis=(1, 2, 3))[:, None]}

    point = np.random.default_rng(2).uniform(0, 1, shape)
    model = ModelHandle("image", "python", (TensorInfo("img", shape),), (TensorInfo("y", (1,)),),
                        forward, {"img": point})
    return model, w, point


@pytest.mark.parametrize("rule", ["gauss-legendre", "trapezoid"])
def test_integrated_gradients_of_a_linear_model_are_exact(rule):
    model, jac = linear(4, 3, seed=3)
    w = jac.astype(np.float32).astype(np.float64)  # float32 AD of x W is exactly W in float32
    result = integrated_gradients(model, X, 2, baseline=BASE, steps=5, rule=rule)
    # Only the quadrature weights' sum (1 to within 1e-16) and float64 products round.
    np.testing.assert_allclose(result.attributions, (X - BASE) * w[2], rtol=1e-12, atol=0)
    zeros = integrated_gradients(model, X, 2, steps=3)
    np.testing.assert_allclose(zeros.attributions, X * w[2], rtol=1e-12, atol=0)
    assert zeros.baseline_kind == "zeros" and result.baseline_kind == "given"
    # f(x) - f(x') in float32: the gap is round-off of two float32 outputs (|f| ~ 3).
    assert abs(result.completeness_gap) < 1e-5


def test_gauss_legendre_is_exact_for_the_cubic_and_trapezoid_has_its_known_error():
    model, d = _cubic(), X - BASE
    exact = X**3 - BASE**3
    gl = integrated_gradients(model, X, baseline=BASE, steps=2)
    # float32 gradients of O(10) values: 1e-6 relative to the largest attribution.
    np.testing.assert_allclose(gl.attributions, exact, rtol=0, atol=1e-6 * np.abs(exact).max())
    for k in (3, 9):
        trap = integrated_gradients(model, X, baseline=BASE, steps=k, rule="trapezoid")
        np.testing.assert_allclose(trap.attributions, exact + d**3 / (2 * (k - 1) ** 2),
                                   rtol=0, atol=1e-6 * np.abs(exact).max())
    assert gl.relative_gap < 1e-6 and gl.f_x == pytest.approx(np.sum(X**3), rel=1e-6)


def test_completeness_on_a_small_cnn_within_one_percent_at_64_steps(digits):
    result = integrated_gradients(digits, None, 3, steps=64)
    assert result.attributions.shape == (28, 28, 1)
    assert result.f_x - result.f_baseline > 1  # a real change of the class-3 logit
    total = result.attributions.sum()
    assert result.completeness_gap == pytest.approx(total - (result.f_x - result.f_baseline))
    assert result.relative_gap <= 0.01, result.relative_gap
    blur = integrated_gradients(digits, None, 3, steps=64, baseline="blur")
    assert blur.relative_gap <= 0.01 and blur.baseline_kind == "blur"
    assert not blur.warnings


def test_blur_baseline_keeps_constants_and_channels_apart():
    image = np.zeros((8, 10, 3))
    image[..., 0] = 1.0  # a red image stays red: channels are not blurred into each other
    image[..., 2] = 0.25
    np.testing.assert_allclose(blurred(image.reshape(-1), image.shape, True), image.reshape(-1),
                               atol=1e-12)
    spike = np.zeros((8, 10, 1))
    spike[4, 5, 0] = 1.0
    smooth = blurred(spike.reshape(-1), spike.shape, True).reshape(spike.shape)
    assert 0 < smooth[4, 5, 0] < 1 and smooth[3, 5, 0] > 0 and smooth.sum() == pytest.approx(1)
    model, jac = linear(4, 1)
    result = integrated_gradients(model, X, baseline="blur", steps=4)
    assert any("not an image" in w for w in result.warnings)


def test_smoothgrad_of_a_linear_model_is_its_weights():
    model, jac = linear(4, 3, seed=3)
    w = jac.astype(np.float32).astype(np.float64)
    result = smoothgrad(model, X, "y[1]", samples=20, noise=0.3, batch_size=7)
    np.testing.assert_array_equal(result.mean_gradient, w[1])
    np.testing.assert_array_equal(result.mean_abs_gradient, np.abs(w[1]))
    np.testing.assert_array_equal(result.standard_error, 0.0)
    assert result.sigma == pytest.approx(0.3 * (X.max() - X.min())) and result.row == 1


def test_smoothgrad_of_the_cubic_matches_the_noise_formula():
    result = smoothgrad(_cubic(), X, samples=4000, noise=0.1, seed=3)
    sigma = 0.1 * (X.max() - X.min())
    truth = 3 * X**2 + 3 * sigma**2
    # 4 standard errors of a mean of 4000: fails with probability < 1e-4 per element.
    assert np.all(np.abs(result.mean_gradient - truth) <= 4 * result.standard_error)
    assert np.all(result.standard_error < 0.02 * truth.max())
    same = smoothgrad(_cubic(), X, samples=4000, noise=0.1, seed=3, batch_size=999)
    np.testing.assert_allclose(same.mean_gradient, result.mean_gradient, rtol=1e-6)
    other = smoothgrad(_cubic(), X, samples=4000, noise=0.1, seed=4)
    assert not np.array_equal(other.mean_gradient, result.mean_gradient)


def test_chunks_report_progress_do_not_retrace_and_cancel():
    model = _cubic()
    integrated_gradients(model, X, steps=4)
    count = TRACE_COUNTS["row-gradients"]
    seen = []
    integrated_gradients(model, X, steps=10, batch_size=3, progress=seen.append)
    smoothgrad(model, X, samples=5, batch_size=2)
    assert TRACE_COUNTS["row-gradients"] == count
    assert [p.done for p in seen] == list(range(6)) and {p.total for p in seen} == {5}
    token = CancelToken()

    def progress(p):
        if p.done == 2:
            token.cancel()

    with pytest.raises(JacobianCancelled):
        smoothgrad(model, X, samples=20, batch_size=2, progress=progress, cancel=token)


@pytest.mark.parametrize("call,message", [
    (lambda m: integrated_gradients(m, X, rule="simpson"), "unknown integration rule"),
    (lambda m: integrated_gradients(m, X, steps=1, rule="trapezoid"), "whole number >= 2"),
    (lambda m: integrated_gradients(m, X, steps=0), "whole number >= 1"),
    (lambda m: integrated_gradients(m, X, baseline="black"), "unknown baseline 'black'"),
    (lambda m: integrated_gradients(m, X, baseline=np.zeros(3)), "the baseline has 3 values"),
    (lambda m: integrated_gradients(m, X, baseline=[np.nan] * 4), "NaN"),
    (lambda m: integrated_gradients(m, X, row=4), "out of range"),
    (lambda m: smoothgrad(m, X, noise=-1), "noise must be a number >= 0"),
    (lambda m: smoothgrad(m, X, samples=0), "samples must be a whole number >= 1"),
    (lambda m: smoothgrad(m, X, samples="many"), "got 'many'"),
    (lambda m: smoothgrad(m, X, noise="loud"), "noise must be a number >= 0"),
    (lambda m: integrated_gradients(m, X, steps=2.5), "steps must be a whole number"),
])
def test_bad_options_are_one_line_errors(call, message):
    with pytest.raises(JacguiError, match=message) as error:
        call(_cubic())
    assert "\n" not in str(error.value)


def test_png_of_an_image_input_and_refusal_for_others(tmp_path):
    model, w, point = _image_model()
    result = integrated_gradients(model, None, steps=2)
    np.testing.assert_allclose(result.attributions, point * w.astype(np.float32), rtol=1e-6)
    path = save_attribution_png(result, tmp_path / "ig.png", "title")
    with Image.open(path) as image:
        assert image.mode == "RGB" and image.width > 2 * 280 and image.height > 280
        pixels = np.asarray(image)
    assert (pixels[..., 0] > pixels[..., 2] + 50).any()  # red (positive) cells are drawn
    assert (pixels[..., 2] > pixels[..., 0] + 50).any()  # and blue (negative) ones
    vector = integrated_gradients(_cubic(), X)
    with pytest.raises(JacguiError, match=r"needs an image input; 'x' has shape \(4,\)"):
        save_attribution_png(vector, tmp_path / "no.png")
    assert not (tmp_path / "no.png").exists()


def test_exports_are_shaped_like_the_input(tmp_path, digits):
    result = smoothgrad(digits, None, 3, samples=8)
    assert np.load(save_analysis(result, tmp_path / "s.npy")).shape == (28, 28, 1)
    rows = save_analysis(result, tmp_path / "s.csv").read_text().splitlines()
    assert rows[0] == "input,x,mean_gradient,standard_error,mean_abs_gradient"
    assert len(rows) == 1 + 784
    ig = integrated_gradients(_cubic(), X, baseline=BASE, steps=2)
    rows = save_analysis(ig, tmp_path / "i.csv").read_text().splitlines()
    assert rows[0] == "input,x,baseline,attribution" and rows[1] == "x[0],0.5,0.25,0.109375"
