"""Plain TensorFlow Jacobians, written the way an expert would by hand."""

from __future__ import annotations

import time

import numpy as np
import tensorflow as tf


def plain_reverse(model):
    """Cached tf.function around tape.jacobian (pfor): the best plain call for m <= n."""

    @tf.function
    def jac(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reshape(model(x[None], training=False), [-1])
        return tape.jacobian(y, x)

    return lambda x: jac(tf.constant(x)).numpy()


def plain_forward(model):
    """Cached tf.function around vectorized_map over ForwardAccumulator JVPs (m > n)."""

    @tf.function
    def jac(x):
        n = tf.size(x)

        def jvp(t):
            with tf.autodiff.ForwardAccumulator(x, tf.reshape(t, tf.shape(x))) as acc:
                y = tf.reshape(model(x[None], training=False), [-1])
            return acc.jvp(y)

        return tf.transpose(tf.vectorized_map(jvp, tf.eye(n)))

    return lambda x: jac(tf.constant(x)).numpy()


def plain_batched_fd(model):
    """Central differences with all 2n perturbed points in one float32 batch."""

    @tf.function
    def jac(x):
        flat = tf.reshape(x, [-1])
        n = tf.size(flat)
        h = 6e-3 * tf.maximum(1.0, tf.abs(flat))
        shifts = tf.linalg.diag(h)
        points = tf.concat([flat + shifts, flat - shifts], 0)
        y = tf.reshape(model(tf.reshape(points, tf.concat([[2 * n], tf.shape(x)], 0)),
                             training=False), [2 * n, -1])
        return tf.transpose((y[:n] - y[n:]) / (2 * h[:, None]))

    return lambda x: jac(tf.constant(x)).numpy()


def textbook_loop_ms(model, x, seconds: float) -> float:
    """Two eager model calls per (i, j) cell, run for ``seconds`` and extrapolated."""
    flat = x.reshape(-1)
    m = int(np.prod(model.output_shape[1:]))
    cells = m * flat.size
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds and done < cells:
        i, j = divmod(done, flat.size)
        step = np.zeros_like(flat)
        step[j] = 1e-3
        plus = model((flat + step).reshape(1, *x.shape), training=False).numpy().reshape(-1)[i]
        minus = model((flat - step).reshape(1, *x.shape), training=False).numpy().reshape(-1)[i]
        _ = (plus - minus) / 2e-3
        done += 1
    return (time.perf_counter() - start) / done * cells * 1e3
