"""One cell of a Jacobian, explained, and checked by the other family of methods."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .agreement import Verdict, agree
from .autodiff import row_gradient
from .finite_diff import batched_function, difference_columns, steps_for
from .job import JacobianResult
from .problem import Problem
from .process.dispatch import isolated_operation
from .smoothness import choose_stencil
from .views import elasticity_note


@dataclass(frozen=True)
class CellInfo:
    """Everything the inspector shows about ``d f_i / d x_j``."""

    row: int
    col: int
    output_label: str
    input_label: str
    value: float
    x_j: float
    f_i: float
    elasticity: float | None
    elasticity_note: str
    error_estimate: float | None = None


@dataclass(frozen=True)
class CrossCheck:
    """The same derivative by the other family of methods (AD versus central differences).

    Attributes
    ----------
    value : float
        The derivative by the other method.
    method : str
        That method: ``"fd-central"`` for an AD value, ``"reverse"`` for an FD value.
    difference, relative_difference : float
        ``checked value - value`` and its size relative to the larger of the two (NaN when no
        value was given). Shown for information; :attr:`verdict` is the judgement.
    error_estimate : float or None
        The FD error estimate of whichever of the two is the finite difference.
    verdict : Verdict or None
        :func:`jacgui.core.agreement.agree` of the two; ``None`` when no value was given.
    notes : tuple of str
        How the check was computed (e.g. float32 because the float64 copy was not usable).
    """

    value: float
    method: str
    difference: float
    relative_difference: float
    error_estimate: float | None = None
    verdict: Verdict | None = None
    notes: tuple[str, ...] = ()


def cell_info(result: JacobianResult, row: int, col: int) -> CellInfo:
    """Describe cell (``row``, ``col``) of ``result``."""
    value = float(result.matrix[row, col])
    x_j, f_i = float(result.point[col]), float(result.outputs[row])
    note = elasticity_note(result, row, col)
    elastic = None if note else value * x_j / f_i
    error = None if result.error_estimate is None else float(result.error_estimate[row, col])
    return CellInfo(row, col, result.output_labels[row], result.input_labels[col], value, x_j,
                    f_i, elastic, note, error)


@isolated_operation("cross_check")
def cross_check(model: Any, point: Any, row: int, col: int, *, input: str | None = None,
                output: str | None = None, method_used: str = "reverse",
                value: float | None = None, value_error: float | None = None,
                ad_scale: float | None = None) -> CrossCheck:
    """Recompute one derivative with the other family and judge the two together.

    An AD value is checked by central differences of its column (one batched call of four
    points, float64 where the model's copy checks out, extrapolated unless the model has kinks);
    an FD value by a reverse-mode gradient of its row. The verdict is
    :func:`jacgui.core.agreement.agree`.

    Parameters
    ----------
    method_used : str
        The method that produced ``value``.
    value : float, optional
        The derivative being checked; without it only the other method's value is returned.
    value_error : float, optional
        The FD error estimate of ``value`` when it is a finite difference
        (``result.error_estimate[row, col]``); without it, central differences of the column
        estimate it (one batched call).
    ad_scale : float, optional
        The largest ``|J|`` of the row by AD (``abs(result.matrix[row]).max()`` for an AD
        result), which sets the AD round-off; without it one reverse pass computes it.
    """
    point = {} if point is None else point
    notes: tuple[str, ...] = ()
    if method_used.startswith("fd"):
        gradient, ad_dtype = _row_gradient(model, point, row, input, output)
        other, method = float(gradient[col]), "reverse"
        ad_value, ad_scale = other, float(np.nanmax(np.abs(gradient)))
        fd_value, fd_error = value, value_error
        if value is not None and fd_error is None:
            _, fd_error, notes = _fd_cell(model, point, row, col, input, output)
        error = fd_error
    else:
        other, error, notes = _fd_cell(model, point, row, col, input, output)
        method, ad_value, fd_value, fd_error = "fd-central", value, other, error
        if value is not None and ad_scale is None:
            gradient, ad_dtype = _row_gradient(model, point, row, input, output)
            ad_scale = float(np.nanmax(np.abs(gradient)))
        else:
            ad_dtype = model.input(input).dtype
    if value is None:
        return CrossCheck(other, method, float("nan"), float("nan"), error, None, notes)
    difference = value - other
    scale = max(abs(value), abs(other))
    relative = abs(difference) / scale if scale > 0 else 0.0
    verdict = agree(ad_value, fd_value, fd_error, ad_scale, ad_dtype)
    return CrossCheck(other, method, difference, relative, error, verdict, notes)


def _row_gradient(model: Any, point: Any, row: int, input: str | None,
                  output: str | None) -> tuple[np.ndarray, str]:
    problem = Problem.build(model, point, input=input, output=output)
    gradient = row_gradient(problem.selection, problem.traces)(
        problem.x_tensor(), problem.held, row)
    return np.asarray(gradient.numpy(), dtype=np.float64), problem.dtype


def _fd_cell(model: Any, point: Any, row: int, col: int, input: str | None,
             output: str | None) -> tuple[float, float, tuple[str, ...]]:
    problem = Problem.build(model, point, input=input, output=output,
                            finite_differences=True).checked_copy()
    selection, others, x = problem.selection, problem.held, problem.x
    stencil, _ = choose_stencil(selection, others, problem.traces, central=True)
    steps = steps_for(x, stencil.relative_step(selection.dtype), selection.dtype)
    f = batched_function(selection, others, problem.traces)
    x_eval = x.astype(selection.dtype)
    f0 = f(x_eval[None], others).numpy()[0].astype(np.float64)
    column, error = difference_columns(f, others, x_eval, f0, steps, np.array([col]), True,
                                       stencil.extrapolated)
    return float(column[row, 0]), float(error[row, 0]), problem.notes
