"""None gradients: "does not depend" (zeros are right) versus "not differentiable" (zeros lie)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from jacgui.core.engine import jacobian
from jacgui.core.errors import JacguiError, ModelRunError, NotDifferentiableError
from jacgui.core.handle import ModelHandle
from jacgui.core.spec import TensorInfo


def _model(forward, n=3, m=3, inputs=None, outputs=None, point=None):
    inputs = inputs or (TensorInfo("x", (n,)),)
    outputs = outputs or (TensorInfo("y", (m,)),)
    point = point or {s.name: np.linspace(0.3, 1.7, s.size).reshape(s.shape) for s in inputs}
    return ModelHandle("t", "python", inputs, outputs, forward, point)


@pytest.mark.parametrize("method", ["reverse", "forward"])
@pytest.mark.parametrize("op, make", [
    ("StopGradient", lambda x: tf.stop_gradient(x) ** 2),
    ("Round", lambda x: tf.round(10 * x)),
    ("Cast to int32", lambda x: tf.cast(tf.cast(x * 10, tf.int32), tf.float32)),
])
def test_cut_gradient_path_is_an_error_naming_the_op(method, op, make):
    model = _model(lambda d: {"y": make(d["x"])})
    with pytest.raises(NotDifferentiableError, match=op) as info:
        jacobian(model, method=method)
    assert "fd-central" in str(info.value)


def test_cut_path_is_still_computable_by_finite_differences():
    model = _model(lambda d: {"y": tf.stop_gradient(d["x"]) ** 2})
    x = model.default_point["x"]
    result = jacobian(model, method="fd-central")
    np.testing.assert_allclose(result.matrix, np.diag(2 * x), atol=1e-6)


def test_output_that_ignores_the_input_gives_zeros_and_says_so():
    inputs = (TensorInfo("a", (2,)), TensorInfo("b", (2,)))
    model = _model(lambda d: {"y": tf.sin(d["b"]) + 0 * tf.reduce_sum(d["b"])},
                   inputs=inputs, outputs=(TensorInfo("y", (2,)),))
    result = jacobian(model, input="a")
    assert np.all(result.matrix == 0)
    assert any("does not depend" in w for w in result.warnings)


def test_partly_cut_path_warns_about_the_zero_columns():
    model = _model(lambda d: {"y": tf.stack([d["x"][:, 0] ** 2, tf.round(d["x"][:, 1])], 1)},
                   n=2, m=2)
    result = jacobian(model)
    assert result.matrix[0, 0] != 0 and np.all(result.matrix[:, 1] == 0)
    assert any("Round" in w and "may be wrong" in w for w in result.warnings)


def test_integer_input_is_refused_with_a_reason():
    model = _model(lambda d: {"y": tf.cast(d["x"], tf.float32)},
                   inputs=(TensorInfo("tokens", (3,), "int32"),),
                   point={"tokens": np.array([1, 2, 3])})
    with pytest.raises(NotDifferentiableError, match="integer inputs"):
        jacobian(model)


def test_nan_outputs_are_counted():
    model = _model(lambda d: {"y": tf.math.log(d["x"] - 1.0)})  # x = 0.3, 1.0, 1.7
    result = jacobian(model)
    # log(-0.7) is NaN and log(0) is -inf; d/dx at x=1 is inf, and 0 * inf poisons column 1.
    assert np.count_nonzero(~np.isfinite(result.matrix)) == 3
    assert "3 of 9 Jacobian cells are NaN or infinite" in result.warnings
    assert "f(x) has 2 non-finite value(s) at this point" in result.warnings


def test_model_that_raises_inside_tf_gives_a_one_line_error():
    def forward(d):
        x = d["x"]
        tf.debugging.assert_less(x, 0.0, message="inputs must be negative")
        return {"y": x * 2}

    with pytest.raises(ModelRunError, match="inputs must be negative") as info:
        jacobian(_model(forward))
    assert "\n" not in str(info.value)


def test_py_function_model_works_by_finite_differences():
    # TensorFlow cannot differentiate py_function inside a traced Jacobian (KeyError 'pyfunc');
    # finite differences only call the model, so they work.
    def forward(d):
        x = d["x"]
        y = tf.py_function(lambda v: v * 3.0, [x], tf.float32)
        y.set_shape(x.shape)
        return {"y": y}

    model = _model(forward)
    result = jacobian(model, method="fd-central", dtype="float32")
    np.testing.assert_allclose(result.matrix, 3 * np.eye(3), atol=1e-3)
    with pytest.raises(JacguiError):
        jacobian(model, method="reverse")
