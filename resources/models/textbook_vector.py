"""A vector function with a textbook Jacobian: three elementwise maps stacked.

f(x) = stack([x**2, sin(x), exp(x)]) for x of shape (3,), so the output has shape (3, 3) and
the 9 x 3 Jacobian (outputs flattened row-major) is three stacked diagonal blocks:
diag(2x), diag(cos x) and diag(exp x). At the default point x = (1, 2, 3) these are
diag(2, 4, 6), diag(0.540, -0.416, -0.990) and diag(2.718, 7.389, 20.09).
"""

import tensorflow as tf

INPUT_SHAPE = (3,)
POINT = [1.0, 2.0, 3.0]
INPUT_NAMES = ["x0", "x1", "x2"]
OUTPUT_NAMES = [
    "x0^2", "x1^2", "x2^2",
    "sin(x0)", "sin(x1)", "sin(x2)",
    "exp(x0)", "exp(x1)", "exp(x2)",
]


def f(x):
    """Return the (3, 3) tensor whose rows are x**2, sin(x) and exp(x)."""
    return tf.stack([x**2, tf.sin(x), tf.exp(x)])
