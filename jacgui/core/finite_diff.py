"""Finite differences with every perturbed point sent through the model in batched calls.

One call evaluates a whole chunk of columns at steps h and 2h (both sides for central
differences). The two steps buy two things for the same 4n+1 (central) or 2n+1 (forward)
evaluations:

- **Richardson extrapolation.** Central ``(4 D(h) - D(2h)) / 3`` is accurate to O(h^4) and
  forward ``2 D(h) - D(2h)`` to O(h^2), so the step can grow to where round-off is small:
  ``eps^(1/5)`` and ``eps^(1/3)`` instead of ``eps^(1/3)`` and ``eps^(1/2)``.
- **A per-cell error estimate.** The difference between the extrapolated and the plain value
  (the plain value's truncation error, which bounds the extrapolated one's: the O(h^4) and
  O(h^2) remainders enter it with larger coefficients), plus a round-off term built from the
  noise the model's evaluations really show (:func:`cell_error`, :class:`NoiseLevel`), not
  from ``|f_i|``: a row whose value is a small difference of large activations is as noisy as
  those activations, and a cell whose step crosses a kink is as wrong as its differences say.

Without the second step (``error_estimate=False``) there is nothing to extrapolate: the plain
difference at its own step is returned, with no estimate, for half the evaluations. The engine
also keeps the plain difference for models with kinks (:mod:`jacgui.core.smoothness`) and for
float32 central differences (:func:`fd_stencil`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._tf import tf
from .job import CancelToken
from .planning import Plan
from .selection import Selection
from .traces import TraceCache, traced

# The error of one evaluation is bounded by three measurements, in units of the noise's
# standard deviation (a higher-order difference of pure noise, divided by the root-sum-square
# of its weights, has that deviation):
#: ... the cell's own higher-order difference: large at a kink or where round-off is big;
OWN_SIGMAS = 3.0
#: ... the mean of its row's without their largest quarter: the noise level every column of a
#: row shares (trimmed, so that a few kinked or strongly curved columns do not inflate the
#: rest of the row; a mean, so that differences that cancel exactly by chance, common when
#: outputs are rounded coarsely, do not hide it);
ROW_SIGMAS = 6.0
#: ... and a floor in units of eps * max|f_i|: even a bit-exact row is rounded once.
FLOOR_ULPS = 4.0


@dataclass(frozen=True)
class Stencil:
    """Which points a finite difference evaluates and how it combines them.

    Attributes
    ----------
    central : bool
        ``f(x +- h)`` rather than ``f(x + h)`` and ``f(x)``.
    two_steps : bool
        Steps ``2h`` are evaluated too: they give the error estimate and the extrapolation.
    extrapolated : bool
        The result is Richardson-extrapolated from steps h and 2h.
    """

    central: bool
    two_steps: bool
    extrapolated: bool

    @property
    def signs(self) -> tuple[int, ...]:
        """Multiples of the step evaluated per column, in the order of the batched call."""
        if self.central:
            return (1, -1, 2, -2) if self.two_steps else (1, -1)
        return (1, 2) if self.two_steps else (1,)

    @property
    def gain(self) -> float:
        """Sum of the absolute weights of the derivative formula, in units of 1/h.

        That is how much of each evaluation's error can reach the derivative.
        """
        if self.central:
            return 18 / 12 if self.extrapolated else 1.0  # (8, -8, -1, 1) / 12h; (1, -1) / 2h
        return 4.0 if self.extrapolated else 2.0  # (4, -3, -1) / 2h; (1, -1) / h

    def relative_step(self, dtype: str) -> float:
        """``c`` in ``h_j = c * max(1, |x_j|)``: near the minimum of truncation plus round-off.

        float64 follows theory, ``eps^(1/(p+1))`` for a difference of order p. float32 does not
        extrapolate central differences (see :func:`fd_stencil`) and halves the forward
        extrapolation's ``eps^(1/3)``: measured on random tanh and ReLU networks, the half step
        is within a factor 2 on the smooth ones (7e-4 against 3e-4 of max|J|) and crosses far
        fewer ReLU kinks (median error 4e-4 against 2e-2).
        """
        eps = float(np.finfo(dtype).eps)
        if self.central:
            return eps ** (1 / 5) if self.extrapolated else eps ** (1 / 3)
        if not self.extrapolated:
            return eps**0.5
        return eps ** (1 / 3) if eps < 1e-10 else eps ** (1 / 3) / 2

    def describe(self, dtype: str, relative_step: float | None = None) -> str:
        """A short phrase for the method's reason.

        For example ``Richardson-extrapolated central differences, h_j = 0.00074*max(1,|x_j|)``.
        """
        kind = "central" if self.central else "forward"
        name = f"Richardson-extrapolated {kind} differences" if self.extrapolated else (
            f"plain {kind} differences")
        c = self.relative_step(dtype) if relative_step is None else relative_step
        return f"{name}, h_j = {c:.2g}*max(1,|x_j|)"

    def combine(self, values: np.ndarray, f0: np.ndarray,
                h: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Derivative columns from ``values[sign, k, m]`` at steps ``h`` (k,), as (m, k) arrays.

        Returns
        -------
        derivative : ndarray (m, k)
        truncation : ndarray (m, k) or None
            ``|extrapolated - plain|`` (or the plain value's own truncation estimate).
        curvature : ndarray (m, k) or None
            The higher-order difference through every evaluated point (4th central, 2nd
            forward) with its weights' root-sum-square divided out: its noise part has the
            evaluations' standard deviation.
        """
        h = h[:, None]
        if self.central:
            plain = (values[0] - values[1]) / (2 * h)
        else:
            plain = (values[0] - f0) / h
        if not self.two_steps:
            return plain.T, None, None
        if self.central:
            wide = (values[2] - values[3]) / (4 * h)
            extrapolated = (4 * plain - wide) / 3
            # D(h) - D(2h) = -h^2 f'''/2 + O(h^4): a third of it is D(h)'s truncation error.
            truncation = np.abs(plain - wide) / 3
            curvature = np.abs(values[2] - 4 * values[0] + 6 * f0 - 4 * values[1] + values[3])
            curvature = curvature / np.sqrt(70.0)
        else:
            wide = (values[1] - f0) / (2 * h)
            extrapolated = 2 * plain - wide
            truncation = np.abs(plain - wide)  # D(h) - D(2h) = -h f''/2 + O(h^2)
            curvature = np.abs(values[1] - 2 * values[0] + f0) / np.sqrt(6.0)
        derivative = extrapolated if self.extrapolated else plain
        return derivative.T, truncation.T, curvature.T


