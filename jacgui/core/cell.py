"""One cell of a Jacobian, explained, and checked by the other family of methods."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .autodiff import row_gradient
from .finite_diff import batched_function, default_relative_step, difference_columns, steps_for
from .job import JacobianResult
from .problem import Problem
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
    """The same derivative by the other family of methods (AD versus central differences)."""

    value: float
    method: str
    difference: float
    relative_difference: float
    error_estimate: float | None = None


def cell_info(result: JacobianResult, row: int, col: int) -> CellInfo:
    """Describe cell (``row``, ``col``) of ``result``."""
    value = float(result.matrix[row, col])
    x_j, f_i = float(result.point[col]), float(result.outputs[row])
    note = elasticity_note(result, row, col)
    elastic = None if note else value * x_j / f_i
    error = None if result.error_estimate is None else float(result.error_estimate[row, col])
    return CellInfo(row, col, result.output_labels[row], result.input_labels[col], value, x_j,
                    f_i, elastic, note, error)


def cross_check(model: Any, point: Any, row: int, col: int, *, input: str | None = None,
                output: str | None = None, method_used: str = "reverse",
                value: float | None = None) -> CrossCheck:
    """Recompute one derivative with the other family: central FD for AD results, else reverse.

    Costs one batched model call (four points) for FD, or one gradient for AD.
    """
    if method_used.startswith("fd"):
        problem = Problem.build(model, point, input=input, output=output)
        gradient = row_gradient(problem.selection, problem.traces)(
            problem.x_tensor(), problem.held, row)
        other, method, error = float(gradient.numpy()[col]), "reverse", None
    else:
        problem = Problem.build(model, point, input=input, output=output,
                                finite_differences=True)
        selection, others, x = problem.selection, problem.held, problem.x
        steps = steps_for(x, default_relative_step(True, selection.dtype), selection.dtype)
        f = batched_function(selection, others, problem.traces)
        x_eval = x.astype(selection.dtype)
        f0 = f(x_eval[None], others).numpy()[0].astype(np.float64)
        column, err = difference_columns(f, others, x_eval, f0, steps, np.array([col]), True)
        other, method, error = float(column[row, 0]), "fd-central", float(err[row, 0])
    if value is None:
        return CrossCheck(other, method, float("nan"), float("nan"), error)
    difference = value - other
    scale = max(abs(value), abs(other))
    relative = abs(difference) / scale if scale > 0 else 0.0
    return CrossCheck(other, method, difference, relative, error)
