"""The engine on real model files, through load_model, against known Jacobians.

Tolerances as in test_engine: float32 AD within 1e-5 of max|J|; float64 central differences
within their own error estimate; float32-only models (SavedModel) within 1e-3.
"""

from __future__ import annotations

import numpy as np
import pytest

from jacgui import jacobian, load_model
from tests.core import model_factory as mf

METHODS = ("reverse", "forward", "fd-central")


def _keras_linear(tmp_path, suffix):
    k = mf.keras()
    mf._seed()
    x = k.Input((5,), name="x")
    model = k.Model(x, k.layers.Dense(3, name="y")(x))
    path = tmp_path / f"linear{suffix}"
    model.save(path)
    return path, model.get_weights()[0]


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("method", METHODS)
def test_keras_dense_layer_is_w_transposed(tmp_path_factory, suffix, method):
    path, w = _keras_linear(tmp_path_factory.mktemp("lin"), suffix)
    result = jacobian(load_model(path), np.arange(5.0), method=method)
    np.testing.assert_allclose(result.matrix, w.T, atol=1e-5 * np.abs(w).max())


def test_keras_tanh_mlp_matches_numpy(tmp_path):
    k = mf.keras()
    mf._seed()
    x = k.Input((6,), name="x")
    h = k.layers.Dense(8, activation="tanh")(x)
    model = k.Model(x, k.layers.Dense(4)(h))
    model.save(tmp_path / "mlp.keras")
    w1, b1, w2, _ = model.get_weights()
    point = np.linspace(-2, 2, 6)
    hidden = np.tanh(point @ w1 + b1)
    truth = (w2.T * (1 - hidden**2)) @ w1.T
    handle = load_model(tmp_path / "mlp.keras")
    for method in METHODS:
        result = jacobian(handle, point, method=method)
        np.testing.assert_allclose(result.matrix, truth, atol=1e-5 * np.abs(truth).max())


def test_dropout_and_batchnorm_are_deterministic_and_agree_with_fd(loaded):
    model = loaded["multi"]
    first = jacobian(model, input="a", output="y1")
    again = jacobian(model, input="a", output="y1")
    np.testing.assert_array_equal(first.matrix, again.matrix)
    assert np.abs(first.matrix).max() > 0
    fd = jacobian(model, input="a", output="y1", method="fd-central")
    assert np.all(np.abs(fd.matrix - first.matrix) <= fd.error_estimate + 1e-5)


def test_multi_input_output_selection_on_a_functional_model(loaded):
    model = loaded["multi"]
    result = jacobian(model, input="b", output="y2")
    assert result.shape == (1, 2) and result.input_name == "b" and result.output_name == "y2"
    assert result.input_labels == ("b[0]", "b[1]")


def test_cnn_shapes_and_labels(loaded):
    result = jacobian(loaded["image"])
    assert result.shape == (2, 48)
    assert result.input_labels[0] == "[0,0,0]" and result.input_labels[-1] == "[3,3,2]"
    assert result.input_shape == (4, 4, 3)


def test_savedmodel_directory(loaded):
    model = loaded["module"]  # y = x * w + x**2 with w = [1, 2, 3]
    x = np.array([0.5, -1.0, 2.0])
    for method in METHODS:
        result = jacobian(model, x, method=method)
        np.testing.assert_allclose(result.matrix, np.diag([1, 2, 3] + 2 * x), atol=1e-3)
    assert "float32" in jacobian(model, x, method="fd-central").method_reason


def test_textbook_functions():
    from jacgui._resources import resource_path

    quad = load_model(resource_path("models", "quadratic.py"))
    vector = load_model(resource_path("models", "textbook_vector.py"))
    x = np.array([1.0, 2.0, 3.0])
    truth = np.concatenate([np.diag(2 * x), np.diag(np.cos(x)), np.diag(np.exp(x))])
    for method in ("reverse", "forward", "fd-forward", "fd-central"):
        assert jacobian(quad, method=method).matrix[0, 0] == pytest.approx(6.0, rel=1e-6)
        np.testing.assert_allclose(jacobian(vector, method=method).matrix, truth,
                                   atol=1e-5 * np.abs(truth).max())


def test_model_is_usable_from_another_thread(loaded):
    import threading

    model = loaded["image"]
    main_result = jacobian(model).matrix
    box = {}
    thread = threading.Thread(target=lambda: box.update(m=jacobian(model).matrix))
    thread.start()
    thread.join()
    np.testing.assert_array_equal(box["m"], main_result)
