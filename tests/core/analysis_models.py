"""Small functions with known derivatives, as ModelHandles, for the analysis tests."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from jacgui.core.handle import ModelHandle
from jacgui.core.spec import TensorInfo

ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1


def function_model(f, n: int = 1, m: int = 1, point=None, float64: bool = True,
                   name: str = "fn") -> ModelHandle:
    """``y = f(x)`` on a batch ``x`` of shape (B, n) giving (B, m)."""

    def forward(feeds):
        return {"y": f(feeds["x"])}

    value = np.ones(n) if point is None else np.asarray(point, dtype=float)
    return ModelHandle(name, "python", (TensorInfo("x", (n,)),), (TensorInfo("y", (m,)),),
                       forward, {"x": value}, make_float64=(lambda: forward) if float64 else None)


def linear(n: int, m: int, seed: int = 0):
    """``y = x W + b``: J = W^T everywhere. Returns (model, W^T)."""
    rng = np.random.default_rng(seed)
    w, b = rng.standard_normal((n, m)), rng.standard_normal(m)
    model = function_model(lambda x: x @ tf.cast(w, x.dtype) + tf.cast(b, x.dtype), n, m,
                           rng.standard_normal(n), name="linear")
    return model, w.T


def ishigami() -> ModelHandle:
    """``sin x1 + a sin^2 x2 + b x3^4 sin x1`` with a = 7, b = 0.1."""
    a, b = ISHIGAMI_A, ISHIGAMI_B

    def f(x):
        x1, x2, x3 = x[:, 0], x[:, 1], x[:, 2]
        return (tf.sin(x1) + a * tf.sin(x2) ** 2 + b * x3**4 * tf.sin(x1))[:, None]

    return function_model(f, 3, 1, np.zeros(3), name="ishigami")


#: Coefficients of the Sobol G-function used in the tests (Saltelli et al. 2010, test case).
G_COEFFICIENTS = (0.0, 1.0, 4.5, 9.0, 99.0, 99.0)


def g_function(coefficients=G_COEFFICIENTS) -> ModelHandle:
    """``prod_j (|4 x_j - 2| + a_j) / (1 + a_j)`` on ``[0, 1]^d``."""
    a = np.asarray(coefficients, dtype=float)

    def f(x):
        terms = (tf.abs(4 * x - 2) + tf.cast(a, x.dtype)) / tf.cast(1 + a, x.dtype)
        return tf.reduce_prod(terms, axis=1, keepdims=True)

    return function_model(f, a.size, 1, np.full(a.size, 0.5), name="g_function")
