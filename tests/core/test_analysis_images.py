"""Saliency and gradient x input maps on hand-made Jacobians, and NaN-safe JSON export."""

from __future__ import annotations

import json

import numpy as np
import pytest

from jacgui.core import JacobianResult
from jacgui.core.analysis import gradient_times_input, json_safe, saliency, to_json_text
from jacgui.core.errors import JacguiError


def _result(shape, m=2, seed=0):
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return JacobianResult(matrix=rng.standard_normal((m, n)), outputs=np.zeros(m),
                          point=rng.random(n), input_labels=tuple(f"p{j}" for j in range(n)),
                          output_labels=("a", "b")[:m], input_name="img", output_name="y",
                          input_shape=shape, output_shape=(m,), method="reverse")


def test_rgb_saliency_is_the_channel_max_of_the_absolute_gradient():
    result = _result((4, 5, 3))
    grad = result.matrix[1].reshape(4, 5, 3)
    np.testing.assert_array_equal(saliency(result, 1), np.abs(grad).max(axis=2))


def test_channels_first_images_follow_the_same_rule():
    # (C, H, W): element (c, r, k) sits at flat index c*H*W + r*W + k.
    result = _result((3, 4, 5))
    grad = result.matrix[0].reshape(3, 4, 5)
    np.testing.assert_array_equal(saliency(result, 0), np.abs(grad).max(axis=0))
    product = (result.matrix[0] * result.point).reshape(3, 4, 5)
    np.testing.assert_allclose(gradient_times_input(result, 0), product.sum(axis=0), rtol=1e-15)


def test_a_nan_channel_makes_its_pixel_nan():
    result = _result((4, 5, 3))
    result.matrix[0, 7] = np.nan  # pixel (0, 2), channel 1
    assert np.isnan(saliency(result, 0)[0, 2]) and np.isnan(gradient_times_input(result, 0)[0, 2])
    assert np.isfinite(saliency(result, 0)).sum() == 19


def test_gradient_times_input_sums_channels_and_keeps_its_sign():
    result = _result((4, 5, 3))
    product = (result.matrix[0] * result.point).reshape(4, 5, 3)
    np.testing.assert_allclose(gradient_times_input(result, 0), product.sum(axis=2), rtol=1e-15)
    # Its total is the first-order change from x = 0 to x: J x.
    assert gradient_times_input(result, 0).sum() == pytest.approx(result.matrix[0] @ result.point)
    assert (gradient_times_input(result, 0) < 0).any()


def test_grey_images_and_bad_rows():
    result = _result((6, 6))
    assert saliency(result, 0).shape == (6, 6)
    with pytest.raises(JacguiError, match="out of range"):
        saliency(result, 5)
    with pytest.raises(JacguiError, match="is not an image"):
        saliency(_result((3, 40)), 0)


def test_json_has_null_for_nan_and_inf():
    text = to_json_text({"a": np.array([1.0, np.nan, np.inf]), "b": np.float32(2.5),
                         "c": (np.int64(3), None), "d": np.bool_(True)})
    assert json.loads(text) == {"a": [1.0, None, None], "b": 2.5, "c": [3, None], "d": True}
    assert json_safe(float("-inf")) is None
