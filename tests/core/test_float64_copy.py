"""The float64 copy of a Keras model: state that weights do not carry, and the check at the point.

Truths are closed forms built from the model's own weights in numpy float64.

Tolerances: float32 reverse mode agrees with the truth to float32 round-off, about 1e-6 of
max|J| (allowed 1e-5). Extrapolated central differences through a Normalization to mean 1000,
std 50 take h = eps^(1/5) * 1000 = 0.74, which is 0.015 standard deviations: the truncation is
(0.015)^4 / 30 ~ 2e-9 of the derivative's scale (allowed 1e-8). float32 central differences
are good to about 1e-3 of max|J| at eps32^(1/3).
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import jacgui.core.loaders.float64 as float64_loader
from jacgui.core._tf import keras
from jacgui.core.engine import jacobian
from jacgui.core.loading import load_model


def _dense(layer):
    kernel, bias = layer.get_weights()
    return kernel.astype(np.float64), bias.astype(np.float64)


def build_normalized(directory):
    """Normalization adapted to data with mean ~1000, std ~50 -> Dense(5, tanh) -> Dense(2)."""
    k = keras()
    k.utils.set_random_seed(11)
    data = np.random.default_rng(0).normal([1000, 980, 1040], [50, 40, 60], (500, 3))
    norm = k.layers.Normalization()
    norm.adapt(data.astype("float32"))
    x = k.Input((3,), name="x")
    y = k.layers.Dense(2, name="out")(k.layers.Dense(5, activation="tanh", name="hidden")(norm(x)))
    path = directory / "normalized.keras"
    k.Model(x, y).save(path)
    return path, data[:4]


def normalized_truth(model, x):
    norm = next(layer for layer in model.layers if "normalization" in layer.name)
    mean, variance, _ = (np.asarray(w, np.float64) for w in norm.get_weights())
    (w1, b1), (w2, _) = _dense(model.get_layer("hidden")), _dense(model.get_layer("out"))
    z = (x - mean) / np.sqrt(variance)
    h = np.tanh(z @ w1 + b1)
    return (w2.T * (1 - h**2)) @ w1.T / np.sqrt(variance)[None, :]


def build_float32_math(directory):
    """Dense(4, tanh) -> a layer that computes sin in float32 whatever its dtype -> Dense(2)."""
    k = keras()
    k.utils.set_random_seed(12)

    @k.saving.register_keras_serializable(package="jacgui_fd_test")
    class Float32Sine(k.layers.Layer):
        def call(self, t):
            return k.ops.cast(k.ops.sin(k.ops.cast(t, "float32")), t.dtype)

    x = k.Input((3,), name="x")
    h = k.layers.Dense(4, activation="tanh", name="hidden")(x)
    y = k.layers.Dense(2, name="out")(Float32Sine()(h))
    path = directory / "float32math.keras"
    k.Model(x, y).save(path)
    return path


def float32_math_truth(model, x):
    (w1, b1), (w2, _) = _dense(model.get_layer("hidden")), _dense(model.get_layer("out"))
    h = np.tanh(x @ w1 + b1)
    return (w2.T * np.cos(h)) @ (w1.T * (1 - h**2)[:, None])


def build_lookup(directory):
    """Float input ``x`` (3,) and an int input ``cat`` through an adapted IntegerLookup."""
    k = keras()
    k.utils.set_random_seed(13)
    lookup = k.layers.IntegerLookup()
    lookup.adapt(np.array([3, 7, 11, 42, 42, 7]))
    cat = k.Input((1,), dtype="int64", name="cat")
    x = k.Input((3,), name="x")
    e = k.layers.Flatten()(k.layers.Embedding(8, 2)(lookup(cat)))
    y = k.layers.Dense(2, activation="tanh")(k.layers.Concatenate()([x, e]))
    path = directory / "lookup.keras"
    k.Model([x, cat], y).save(path)
    return path


@pytest.fixture(scope="module")
def normalized(tmp_path_factory):
    path, data = build_normalized(tmp_path_factory.mktemp("normalized"))
    return path, load_model(path), data


def test_adapted_normalization_survives_the_float64_copy(normalized):
    _, model, data = normalized
    x = data[0]
    f32 = model.forward({"x": x[None].astype("float32")})["out"].numpy()[0]
    f64 = model.float64_forward()({"x": x[None]})["out"].numpy()[0]
    # set_weights alone leaves the mean at 0 and the variance at 1: f64 would be tanh-saturated.
    np.testing.assert_allclose(f64, f32, rtol=1e-5, atol=1e-5)


def test_fd_central_through_adapted_normalization_agrees_with_reverse(normalized):
    _, model, data = normalized
    x = data[1]
    truth = normalized_truth(model.source, x)
    scale = np.abs(truth).max()
    fd = jacobian(model, x, method="fd-central")
    ad = jacobian(model, x, method="reverse")
    assert fd.extra["dtype"] == "float64" and not fd.warnings
    assert np.abs(fd.matrix - truth).max() <= 1e-8 * scale
    assert np.all(np.abs(fd.matrix - truth) <= fd.error_estimate)
    assert np.abs(ad.matrix - truth).max() <= 1e-5 * scale
    assert np.abs(fd.matrix - ad.matrix).max() <= 1e-5 * scale


def test_a_copy_that_loses_state_is_caught_at_the_point(normalized, monkeypatch):
    path, _, data = normalized

    def set_weights_only(source, clone):  # what the copy used to do
        clone.set_weights([w.astype("float64") for w in source.get_weights()])

    monkeypatch.setattr(float64_loader, "copy_state", set_weights_only)
    model = load_model(path)
    x = data[2]
    result = jacobian(model, x, method="fd-central")
    assert result.extra["dtype"] == "float32"
    note = " ".join(result.warnings)
    assert "float64 copy of the model is not used" in note and "where the model gives" in note
    truth = normalized_truth(model.source, x)
    assert np.all(np.abs(result.matrix - truth) <= result.error_estimate)


def test_a_copy_computing_in_float32_falls_back_with_a_wider_estimate(tmp_path):
    model = load_model(build_float32_math(tmp_path))
    x = np.array([0.3, -0.8, 0.5])
    truth = float32_math_truth(model.source, x)
    result = jacobian(model, x, method="fd-central")
    assert result.extra["dtype"] == "float32" and "evaluated in float32" in result.method_reason
    note = " ".join(result.warnings)
    assert "not used" in note and "float32 somewhere" in note
    error = np.abs(result.matrix - truth)
    assert np.all(error <= result.error_estimate)
    # Widened to float32 size: far above what a float64 difference would claim (~1e-9).
    assert result.error_estimate.max() > 1e-6 * np.abs(truth).max()
    assert error.max() <= 1e-2 * np.abs(truth).max()


def test_adapted_lookup_vocabulary_survives_the_float64_copy(tmp_path, monkeypatch):
    path = build_lookup(tmp_path)
    point = {"x": np.array([0.2, -0.1, 0.5]), "cat": np.array([42])}
    result = jacobian(load_model(path), point, method="fd-central")
    assert result.extra["dtype"] == "float64" and not result.warnings
    # Without the assets the copy has no vocabulary: it fails, and differences stay float32.
    def variables_only(source, clone):
        layers = [m._flatten_layers(include_self=True) for m in (source, clone)]
        for original, copy in zip(*layers, strict=True):
            store = {}
            original.save_own_variables(store)
            copy.load_own_variables({key: np.asarray(v) for key, v in store.items()})

    monkeypatch.setattr(float64_loader, "copy_state", variables_only)
    result = jacobian(load_model(path), point, method="fd-central")
    assert result.extra["dtype"] == "float32" and "float64" in " ".join(result.warnings)


def test_mixed_precision_copy_is_judged_at_float16_precision(loaded):
    model = loaded["mixed"]
    x = np.array([0.4, -0.3, 0.9, 0.1])
    result = jacobian(model, x, method="fd-central")
    # The float16 model and its float64 copy differ by ~1e-3; that is float16 rounding.
    assert result.extra["dtype"] == "float64" and not result.warnings


def test_the_check_runs_at_the_point_not_at_zeros(normalized):
    _, model, data = normalized
    for x in (np.zeros(3), data[3]):
        result = jacobian(model, x, method="fd-forward")
        assert result.extra["dtype"] == "float64"
    from jacgui.core.traces import TraceKey

    key = TraceKey("float64-check", "x", "out", "float64", "float64 copy")
    assert key in model.traces
    fingerprint, reason = model.traces.get(key, lambda: None)
    assert fingerprint.startswith(np.asarray(data[3], np.float64).tobytes()) and reason is None
    assert tf.is_tensor(model.float64_forward()({"x": data[3][None]})["out"])


def test_a_copy_that_fails_at_the_point_falls_back():
    from jacgui.core.handle import ModelHandle
    from jacgui.core.spec import TensorInfo

    def broken_copy(feeds):  # runs on one point (the loader's smoke test), not on five
        x = feeds["x"]
        tf.debugging.assert_less(tf.shape(x)[0], 2, message="copy breaks")
        return {"y": 2 * x}

    model = ModelHandle("broken", "python", (TensorInfo("x", (2,)),), (TensorInfo("y", (2,)),),
                        lambda feeds: {"y": 2 * feeds["x"]}, {"x": np.ones(2)},
                        make_float64=lambda: broken_copy)
    result = jacobian(model, method="fd-central")
    assert result.extra["dtype"] == "float32"
    note = " ".join(result.warnings)
    assert "it fails at this point" in note and "copy breaks" in note
    np.testing.assert_allclose(result.matrix, 2 * np.eye(2), atol=1e-3)
