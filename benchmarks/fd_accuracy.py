"""Finite-difference accuracy: jacgui's differences against numdifftools, on closed forms.

Run:  python benchmarks/fd_accuracy.py [--markdown]
(numdifftools comes with ``pip install -e ".[bench]"``.)

Every function is plain numpy float64 with its Jacobian written out by hand, and both tools
difference the same function: jacgui through a model wrapping it (``tf.numpy_function``), in
float64, with its default steps; numdifftools with ``nd.Jacobian`` and its defaults (adaptive
steps and Richardson extrapolation over several of them). For each it prints

- ``max err / max|J|``: the largest error over the Jacobian, relative to its largest entry;
- ``evals``: points at which the function was evaluated (jacgui: the differences, plus the
  one-off check of the float64 copy at the point, 1 + 5 evaluations, in brackets);
  float32 rows round the function's inputs and outputs to float32 (a float32 model's
  evaluation noise, not its arithmetic): central differences stay plain there, forward
  differences are extrapolated;
- ``covered``: the fraction of cells whose true error lies within the tool's own per-cell
  error estimate, and ``est / max|J|``: the largest estimate.

The functions: unit-scale smooth functions; inputs of order 1e3 that vary on the scale of
their size; the borehole function (inputs from 0.1 to 1e5); a tanh MLP whose first outputs
are ~1e-4 differences of terms of order 10; a ReLU MLP (piecewise linear: kinks); an input of
2019 that varies on a scale of 5 (a "year" feature), where ``max(1, |x|)`` overstates the
scale and larger steps lose. In the ReLU row the kinks are inside numpy, out of jacgui's
sight, so both jacgui variants are shown as asked for; a second table runs the bundled digits
CNN, whose kinks jacgui finds in the graph, by default and with extrapolation forced.
"""

from __future__ import annotations

import argparse

import numdifftools as nd
import numpy as np
import tensorflow as tf

from jacgui.core.engine import jacobian
from jacgui.core.handle import ModelHandle
from jacgui.core.spec import TensorInfo


def smooth():
    def f(x):
        x0, x1, x2 = x
        return np.array([np.exp(0.5 * x0) * np.sin(x1), x0 * x1 * x2,
                         np.log(1 + x2**2) / (1 + x0**2)])

    def jac(x):
        x0, x1, x2 = x
        q = 1 + x0**2
        return np.array([[0.5 * np.exp(0.5 * x0) * np.sin(x1), np.exp(0.5 * x0) * np.cos(x1), 0],
                         [x1 * x2, x0 * x2, x0 * x1],
                         [-np.log(1 + x2**2) * 2 * x0 / q**2, 0, 2 * x2 / (1 + x2**2) / q]])

    return f, jac, np.array([0.3, -1.2, 0.8])


def order_1e3():
    def f(x):
        x0, x1, x2, x3 = x
        return np.array([x0 * x1 / x2, np.exp(x0 / 1000) * np.log(x1),
                         np.sqrt(x0**2 + x2**2) / (1 + x3 / 1000), np.sin(x2 / 2000) * x3])

    def jac(x):
        x0, x1, x2, x3 = x
        r, d = np.sqrt(x0**2 + x2**2), 1 + x3 / 1000
        return np.array([[x1 / x2, x0 / x2, -x0 * x1 / x2**2, 0],
                         [np.exp(x0 / 1000) / 1000 * np.log(x1), np.exp(x0 / 1000) / x1, 0, 0],
                         [x0 / r / d, 0, x2 / r / d, -r / d**2 / 1000],
                         [0, 0, np.cos(x2 / 2000) / 2000 * x3, np.sin(x2 / 2000)]])

    return f, jac, np.array([1200.0, 850.0, 3000.0, 640.0])


def borehole():
    def parts(x):
        rw, r, tu, hu, tl, hl, length, kw = x
        log_r = np.log(r / rw)
        b = 2 * length * tu / (log_r * rw**2 * kw)
        d = 1 + b + tu / tl
        return log_r, b, d, 2 * np.pi * tu * (hu - hl) / (log_r * d)

    def f(x):
        return np.array([parts(x)[3]])

    def jac(x):
        rw, r, tu, hu, tl, hl, length, kw = x
        log_r, b, d, y = parts(x)
        return y * np.array([[
            1 / (rw * log_r) - b * (1 / (rw * log_r) - 2 / rw) / d,
            -1 / (r * log_r) + b / (r * log_r * d),
            1 / tu - (b / tu + 1 / tl) / d,
            1 / (hu - hl),
            tu / (tl**2 * d),
            -1 / (hu - hl),
            -b / length / d,
            b / kw / d,
        ]])

    return f, jac, np.array([0.1, 25050, 89335, 1050, 89.55, 760, 1400, 10950])


