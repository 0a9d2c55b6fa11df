"""Set-up shared by the analyses: the narrowed function at a point, indices, labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import activation_elements, complete_point, fd_selection
from ..errors import JacguiError, JacobianTooLargeError
from ..handle import ModelHandle
from ..job import CancelToken, JacobianJob, JacobianOptions, Progress, ProgressCallback
from ..selection import Selection


@dataclass(frozen=True)
class Prepared:
    """One input/output pair of a model at a point, ready for batched evaluation."""

    selection: Selection
    others: tuple
    x: np.ndarray  # the selected input at the point, flattened, float64
    notes: tuple[str, ...]

    @property
    def dtype(self) -> str:
        """The evaluation dtype (float64 where the model allows it, unless float32 was asked)."""
        return self.selection.dtype


def prepare(model: ModelHandle, point: Any, input: str | None, output: str | None,
            dtype: str | None = None) -> Prepared:
    """Narrow ``model`` at ``point`` as finite differences would.

    That is float64 unless ``dtype`` says ``"float32"``, the model is fixed at its saved
    precision, or its float64 copy does not reproduce it at ``point`` (then a note says so).
    """
    if dtype not in (None, "float32", "float64"):
        raise JacguiError(f"dtype must be float32 or float64, not {dtype!r}")
    return _prepare(model, point, input, output, "fd-central", JacobianOptions(dtype=dtype))


def prepare_native(model: ModelHandle, point: Any, input: str | None,
                   output: str | None) -> Prepared:
    """Narrow ``model`` at ``point`` in the model's own precision, as AD runs it.

    For the analyses that evaluate or differentiate the model at many points.
    """
    return _prepare(model, point, input, output, "auto", JacobianOptions())


def _prepare(model: ModelHandle, point: Any, input: str | None, output: str | None,
             method: str, options: JacobianOptions) -> Prepared:
    if point is not None and not isinstance(point, Mapping):
        point = {model.input(input).name: point}
    job = JacobianJob(model, point or {}, method, input, output, options)
    values = complete_point(model, job.point, input)
    selection, others, notes = fd_selection(model, job, values)
    x = values[selection.input.name].reshape(-1).astype(np.float64)
    return Prepared(selection, others, x, tuple(notes))


def rows_per_chunk(model: ModelHandle, prepared: Prepared, budget: int, what: str) -> int:
    """Samples per batched model call that fit ``budget`` bytes.

    The call is a forward pass or one reverse pass of one output; a one-line error when not
    even one sample fits.
    """
    selection = prepared.selection
    elements = activation_elements(model, selection, prepared.others)
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


def row_gradient(prepared: Prepared, cache: dict, row: int) -> np.ndarray:
    """Reverse-mode gradient of output element ``row`` at the point, in the evaluation dtype."""
    from .._tf import tf
    from ..cell import row_gradient  # the cached, traced single-row gradient of the inspector

    x = tf().constant(prepared.x.astype(prepared.dtype))
    return np.asarray(row_gradient(prepared.selection, cache)(x, prepared.others, row),
                      dtype=np.float64)
