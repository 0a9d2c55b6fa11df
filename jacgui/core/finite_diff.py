"""Finite differences with every perturbed point sent through the model in batched calls.

The textbook loop makes two model calls per cell; here one call evaluates a whole chunk of
columns, each at two step sizes so that every cell gets an error estimate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._tf import tf
from .job import CancelToken
from .planning import Plan
from .selection import Selection
from .traces import TraceCache, traced


def default_relative_step(central: bool, dtype: str) -> float:
    """``c`` in ``h_j = c * max(1, |x_j|)``: sqrt(eps) forward, cbrt(eps) central."""
    eps = float(np.finfo(dtype).eps)
    return eps ** (1 / 3) if central else eps**0.5


def steps_for(x: np.ndarray, relative_step: float, dtype: str) -> np.ndarray:
    """Per-input steps, rounded so that ``x + h`` is exact in the evaluation dtype."""
    x_eval = x.astype(dtype)
    h = (relative_step * np.maximum(1.0, np.abs(x_eval))).astype(dtype)
    return ((x_eval + h) - x_eval).astype(np.float64)


def batched_function(selection: Selection, others: tuple, traces: TraceCache) -> Callable[..., Any]:
    """One trace for every batch size: the batch dimension is ``None`` in the signature."""

    def build() -> Any:
        specs = (
            tf().TensorSpec((None, selection.n), selection.dtype),
            tuple(tf().TensorSpec(v.shape, v.dtype) for v in others),
        )
        return traced("fd", selection.fn, specs)

    return traces.get(selection.key("fd"), build)


def perturbed_function(selection: Selection, others: tuple, traces: TraceCache,
                       signs: tuple[int, ...]) -> Callable[..., Any]:
    """``(x, cols, h, *others) -> f`` at ``x + s * h_k * e_cols[k]`` for every sign ``s``.

    The perturbed batch is built inside the traced function: building it in numpy and copying
    it in cost about as much as evaluating a small model on it.
    """

    def build() -> Any:
        tf_, fn, n = tf(), selection.fn, selection.n

        def evaluate(x: Any, cols: Any, h: Any, *held: Any) -> Any:
            shift = tf_.one_hot(cols, n, dtype=x.dtype) * h[:, None]
            return fn(tf_.concat([x[None] + s * shift for s in signs], 0), held)

        specs = [tf_.TensorSpec((selection.n,), selection.dtype),
                 tf_.TensorSpec((None,), tf_.int32), tf_.TensorSpec((None,), selection.dtype)]
        specs += [tf_.TensorSpec(v.shape, v.dtype) for v in others]
        return traced("fd-perturbed", evaluate, specs)

    return traces.get(selection.key("fd-perturbed", signs), build)


def fd_jacobian(
    selection: Selection, x: np.ndarray, others: tuple, plan: Plan, traces: TraceCache,
    relative_step: float | None, cancel: CancelToken | None, chunk_done: Callable[[int], None],
    error_estimate: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Forward or central differences for ``plan``.

    Returns
    -------
    outputs : ndarray (m,)
    matrix : ndarray (m, n)
    steps : ndarray (n,)
        The absolute step used for each input.
    error : ndarray (m, n) or None
        Estimated absolute error per cell: the truncation error from comparing steps h and 2h,
        plus the round-off error ``8 eps |f| / h``; ``None`` when ``error_estimate`` is off,
        which halves the model evaluations.
    """
    central = plan.method == "fd-central"
    dtype = selection.dtype
    c = relative_step if relative_step is not None else default_relative_step(central, dtype)
    steps = steps_for(x, c, dtype)
    x_eval = x.astype(dtype)
    f0 = batched_function(selection, others, traces)(x_eval[None], others).numpy()[0]
    f0 = f0.astype(np.float64)
    signs = fd_signs(central, error_estimate)
    evaluate = perturbed_function(selection, others, traces, signs)
    matrix = np.empty((selection.m, selection.n))
    error = np.empty_like(matrix) if error_estimate else None
    for index in range(plan.n_chunks):
        if cancel is not None:
            cancel.raise_if_cancelled()
        cols = np.arange(index * plan.chunk, min(selection.n, (index + 1) * plan.chunk))
        values = evaluate(x_eval, cols.astype(np.int32), steps[cols].astype(dtype), *others)
        values = values.numpy().astype(np.float64).reshape(len(signs), len(cols), -1)
        derivative, estimate = differences(values, f0, steps[cols], central, dtype)
        matrix[:, cols] = derivative
        if error is not None:
            error[:, cols] = estimate
        chunk_done(index + 1)
    return f0, matrix, steps, error


def fd_signs(central: bool, error_estimate: bool = True) -> tuple[int, ...]:
    """Multiples of the step evaluated per column (2h as well, for the error estimate)."""
    if central:
        return (1, -1, 2, -2) if error_estimate else (1, -1)
    return (1, 2) if error_estimate else (1,)


def differences(values: np.ndarray, f0: np.ndarray, h: np.ndarray, central: bool,
                dtype: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """Derivative columns (m, k) and their error estimate from ``values[sign, k, m]``."""
    h = h[:, None]
    if central:
        d1 = (values[0] - values[1]) / (2 * h)
    else:
        d1 = (values[0] - f0) / h
    if len(values) == (2 if central else 1):
        return d1.T, None
    if central:
        d2 = (values[2] - values[3]) / (4 * h)
        truncation = np.abs(d1 - d2) / 3  # O(h^2): D(2h) - D(h) is about 3 C h^2
    else:
        d2 = (values[1] - f0) / (2 * h)
        truncation = np.abs(d1 - d2)  # O(h): D(2h) - D(h) is about C h
    eps = float(np.finfo(dtype).eps)
    # A network evaluates f to a few ulps, not to one: assume 8 eps relative accuracy of f.
    roundoff = 8 * eps * np.maximum(np.abs(f0)[None, :], np.abs(values[0])) / h
    return d1.T, (truncation + roundoff).T


def difference_columns(f: Callable[[Any, tuple], Any], others: tuple, x_eval: np.ndarray,
                       f0: np.ndarray, steps: np.ndarray, cols: np.ndarray,
                       central: bool) -> tuple[np.ndarray, np.ndarray]:
    """Columns ``cols`` of the Jacobian and their error estimate, from one batched call."""
    dtype = x_eval.dtype
    k, n, m = len(cols), x_eval.size, f0.size
    shift = np.zeros((k, n))
    shift[np.arange(k), cols] = steps[cols]
    signs = fd_signs(central)
    batch = np.concatenate([x_eval + s * shift for s in signs]).astype(dtype)
    values = f(batch, others).numpy().astype(np.float64).reshape(len(signs), k, m)
    derivative, estimate = differences(values, f0, steps[cols], central, dtype)
    return derivative, estimate