def tanh_mlp(seed=0, n=12, hidden=40, m=8):
    rng = np.random.default_rng(seed)
    w1, b1 = rng.standard_normal((n, hidden)) / np.sqrt(n), rng.standard_normal(hidden)
    w2, b2 = 2 * rng.standard_normal((hidden, m)), rng.standard_normal(m)
    x = rng.uniform(-1, 1, n)
    b2[: m // 2] = -(np.tanh(x @ w1 + b1) @ w2)[: m // 2] + 1e-4  # rows that cancel

    def f(z):
        return np.tanh(z @ w1 + b1) @ w2 + b2

    def jac(z):
        return (w2.T * (1 - np.tanh(z @ w1 + b1) ** 2)) @ w1.T

    return f, jac, x


def relu_mlp(seed=0, n=12, hidden=200, m=8):
    rng = np.random.default_rng(seed)
    w1, b1 = rng.standard_normal((n, hidden)) / np.sqrt(n), 0.5 * rng.standard_normal(hidden)
    w2, b2 = rng.standard_normal((hidden, m)) / np.sqrt(hidden), rng.standard_normal(m)

    def f(z):
        return np.maximum(z @ w1 + b1, 0) @ w2 + b2

    def jac(z):
        return (w2.T * ((z @ w1 + b1) > 0)) @ w1.T

    return f, jac, rng.uniform(-1, 1, n)


def year_feature():
    def f(x):
        z = (x[0] - 2019.0) / 5.0
        return np.array([np.tanh(z + 0.3) * x[1], np.exp(-z * z) + x[1] ** 2])

    def jac(x):
        z = (x[0] - 2019.0) / 5.0
        return np.array([[(1 - np.tanh(z + 0.3) ** 2) / 5 * x[1], np.tanh(z + 0.3)],
                         [-2 * z * np.exp(-z * z) / 5, 2 * x[1]]])

    return f, jac, np.array([2021.0, 0.7])


FUNCTIONS = {
    "smooth (unit scale)": smooth,
    "inputs of order 1e3": order_1e3,
    "borehole (0.1 .. 1e5)": borehole,
    "tanh MLP, cancelling rows": tanh_mlp,
    "ReLU MLP (kinks)": relu_mlp,
    "year feature (2019 +- 5)": year_feature,
}


class Counter:
    """Wraps ``f(x) -> y`` and counts the points it is evaluated at."""

    def __init__(self, f):
        self.f, self.points = f, 0

    def one(self, x):
        self.points += 1
        return np.asarray(self.f(np.asarray(x, np.float64)), np.float64)

    def batch(self, xs):
        xs = np.asarray(xs, np.float64)
        self.points += len(xs)
        return np.stack([np.asarray(self.f(x), np.float64) for x in xs])


def jacgui_model(counter, n, m, x):
    """A jacgui model whose float32 and float64 forward both evaluate the numpy function."""

    def forward(feeds):
        z = feeds["x"]
        y = tf.numpy_function(counter.batch, [tf.cast(z, tf.float64)], tf.float64)
        return {"y": tf.cast(tf.reshape(y, (-1, m)), z.dtype)}

    return ModelHandle("bench", "python", (TensorInfo("x", (n,)),), (TensorInfo("y", (m,)),),
                       forward, {"x": x}, make_float64=lambda: forward)


def run_jacgui(f, x, m, method, richardson, dtype=None):
    counter = Counter(f)
    model = jacgui_model(counter, x.size, m, x)
    options = {"method": method, "richardson": richardson, "dtype": dtype}
    jacobian(model, x, **options)  # traces, and checks the float64 copy at the point
    first = counter.points
    counter.points = 0
    result = jacobian(model, x, **options)
    return result.matrix, result.error_estimate, counter.points, first - counter.points


def run_numdifftools(f, x, m, method):
    counter = Counter(f)
    result = nd.Jacobian(counter.one, method=method, full_output=True)(x)
    shape = (m, x.size)
    return (np.reshape(result.estimate, shape), np.reshape(result.error_estimate, shape),
            counter.points, 0)


def rows():
    """One row per (function, tool/method)."""
    tools = [
        ("jacgui fd-central (Richardson)", lambda f, x, m: run_jacgui(f, x, m, "fd-central", True)),
        ("jacgui fd-central plain", lambda f, x, m: run_jacgui(f, x, m, "fd-central", False)),
        ("jacgui fd-forward (Richardson)", lambda f, x, m: run_jacgui(f, x, m, "fd-forward", True)),
        ("jacgui fd-forward plain", lambda f, x, m: run_jacgui(f, x, m, "fd-forward", False)),
        ("jacgui fd-central float32", lambda f, x, m: run_jacgui(f, x, m, "fd-central", True,
                                                                  "float32")),
        ("jacgui fd-forward float32", lambda f, x, m: run_jacgui(f, x, m, "fd-forward", True,
                                                                  "float32")),
        ("numdifftools central", lambda f, x, m: run_numdifftools(f, x, m, "central")),
        ("numdifftools forward", lambda f, x, m: run_numdifftools(f, x, m, "forward")),
    ]
    for name, make in FUNCTIONS.items():
        f, jac, x = make()
        truth = np.atleast_2d(jac(x))
        scale = np.abs(truth).max()
        for tool, run in tools:
            matrix, estimate, points, check = run(f, x, truth.shape[0])
            error = np.abs(matrix - truth)
            yield (name, tool, error.max() / scale, points, check,
                   float(np.mean(error <= estimate)), estimate.max() / scale)


def cnn_rows():
    """The bundled digits CNN (ReLU, max-pooling): FD against float32 reverse mode.

    No closed form here: reverse mode is the reference, good to ~1e-7 of max|J|, so errors
    below that are not resolved. Counts cells off by more than 1e-4 of max|J| and the levels
    of the agreement rule.
    """
    from jacgui._resources import examples
    from jacgui.core.analysis import agreement_of
    from jacgui.core.loading import load_model

    path = next(p for p in examples().values() if p.name == "digits_cnn.keras")
    model = load_model(path)
    point = {model.input().name: np.random.default_rng(0).uniform(0, 1, model.input().shape)}
    reference = jacobian(model, point, method="reverse")
    scale = np.abs(reference.matrix).max()
    for label, richardson in (("default (plain: kinks found)", None),
                              ("--fd-richardson", True)):
        result = jacobian(model, point, method="fd-central", richardson=richardson)
        error = np.abs(result.matrix - reference.matrix)
        levels = agreement_of(reference.matrix, result.matrix, result.error_estimate,
                              "float32", "reverse", "float64", reference.input_labels,
                              reference.output_labels).levels
        counts = np.bincount(levels.ravel(), minlength=3)
        yield (label, error.max() / scale, float(np.mean(error > 1e-4 * scale)),
               "/".join(str(c) for c in counts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args()
    header = ("function", "method", "max err / max|J|", "evals", "covered", "est / max|J|")
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
    else:
        print(f"{header[0]:27s} {header[1]:31s} {header[2]:>16s} {header[3]:>10s} "
              f"{header[4]:>8s} {header[5]:>12s}")
    for name, tool, error, points, check, covered, estimate in rows():
        evals = f"{points} (+{check})" if check else f"{points}"
        if args.markdown:
            print(f"| {name} | {tool} | {error:.1e} | {evals} | {covered:.0%} | {estimate:.1e} |")
        else:
            print(f"{name:27s} {tool:31s} {error:16.1e} {evals:>10s} {covered:8.0%} "
                  f"{estimate:12.1e}")
    print()
    header = ("digits CNN fd-central", "max |FD - AD| / max|J|", "cells > 1e-4", "green/amber/red")
    print("| " + " | ".join(header) + " |" if args.markdown else "  ".join(header))
    if args.markdown:
        print("|" + "---|" * len(header))
    for label, error, fraction, counts in cnn_rows():
        cells = (label, f"{error:.1e}", f"{fraction:.1%}", counts)
        print("| " + " | ".join(cells) + " |" if args.markdown else "  ".join(cells))


if __name__ == "__main__":
    main()
