"""Plain TensorFlow Jacobians, written the way an expert would by hand, on the raw Keras model.

Each builder takes a Keras model (called directly, ``training=False``; never through jacgui's
handle) and returns ``x (numpy, sample shape) -> J (numpy, (m, n))``. Both sides of a
comparison start from the same numpy point and end with a numpy matrix, so the tensor
conversion in and the ``.numpy()`` out are part of every timed call, as they are for jacgui.
"""

from __future__ import annotations

import time

import numpy as np
import tensorflow as tf


def _sizes(model) -> tuple[tuple[int, ...], int, int]:
    shape = tuple(int(d) for d in model.inputs[0].shape[1:])
    m = int(np.prod([int(d) for d in model.outputs[0].shape[1:]]))
    return shape, int(np.prod(shape)), m


def expert_reverse(model):
    """One cached ``tf.function`` around ``tape.jacobian`` (pfor): the best plain call, m <= n."""
    shape, n, m = _sizes(model)

    @tf.function
    def jac(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reshape(model(x[None], training=False), [-1])
        return tape.jacobian(y, x)

    return lambda x: jac(tf.constant(x, tf.float32)).numpy().reshape(m, n)


def expert_forward(model, block: int | None = None):
    """``tf.vectorized_map`` of ForwardAccumulator JVPs over a constant identity, m > n.

    ``block`` columns per call, as an expert would chunk a large input (12288 JVPs of a CNN
    do not fit in memory at once); ``None`` is one call over ``tf.eye(n)``.
    """
    shape, n, m = _sizes(model)

    def jvps(x, tangents):
        def jvp(tangent):
            with tf.autodiff.ForwardAccumulator(x, tf.reshape(tangent, shape)) as acc:
                y = tf.reshape(model(x[None], training=False), [-1])
            return acc.jvp(y)

        return tf.transpose(tf.vectorized_map(jvp, tangents))

    if block is None:
        jac = tf.function(lambda x: jvps(x, tf.eye(n)))
        return lambda x: jac(tf.constant(x, tf.float32)).numpy()
    jac_cols = tf.function(lambda x, cols: jvps(x, tf.one_hot(cols, n)))
    blocks = _column_blocks(n, block)
    return lambda x: np.concatenate(
        [jac_cols(tf.constant(x, tf.float32), c).numpy() for c in blocks], axis=1)


def _column_blocks(n: int, block: int | None) -> list[np.ndarray]:
    block = n if block is None else block
    return [np.arange(s, min(n, s + block), dtype=np.int32) for s in range(0, n, block)]


def expert_batched_fd(model, block: int | None = None):
    """Central differences, all 2n perturbed points in float32 batches of ``block`` columns."""
    shape, n, m = _sizes(model)

    @tf.function
    def jac(x, cols):
        flat = tf.reshape(x, [-1])
        h = 6e-3 * tf.maximum(1.0, tf.abs(tf.gather(flat, cols)))
        shifts = tf.one_hot(cols, n) * h[:, None]
        k = tf.size(cols)
        points = tf.concat([flat + shifts, flat - shifts], 0)
        y = tf.reshape(model(tf.reshape(points, (-1, *shape)), training=False), [2 * k, -1])
        return tf.transpose((y[:k] - y[k:]) / (2 * h[:, None]))

    blocks = _column_blocks(n, block)
    return lambda x: np.concatenate(
        [jac(tf.constant(x, tf.float32), c).numpy() for c in blocks], axis=1)


def per_column_loop_ms(model, x: np.ndarray, seconds: float) -> float:
    """The finite-difference loop people write: two eager model calls per input column.

    Each call returns every output, so one column costs two calls whatever m is. Runs for
    ``seconds`` (or all n columns) and extrapolates to n columns.
    """
    shape, n, _ = _sizes(model)
    flat = x.reshape(-1).astype(np.float32)
    columns = []
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds and done < n:
        h = 6e-3 * max(1.0, abs(float(flat[done])))
        step = np.zeros_like(flat)
        step[done] = h
        plus = np.asarray(model((flat + step).reshape(1, *shape), training=False)).reshape(-1)
        minus = np.asarray(model((flat - step).reshape(1, *shape), training=False)).reshape(-1)
        columns.append((plus - minus) / (2 * h))
        done += 1
    return (time.perf_counter() - start) / done * n * 1e3
