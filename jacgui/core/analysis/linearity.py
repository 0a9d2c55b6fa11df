"""Local linearity: how far along one input the tangent of one output stays right.

``slice_cell`` evaluates ``f_i(x + t e_j)`` on a grid of ``t`` in ONE batched model call and
compares it with the tangent line ``f_i(x) + t J_ij``. The **trust radius** is the interval
``[t_minus, t_plus]`` around 0 on which the tangent is within ``rtol`` (1 %) of the truth:

    |tangent(t) - f_i(x + t e_j)|  <=  rtol * max(|f_i(x + t e_j)|, floor),
    floor = FLOOR * max_t |f_i(x + t e_j)|  (plus the smallest normal float).

The tolerance is relative to the true value at each ``t``; the floor only matters where the
output is (close to) zero, e.g. a line through zero that the tangent follows exactly. If f_i is
zero on the whole slice the floor is the smallest normal float, so only an exact tangent is
trusted. The interval is read off the grid conservatively: ``t_plus`` is the last grid point
before the first failure, so the true radius lies between it and the next grid point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import JacguiError
from ..handle import ModelHandle
from ..process.dispatch import isolated_operation
from ._common import prepare, resolve_index, row_gradient

#: Relative tolerance of the trust radius.
RTOL = 0.01
#: The floor of the tolerance scale, as a fraction of the largest |f_i| on the slice.
FLOOR = 1e-3


@dataclass(frozen=True)
class SliceResult:
    """``f_i`` along input ``j`` through the point, its tangent, and where the tangent holds.

    Attributes
    ----------
    t : ndarray (S,)
        Offsets added to ``x_j`` (exactly as evaluated, in the evaluation dtype); includes 0.
    values : ndarray (S,)
        ``f_i(x + t e_j)``.
    tangent : ndarray (S,)
        ``f_i(x) + t J_ij``.
    error, tolerance : ndarray (S,)
        ``|tangent - values|`` and the allowed error at each ``t``.
    t_minus, t_plus : float
        The trust interval (``t_minus <= 0 <= t_plus``), contiguous around 0, on the grid.
    whole_range : bool
        True when the tangent holds over the whole evaluated range (the radius may be larger).
    """

    row: int
    col: int
    output_label: str
    input_label: str
    x_j: float
    f_x: float
    derivative: float
    derivative_source: str
    t: np.ndarray
    values: np.ndarray
    tangent: np.ndarray
    error: np.ndarray
    tolerance: np.ndarray
    t_minus: float
    t_plus: float
    whole_range: bool
    rtol: float
    dtype: str
    notes: tuple[str, ...] = ()

    @property
    def trusted(self) -> np.ndarray:
        """Mask of grid points inside the trust interval."""
        return (self.t >= self.t_minus) & (self.t <= self.t_plus)

    def summary_lines(self) -> list[str]:
        """A readable summary for the command line."""
        edge = " (the whole range: try a wider one)" if self.whole_range else ""
        return [
            f"slice of {self.output_label} along {self.input_label} at {self.input_label} = "
            f"{self.x_j:.6g} ({self.dtype}, {self.t.size} points)",
            f"f = {self.f_x:.6g}, derivative = {self.derivative:.6g} ({self.derivative_source})",
            f"tangent within {self.rtol:.0%} for t in [{self.t_minus:.4g}, {self.t_plus:.4g}]"
            f"{edge}",
            *[f"note: {n}" for n in self.notes],
        ]

    def to_rows(self) -> list[list[Any]]:
        """Table: t, x_j + t, f, tangent, |error|, tolerance, trusted."""
        rows: list[list[Any]] = [["t", self.input_label, self.output_label, "tangent", "abs_error",
                                  "tolerance", "trusted"]]
        for k in range(self.t.size):
            rows.append([self.t[k], self.x_j + self.t[k], self.values[k], self.tangent[k],
                         self.error[k], self.tolerance[k], bool(self.trusted[k])])
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Arrays and metadata; ``primary`` names the main array."""
        return {
            "analysis": "slice", "primary": "values", "row": self.row, "col": self.col,
            "output_label": self.output_label, "input_label": self.input_label, "x_j": self.x_j,
            "f_x": self.f_x, "derivative": self.derivative,
            "derivative_source": self.derivative_source, "t": self.t, "values": self.values,
            "tangent": self.tangent, "error": self.error, "tolerance": self.tolerance,
            "t_minus": self.t_minus, "t_plus": self.t_plus, "whole_range": self.whole_range,
            "rtol": self.rtol, "floor_fraction": FLOOR, "dtype": self.dtype,
            "notes": list(self.notes),
        }


