"""A one-input quadratic: the smallest example of a jacgui Python model file.

A Python model file defines ``f(x)``: it receives ONE point as a float tensor shaped
``INPUT_SHAPE`` (no batch dimension) and returns a tensor. The optional constants give the
input shape, the default point and element names.

Here f(x) = x**2 + 2x + 1 = (x + 1)**2, so df/dx = 2x + 2 and, at the default point x = 2,
f = 9 and the Jacobian is [[6]].
"""

INPUT_SHAPE = (1,)
POINT = [2.0]
INPUT_NAMES = ["x"]
OUTPUT_NAMES = ["f(x)"]


def f(x):
    """Return x**2 + 2*x + 1, elementwise (plain arithmetic, so no TensorFlow import needed)."""
    return x**2 + 2.0 * x + 1.0
