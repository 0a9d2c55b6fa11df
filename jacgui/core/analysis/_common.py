"""Set-up shared by the analyses: the narrowed function at a point, indices, labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import complete_point, fd_selection
from ..errors import JacguiError
from ..handle import ModelHandle
from ..job import JacobianJob, JacobianOptions
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
    if point is not None and not isinstance(point, Mapping):
        point = {model.input(input).name: point}
    job = JacobianJob(model, point or {}, "fd-central", input, output,
                      JacobianOptions(dtype=dtype))
    values = complete_point(model, job.point, input)
    selection, others, notes = fd_selection(model, job, values)
    x = values[selection.input.name].reshape(-1).astype(np.float64)
    return Prepared(selection, others, x, tuple(notes))


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