def fd_stencil(central: bool, dtype: str, error_estimate: bool = True,
               richardson: bool = True) -> Stencil:
    """The stencil finite differences use.

    Richardson extrapolation needs the second step, so it is off without the error estimate.
    In float32 central differences are not extrapolated: round-off there calls for steps
    near ``eps^(1/5) ~ 4e-2``, which cross the kinks of ReLU networks (measured on random
    12-input networks: 1e-5 of max|J| on tanh ones, but a median 6e-2 on ReLU ones, against
    7e-5 and 6e-5 for the plain difference), while at the plain step extrapolation only
    amplifies noise.
    """
    extrapolated = richardson and error_estimate and not (central and _is_low_precision(dtype))
    return Stencil(central, error_estimate, extrapolated)


def default_relative_step(central: bool, dtype: str, extrapolated: bool = False) -> float:
    """``c`` in ``h_j = c * max(1, |x_j|)`` for a plain (or an extrapolated) difference."""
    return Stencil(central, extrapolated, extrapolated).relative_step(dtype)


def steps_for(x: np.ndarray, relative_step: float, dtype: str) -> np.ndarray:
    """Per-input steps, rounded so that ``x + h`` is exact in the evaluation dtype."""
    x_eval = x.astype(dtype)
    h = (relative_step * np.maximum(1.0, np.abs(x_eval))).astype(dtype)
    return ((x_eval + h) - x_eval).astype(np.float64)


class NoiseLevel:
    """The part of the per-evaluation noise bound a whole row shares, over column chunks.

    The larger of ``ROW_SIGMAS`` times the row's trimmed mean normalised higher-order difference
    (:meth:`Stencil.combine`; with several chunks, the largest of their means) and
    ``FLOOR_ULPS * eps * max|f_i|`` over every evaluation of the row. Where the row is smooth at
    the step the differences measure curvature and the bound is generous; where they measure
    noise (a row that cancels, a model computing in lower precision than it claims) they find
    the noise that is really there.
    """

    def __init__(self, m: int, dtype: str) -> None:
        self.eps = float(np.finfo(dtype).eps)
        self.curvature = np.zeros(m)
        self.magnitude = np.zeros(m)

    def add(self, values: np.ndarray, f0: np.ndarray, curvature: np.ndarray) -> None:
        """Take in one chunk: ``values[sign, k, m]`` and its (m, k) curvature."""
        self.magnitude = np.fmax(self.magnitude, np.abs(f0))
        if values.size:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows stay as they were
                self.magnitude = np.fmax(self.magnitude, np.nanmax(np.abs(values), axis=(0, 1)))
        if curvature.size:
            self.curvature = np.fmax(self.curvature, _trimmed_mean(curvature))

    def bound(self) -> np.ndarray:
        """The row part of the per-evaluation error bound, shape (m,)."""
        return np.maximum(ROW_SIGMAS * self.curvature, FLOOR_ULPS * self.eps * self.magnitude)


