"""Set-up shared by the analyses: the problem at a point, indices, labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autodiff import row_gradient as traced_row_gradient
from ..errors import JacguiError
from ..handle import ModelHandle
from ..problem import Problem


def prepare(model: ModelHandle, point: Any, input: str | None, output: str | None,
            dtype: str | None = None) -> Problem:
    """The problem at ``point`` as finite differences see it.

    float64 unless ``dtype`` says ``"float32"`` or the model is fixed at its saved precision
    (then a note says so).
    """
    return Problem.build(model, point, input=input, output=output, finite_differences=True,
                         dtype=dtype)


def resolve_index(which: int | str, labels: Sequence[str], kind: str) -> int:
    """An index from an integer (negative counts from the end) or an element label."""
    if isinstance(which, str):
        if which in labels:
            return list(labels).index(which)
        try:
            which = int(which)
        except ValueError:
            shown = ", ".join(labels[:6]) + (", …" if len(labels) > 6 else "")
            raise JacguiError(f"no {kind} labelled {which!r}; labels are: {shown}") from None
    index = int(which)
    if not -len(labels) <= index < len(labels):
        raise JacguiError(f"{kind} index {index} is out of range: there are {len(labels)}")
    return index % len(labels)


def row_gradient(problem: Problem, row: int) -> np.ndarray:
    """Reverse-mode gradient of output element ``row`` at the point, in the evaluation dtype."""
    gradient = traced_row_gradient(problem.selection, problem.traces)
    return np.asarray(gradient(problem.x_tensor(), problem.held, row), dtype=np.float64)