def default_half_range(x_j: float) -> float:
    """Default half-width of the slice: ``0.5 * max(1, |x_j|)``."""
    return 0.5 * max(1.0, abs(float(x_j)))


@isolated_operation("slice")
def slice_cell(model: ModelHandle, point: Any = None, row: int | str = 0, col: int | str = 0, *,
               input: str | None = None, output: str | None = None,
               t_range: float | None = None, samples: int = 101,
               derivative: float | None = None, rtol: float = RTOL) -> SliceResult:
    """Evaluate ``f_row(x + t e_col)`` for ``t`` in ``[-t_range, t_range]`` and its tangent.

    Parameters
    ----------
    model, point, input, output
        As for :func:`jacgui.core.jacobian`; ``point`` may be an array for ``input``.
    row, col : int or str
        Output and input element, by flat index or label.
    t_range : float, optional
        Half-width of the slice; default :func:`default_half_range` of ``x_col``.
    samples : int
        Grid points (0 is always added).
    derivative : float, optional
        ``J_ij`` to use; by default a reverse-mode gradient of that row (float64 if possible).
    rtol : float
        Relative tolerance of the trust radius (see the module docstring).

    Returns
    -------
    SliceResult
    """
    if samples < 3:
        raise JacguiError(f"a slice needs at least 3 samples, got {samples}")
    if not 0 < rtol < 1:
        raise JacguiError(f"rtol must be in (0, 1), got {rtol}")
    prepared = prepare(model, point, input, output)
    selection = prepared.selection
    i = resolve_index(row, selection.output.element_labels(), "output")
    j = resolve_index(col, selection.input.element_labels(), "input")
    x = prepared.x
    half = default_half_range(x[j]) if t_range is None else float(t_range)
    if not (np.isfinite(half) and half > 0):
        raise JacguiError(f"the slice range must be a positive number, got {t_range!r}")
    grid = np.union1d(np.linspace(-half, half, samples), [0.0])
    x_eval = x.astype(prepared.dtype)
    batch = np.repeat(x_eval[None], grid.size, axis=0)
    batch[:, j] = (x_eval[j] + grid).astype(prepared.dtype)
    t = batch[:, j].astype(np.float64) - float(x_eval[j])  # the offsets actually evaluated
    values = prepared.evaluate(batch)[:, i].astype(np.float64)
    zero = int(np.flatnonzero(t == 0.0)[0])
    f_x = float(values[zero])
    source = "given"
    if derivative is None:
        derivative = float(row_gradient(prepared, i)[j])
        source = f"reverse mode, {prepared.dtype}"
    tangent = f_x + t * float(derivative)
    error = np.abs(tangent - values)
    finite = np.abs(values[np.isfinite(values)])
    floor = FLOOR * (float(finite.max()) if finite.size else 0.0) + np.finfo(np.float64).tiny
    tolerance = rtol * np.maximum(np.abs(values), floor)
    ok = error <= tolerance  # NaN never passes
    hi = zero
    while hi + 1 < t.size and ok[hi + 1]:
        hi += 1
    lo = zero
    while lo - 1 >= 0 and ok[lo - 1]:
        lo -= 1
    notes = list(prepared.notes)
    if not ok[zero]:
        notes.append("f is not finite at the point: no trust radius")
    return SliceResult(
        i, j, selection.output.element_labels()[i], selection.input.element_labels()[j],
        float(x[j]), f_x, float(derivative), source, t, values, tangent, error, tolerance,
        float(t[lo]), float(t[hi]), bool(ok.all()), rtol, prepared.dtype, tuple(notes))
