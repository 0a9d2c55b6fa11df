"""Set-up shared by the analyses: the problem at a point, indices, labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autodiff import row_gradient as traced_row_gradient
from ..errors import JacguiError, JacobianTooLargeError
from ..handle import ModelHandle
from ..job import CancelToken, Progress, ProgressCallback
from ..problem import Problem


def prepare(model: ModelHandle, point: Any, input: str | None, output: str | None,
            dtype: str | None = None) -> Problem:
    """The problem at ``point`` as finite differences see it.

    That is float64 unless ``dtype`` says ``"float32"``, the model is fixed at its saved
    precision, or its float64 copy does not reproduce it at ``point`` (then a note says so).
    """
    return Problem.build(model, point, input=input, output=output, finite_differences=True,
                         dtype=dtype).checked_copy()


def prepare_native(model: ModelHandle, point: Any, input: str | None,
                   output: str | None) -> Problem:
    """The problem at ``point`` in the model's own precision, as automatic differentiation sees it.

    For the analyses that evaluate or differentiate the model at many points.
    """
    return Problem.build(model, point, input=input, output=output)


def rows_per_chunk(problem: Problem, budget: int, what: str) -> int:
    """Samples per batched model call that fit ``budget`` bytes.

    The call is a forward pass or one reverse pass of one output; a one-line error when not
    even one sample fits.
    """
    selection = problem.selection
    elements = problem.activation_elements()
    # About three live copies of every intermediate (forward values, their gradients and a
    # temporary), plus the sample's input and output in float64 on the NumPy side.
    per_row = (3 * elements + 2 * (selection.n + selection.m)) * 8
    if per_row > budget:
        raise JacobianTooLargeError(
            f"one sample of {what} needs about {per_row / 2**20:.1f} MiB, more than the memory "
            f"budget of {budget / 2**20:.1f} MiB; raise the budget")
    return max(1, budget // per_row)


class Steps:
    """Progress over a known number of steps, with the cancel check between steps.

    Creating it reports ``0 of total``; :meth:`advance` reports one more step done, and
    :meth:`check` raises :class:`~jacgui.core.errors.JacobianCancelled` once ``cancel`` is set.
    """

    def __init__(self, total: int, progress: ProgressCallback | None,
                 cancel: CancelToken | None) -> None:
        self.total, self.done = int(total), 0
        self._progress, self._cancel = progress, cancel
        self._report()

    def check(self) -> None:
        """Raise if the run was cancelled."""
        if self._cancel is not None:
            self._cancel.raise_if_cancelled()

    def advance(self) -> None:
        """One more step is done."""
        self.done += 1
        self._report()

    def _report(self) -> None:
        if self._progress is not None:
            self._progress(Progress(0, self.done, self.total))


def whole_number(value: Any, what: str, minimum: int) -> int:
    """``value`` as an ``int`` of at least ``minimum``, or a one-line error naming ``what``."""
    try:
        number = int(value)
        exact = not isinstance(value, bool) and number == value
    except (TypeError, ValueError, OverflowError):
        exact = False
    if not exact or number < minimum:
        raise JacguiError(f"{what} must be a whole number >= {minimum}, got {value!r}")
    return number


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