def cell_error(stencil: Stencil, truncation: np.ndarray, curvature: np.ndarray,
               h: np.ndarray) -> np.ndarray:
    """Truncation plus the round-off that the cells' own higher-order differences imply.

    The row's shared part (:class:`NoiseLevel`) is added once every chunk is in; adding the
    two parts instead of taking their maximum costs at most a factor 2.
    """
    return truncation + stencil.gain * OWN_SIGMAS * curvature / h[None, :]


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
    error_estimate: bool = True, richardson: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Forward or central differences for ``plan`` (see the module docstring).

    Parameters
    ----------
    relative_step : float or None
        ``c`` in ``h_j = c * max(1, |x_j|)``; ``None`` picks the stencil's own step.
    error_estimate : bool
        Evaluate step 2h as well: the error estimate, and the extrapolation.
    richardson : bool
        Extrapolate from h and 2h (see :func:`fd_stencil`); ``False`` keeps the plain
        difference at its own step, still with an error estimate.

    Returns
    -------
    outputs : ndarray (m,)
    matrix : ndarray (m, n)
    steps : ndarray (n,)
        The absolute step h used for each input.
    error : ndarray (m, n) or None
        Estimated absolute error per cell; ``None`` when ``error_estimate`` is off.
    """
    dtype = selection.dtype
    stencil = fd_stencil(plan.method == "fd-central", dtype, error_estimate, richardson)
    c = relative_step if relative_step is not None else stencil.relative_step(dtype)
    steps = steps_for(x, c, dtype)
    x_eval = x.astype(dtype)
    f0 = batched_function(selection, others, traces)(x_eval[None], others).numpy()[0]
    f0 = f0.astype(np.float64)
    evaluate = perturbed_function(selection, others, traces, stencil.signs)
    matrix = np.empty((selection.m, selection.n))
    error = np.empty_like(matrix) if error_estimate else None
    noise = NoiseLevel(selection.m, dtype)
    for index in range(plan.n_chunks):
        if cancel is not None:
            cancel.raise_if_cancelled()
        cols = np.arange(index * plan.chunk, min(selection.n, (index + 1) * plan.chunk))
        values = evaluate(x_eval, cols.astype(np.int32), steps[cols].astype(dtype), *others)
        values = values.numpy().astype(np.float64).reshape(len(stencil.signs), len(cols), -1)
        derivative, truncation, curvature = stencil.combine(values, f0, steps[cols])
        matrix[:, cols] = derivative
        if error is not None:
            error[:, cols] = cell_error(stencil, truncation, curvature, steps[cols])
            noise.add(values, f0, curvature)
        chunk_done(index + 1)
    if error is not None:
        error += stencil.gain * noise.bound()[:, None] / steps[None, :]
    return f0, matrix, steps, error


def difference_columns(f: Callable[[Any, tuple], Any], others: tuple, x_eval: np.ndarray,
                       f0: np.ndarray, steps: np.ndarray, cols: np.ndarray, central: bool,
                       richardson: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Columns ``cols`` of the Jacobian and their error estimate, from one batched call.

    The round-off term comes from these columns alone, so it is a rougher estimate than
    :func:`fd_jacobian`'s, which sees every column of a row.
    """
    dtype = str(x_eval.dtype)
    stencil = fd_stencil(central, dtype, True, richardson)
    k, n, m = len(cols), x_eval.size, f0.size
    shift = np.zeros((k, n))
    shift[np.arange(k), cols] = steps[cols]
    batch = np.concatenate([x_eval + s * shift for s in stencil.signs]).astype(dtype)
    values = f(batch, others).numpy().astype(np.float64).reshape(len(stencil.signs), k, m)
    derivative, truncation, curvature = stencil.combine(values, f0, steps[cols])
    noise = NoiseLevel(m, dtype)
    noise.add(values, f0, curvature)
    error = cell_error(stencil, truncation, curvature, steps[cols])
    return derivative, error + stencil.gain * noise.bound()[:, None] / steps[cols][None, :]


def _trimmed_mean(curvature: np.ndarray) -> np.ndarray:
    """Per row of (m, k), the mean without the largest quarter of the columns.

    At least one column goes when there are two or more: with two columns, one kinked column
    must not set the level.
    """
    k = curvature.shape[1]
    drop = (k + 3) // 4 if k > 1 else 0
    kept = np.sort(np.where(np.isnan(curvature), np.inf, curvature), axis=1)[:, : k - drop]
    kept = np.where(np.isinf(kept), np.nan, kept)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a row of NaN has no level: NaN
        return np.nanmean(kept, axis=1)


def _is_low_precision(dtype: str) -> bool:
    return float(np.finfo(dtype).eps) > 1e-10
