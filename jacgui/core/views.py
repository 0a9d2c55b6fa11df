"""Derived views of a Jacobian: |J|, elasticity, per-input scaling, row normalisation, norms."""

from __future__ import annotations

import numpy as np

from .errors import JacguiError
from .job import JacobianResult

#: A value is "near zero" below this fraction of the largest magnitude in its vector.
NEAR_ZERO = 1e-6


def near_zero(values: np.ndarray) -> np.ndarray:
    """Mask of entries too close to zero to divide by, relative to the vector's scale."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.abs(values[np.isfinite(values)])
    scale = float(finite.max()) if finite.size else 0.0
    return ~np.isfinite(values) | (np.abs(values) <= NEAR_ZERO * scale)


def elasticity(result: JacobianResult) -> tuple[np.ndarray, np.ndarray]:
    """Relative sensitivity ``(x_j / f_i) * J_ij``, NaN where ``x_j`` or ``f_i`` is near zero.

    Returns
    -------
    values : ndarray (m, n)
        Elasticities; masked cells are NaN.
    masked : ndarray of bool (m, n)
        True where the division would be by (nearly) zero.
    """
    x = np.asarray(result.point, dtype=np.float64)
    f = np.asarray(result.outputs, dtype=np.float64)
    masked = near_zero(f)[:, None] | near_zero(x)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        values = result.matrix * x[None, :] / f[:, None]
    return np.where(masked, np.nan, values), masked


def elasticity_note(result: JacobianResult, row: int, col: int) -> str:
    """Why the elasticity of one cell is masked, or an empty string."""
    if near_zero(result.outputs)[row]:
        return f"f_i = {result.outputs[row]:.3g} is near zero: relative sensitivity is undefined"
    if near_zero(result.point)[col]:
        return f"x_j = {result.point[col]:.3g} is near zero: relative sensitivity is undefined"
    return ""


def scaled(result: JacobianResult, scale: np.ndarray) -> np.ndarray:
    """``sigma_j * J_ij``: the change in f_i for a typical change (e.g. one std) of x_j."""
    scale = np.asarray(scale, dtype=np.float64).reshape(-1)
    if scale.size != result.matrix.shape[1]:
        raise JacguiError(f"{scale.size} scales given for {result.matrix.shape[1]} inputs")
    return result.matrix * scale[None, :]


def row_normalised(matrix: np.ndarray) -> np.ndarray:
    """Each output's row divided by its Euclidean norm (all-zero rows stay zero)."""
    norms = np.sqrt(np.nansum(np.square(matrix), axis=1, keepdims=True))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(norms > 0, matrix / norms, 0.0)


def input_importance(matrix: np.ndarray, row: int | None = None) -> np.ndarray:
    """Column norms (all outputs) or ``|J[row, :]|`` (one output): how much each input matters."""
    if row is not None:
        return np.abs(matrix[row])
    return np.sqrt(np.nansum(np.square(matrix), axis=0))


def output_sensitivity(matrix: np.ndarray) -> np.ndarray:
    """Row norms: how strongly each output reacts to the inputs together."""
    return np.sqrt(np.nansum(np.square(matrix), axis=1))
