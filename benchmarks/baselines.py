"""Plain TensorFlow Jacobians, written the way an expert would by hand.

Each takes ``call(x_batch) -> y_batch`` (a Keras model or a jacgui handle's forward) and the
sample shape, and returns ``x (numpy) -> J (numpy)``; the numpy conversions are part of the
timed call, as they are for jacgui.
"""

from __future__ import annotations

import time

import numpy as np
import tensorflow as tf


def plain_reverse(call, shape):
    """Cached tf.function around tape.jacobian (pfor): the best plain call for m <= n."""

    @tf.function
    def jac(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reshape(call(x[None]), [-1])
        return tape.jacobian(y, x)

    return lambda x: jac(tf.constant(x, tf.float32)).numpy()


def plain_forward(call, shape):
    """Cached tf.function around vectorized_map over ForwardAccumulator JVPs (m > n)."""

    @tf.function
    def jac(x):
        def jvp(t):
            with tf.autodiff.ForwardAccumulator(x, tf.reshape(t, tf.shape(x))) as acc:
                y = tf.reshape(call(x[None]), [-1])
            return acc.jvp(y)

        return tf.transpose(tf.vectorized_map(jvp, tf.eye(tf.size(x))))

    return lambda x: jac(tf.constant(x, tf.float32)).numpy()


def plain_batched_fd(call, shape):
    """Central differences with all 2n perturbed points in one float32 batch."""

    @tf.function
    def jac(x):
        flat = tf.reshape(x, [-1])
        n = tf.size(flat)
        h = 6e-3 * tf.maximum(1.0, tf.abs(flat))
        shifts = tf.linalg.diag(h)
        points = tf.concat([flat + shifts, flat - shifts], 0)
        y = tf.reshape(call(tf.reshape(points, tf.concat([[2 * n], tf.shape(x)], 0))),
                       [2 * n, -1])
        return tf.transpose((y[:n] - y[n:]) / (2 * h[:, None]))

    return lambda x: jac(tf.constant(x, tf.float32)).numpy()


def textbook_loop_ms(call, x, m: int, seconds: float) -> float:
    """Two eager model calls per (i, j) cell, run for ``seconds`` and extrapolated."""
    flat = x.reshape(-1).astype(np.float32)
    cells = m * flat.size
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds and done < cells:
        i, j = divmod(done, flat.size)
        step = np.zeros_like(flat)
        step[j] = 1e-3
        plus = np.asarray(call((flat + step).reshape(1, *x.shape))).reshape(-1)[i]
        minus = np.asarray(call((flat - step).reshape(1, *x.shape))).reshape(-1)[i]
        _ = (plus - minus) / 2e-3
        done += 1
    return (time.perf_counter() - start) / done * cells * 1e3
