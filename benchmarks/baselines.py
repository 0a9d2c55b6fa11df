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


def _column_blocks(n: int, block: int | None) -> list[np.ndarray]:
    block = n if block is None else block
    return [np.arange(s, min(n, s + block), dtype=np.int32) for s in range(0, n, block)]


def plain_forward(call, shape, block: int | None = None):
    """Cached tf.function around vectorized_map over ForwardAccumulator JVPs (m > n).

    ``block`` columns per call, as an expert would chunk a large input (12288 JVPs of a CNN do
    not fit in memory at once); ``None`` is one call.
    """
    n = int(np.prod(shape))

    @tf.function
    def jac(x, cols):
        def jvp(t):
            with tf.autodiff.ForwardAccumulator(x, tf.reshape(t, tf.shape(x))) as acc:
                y = tf.reshape(call(x[None]), [-1])
            return acc.jvp(y)

        return tf.transpose(tf.vectorized_map(jvp, tf.one_hot(cols, n)))

    blocks = _column_blocks(n, block)
    return lambda x: np.concatenate(
        [jac(tf.constant(x, tf.float32), c).numpy() for c in blocks], axis=1)


def plain_batched_fd(call, shape, block: int | None = None):
    """Central differences, all 2n perturbed points in float32 batches of ``block`` columns."""
    n = int(np.prod(shape))

    @tf.function
    def jac(x, cols):
        flat = tf.reshape(x, [-1])
        h = 6e-3 * tf.maximum(1.0, tf.abs(tf.gather(flat, cols)))
        shifts = tf.one_hot(cols, n) * h[:, None]
        k = tf.size(cols)
        points = tf.concat([flat + shifts, flat - shifts], 0)
        y = tf.reshape(call(tf.reshape(points, tf.concat([[2 * k], tf.shape(x)], 0))),
                       [2 * k, -1])
        return tf.transpose((y[:k] - y[k:]) / (2 * h[:, None]))

    blocks = _column_blocks(n, block)
    return lambda x: np.concatenate(
        [jac(tf.constant(x, tf.float32), c).numpy() for c in blocks], axis=1)


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
