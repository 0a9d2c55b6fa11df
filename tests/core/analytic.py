"""Models whose Jacobian is known in closed form, as ModelHandles built without files."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from jacgui.core.handle import ModelHandle
from jacgui.core.spec import TensorInfo


def _handle(forward, inputs, outputs, point, float64=True, name="analytic"):
    return ModelHandle(name, "python", inputs, outputs, forward, point,
                       make_float64=(lambda: forward) if float64 else None)


def tanh_mlp(n: int = 7, hidden: int = 11, m: int = 5, seed: int = 0):
    """f(x) = W2^T tanh(W1^T x + b1) + b2, with J = W2^T diag(1 - h^2) W1^T worked out in numpy."""
    rng = np.random.default_rng(seed)
    w1, b1 = rng.standard_normal((n, hidden)) / np.sqrt(n), rng.standard_normal(hidden)
    w2, b2 = rng.standard_normal((hidden, m)) / np.sqrt(hidden), rng.standard_normal(m)

    def forward(feeds):
        x = feeds["x"]
        h = tf.tanh(x @ tf.cast(w1, x.dtype) + tf.cast(b1, x.dtype))
        return {"y": h @ tf.cast(w2, x.dtype) + tf.cast(b2, x.dtype)}

    def truth(x):
        h = np.tanh(x @ w1 + b1)
        return (w2.T * (1 - h**2)) @ w1.T, h @ w2 + b2

    point = {"x": np.linspace(-1.0, 1.5, n)}
    model = _handle(forward, (TensorInfo("x", (n,)),), (TensorInfo("y", (m,)),), point)
    return model, truth


def linear_layer(n: int = 6, m: int = 4, seed: int = 1):
    """y = x W + b, so J = W^T exactly."""
    rng = np.random.default_rng(seed)
    w, b = rng.standard_normal((n, m)), rng.standard_normal(m)

    def forward(feeds):
        x = feeds["x"]
        return {"y": x @ tf.cast(w, x.dtype) + tf.cast(b, x.dtype)}

    point = {"x": rng.standard_normal(n)}
    return _handle(forward, (TensorInfo("x", (n,)),), (TensorInfo("y", (m,)),), point), w.T


def two_in_two_out():
    """u = a*b (elementwise, a,b in R^3), v = sum(a)^2 + sin(b): a multi-input, multi-output model."""

    def forward(feeds):
        a, b = feeds["a"], feeds["b"]
        return {"u": a * b, "v": tf.stack([tf.reduce_sum(a, axis=1) ** 2, tf.sin(b[:, 0])], 1)}

    point = {"a": np.array([1.0, 2.0, 3.0]), "b": np.array([0.5, -1.0, 2.0])}
    inputs = (TensorInfo("a", (3,)), TensorInfo("b", (3,)))
    outputs = (TensorInfo("u", (3,)), TensorInfo("v", (2,)))
    return _handle(forward, inputs, outputs, point)
