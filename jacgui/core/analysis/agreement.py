"""Can I trust this number? Automatic differentiation against central differences, cell by cell.

AD (reverse or forward, in the model's precision) is exact up to round-off; central differences
(float64 where the model allows) carry a per-cell error estimate. Each cell is judged by the one
agreement policy of :mod:`jacgui.core.agreement`: within ``FD error estimate + AD round-off``
both are right; far outside it one of them is wrong there (a kink, a non-differentiable op, a
gradient that lies, or an FD step that is too large).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..agreement import GREEN, LEVELS, ad_roundoff, agreement_levels
from ..engine import jacobian, plan_job
from ..handle import ModelHandle
from ..job import (
    DEFAULT_MEMORY_BUDGET,
    CancelToken,
    JacobianJob,
    JacobianOptions,
    Progress,
    ProgressCallback,
)
from ..process.dispatch import isolated_operation
from ..views import near_zero
from .tables import matrix_rows


@dataclass(frozen=True)
class Agreement:
    """AD and FD Jacobians side by side.

    Attributes
    ----------
    ad, fd : ndarray (m, n)
    difference : ndarray (m, n)
        ``ad - fd``; the heatmap to draw.
    fd_error : ndarray (m, n)
        FD error estimate per cell (truncation from steps h and 2h, plus round-off).
    ad_roundoff : ndarray (m, n)
        Assumed AD round-off (:func:`jacgui.core.agreement.ad_roundoff` of the row's max |AD|).
    agree : ndarray of bool (m, n)
        ``|ad - fd| <= fd_error + ad_roundoff``: the policy's green level.
    max_abs, max_abs_cell
        Largest finite ``|ad - fd|`` and its (row, col).
    max_rel, max_rel_cell
        Largest ``|ad - fd| / max(|ad|, |fd|, tiny)`` over cells that are not both near zero
        (below 1e-6 of the largest magnitude); NaN and (-1, -1) when every cell is near zero.
    fraction_agree : float
    levels : ndarray of int8 (m, n) or None
        The policy's level per cell (index into :data:`jacgui.core.agreement.LEVELS`:
        green, amber, red).
    """

    ad: np.ndarray
    fd: np.ndarray
    difference: np.ndarray
    fd_error: np.ndarray
    ad_roundoff: np.ndarray
    agree: np.ndarray
    max_abs: float
    max_abs_cell: tuple[int, int]
    max_rel: float
    max_rel_cell: tuple[int, int]
    fraction_agree: float
    ad_method: str
    ad_dtype: str
    fd_dtype: str
    input_labels: tuple[str, ...]
    output_labels: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    levels: np.ndarray | None = None

    def cell_name(self, cell: tuple[int, int]) -> str:
        """``d <output label> / d <input label>`` for a (row, col)."""
        if cell[0] < 0:
            return "(none)"
        return f"d {self.output_labels[cell[0]]} / d {self.input_labels[cell[1]]}"

    def summary_lines(self) -> list[str]:
        """A readable summary for the command line."""
        m, n = self.ad.shape
        return [
            f"AD ({self.ad_method}, {self.ad_dtype}) vs central differences ({self.fd_dtype}), "
            f"{m} x {n}",
            f"max |AD - FD| = {self.max_abs:.3g} at {self.cell_name(self.max_abs_cell)}",
            f"max relative disagreement = {self.max_rel:.3g} at "
            f"{self.cell_name(self.max_rel_cell)}",
            f"cells agreeing within the FD error estimate + AD round-off: "
            f"{self.fraction_agree:.1%} ({int(self.agree.sum())} of {self.agree.size})",
            *self._level_lines(),
            *[f"warning: {w}" for w in self.warnings],
        ]

    def _level_lines(self) -> list[str]:
        if self.levels is None:
            return []
        counts = [int(np.sum(self.levels == code)) for code in range(len(LEVELS))]
        return ["green / amber / red cells: " + " / ".join(str(c) for c in counts)]

    def to_rows(self) -> list[list[Any]]:
        """Table: the difference heatmap ``AD - FD`` with labels."""
        return matrix_rows(self.difference, self.output_labels, self.input_labels, "AD - FD")

    def to_dict(self) -> dict[str, Any]:
        """Arrays and metadata; ``primary`` names the main array."""
        return {
            "analysis": "compare", "primary": "difference", "ad": self.ad, "fd": self.fd,
            "difference": self.difference, "fd_error": self.fd_error,
            "ad_roundoff": self.ad_roundoff, "agree": self.agree, "max_abs": self.max_abs,
            "max_abs_cell": list(self.max_abs_cell), "max_rel": self.max_rel,
            "max_rel_cell": list(self.max_rel_cell), "fraction_agree": self.fraction_agree,
            "ad_method": self.ad_method, "ad_dtype": self.ad_dtype, "fd_dtype": self.fd_dtype,
            "input_labels": list(self.input_labels), "output_labels": list(self.output_labels),
            "warnings": list(self.warnings), "levels": self.levels,
        }


@isolated_operation("compare")
def compare_ad_fd(model: ModelHandle, point: Any = None, *, input: str | None = None,
                  output: str | None = None, ad_method: str = "auto",
                  memory_budget: int = DEFAULT_MEMORY_BUDGET,
                  progress: ProgressCallback | None = None,
                  cancel: CancelToken | None = None) -> Agreement:
    """Compute the Jacobian by AD and by central differences and compare them cell by cell.

    Progress counts the chunks of both computations together; ``cancel`` is checked between
    chunks (raises :class:`~jacgui.core.errors.JacobianCancelled`).
    """
    jobs = [JacobianJob(model, {} if point is None else point, method, input, output,
                        JacobianOptions(memory_budget=memory_budget))
            for method in (ad_method, "fd-central")]
    if point is not None and not isinstance(point, dict):
        jobs = [JacobianJob(model, {model.input(input).name: point}, j.method, input, output,
                            j.options) for j in jobs]
    totals = [plan_job(job).n_chunks for job in jobs]

    def stage(offset: int) -> ProgressCallback | None:
        if progress is None:
            return None
        return lambda p: progress(Progress(0, offset + p.done, sum(totals)))

    ad = jacobian(model, jobs[0].point, method=ad_method, input=input, output=output,
                  memory_budget=memory_budget, progress=stage(0), cancel=cancel)
    fd = jacobian(model, jobs[1].point, method="fd-central", input=input, output=output,
                  memory_budget=memory_budget, progress=stage(totals[0]), cancel=cancel)
    return agreement_of(ad.matrix, fd.matrix, fd.error_estimate, ad.extra["dtype"],
                        ad.method, fd.extra["dtype"], ad.input_labels, ad.output_labels,
                        tuple(dict.fromkeys(ad.warnings + fd.warnings)))


def agreement_of(ad: np.ndarray, fd: np.ndarray, fd_error: np.ndarray, ad_dtype: str,
                 ad_method: str, fd_dtype: str, input_labels: tuple[str, ...],
                 output_labels: tuple[str, ...], warnings: tuple[str, ...] = ()) -> Agreement:
    """The comparison of two Jacobians already computed (see :func:`compare_ad_fd`)."""
    ad64, fd64 = np.asarray(ad, np.float64), np.asarray(fd, np.float64)
    difference = ad64 - fd64
    size = np.abs(difference)
    row_scale = np.nanmax(np.where(np.isfinite(ad64), np.abs(ad64), 0.0), axis=1, keepdims=True)
    roundoff = np.broadcast_to(ad_roundoff(row_scale, ad_dtype), ad64.shape).copy()
    levels = agreement_levels(ad64, fd64, fd_error, row_scale, ad_dtype)
    agree = levels == GREEN  # NaN never agrees
    max_abs, max_abs_cell = _argmax(size)
    magnitude = np.maximum(np.abs(ad64), np.abs(fd64))
    both_zero = near_zero(np.where(np.isfinite(magnitude), magnitude, np.nan).ravel())
    both_zero = both_zero.reshape(magnitude.shape) & np.isfinite(magnitude)
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = size / np.maximum(magnitude, np.finfo(np.float64).tiny)
    max_rel, max_rel_cell = _argmax(np.where(both_zero, np.nan, relative))
    return Agreement(ad64, fd64, difference, np.asarray(fd_error, np.float64), roundoff,
                     agree, max_abs, max_abs_cell, max_rel, max_rel_cell,
                     float(agree.mean()) if agree.size else 1.0, ad_method, ad_dtype, fd_dtype,
                     tuple(input_labels), tuple(output_labels), warnings, levels)


def _argmax(values: np.ndarray) -> tuple[float, tuple[int, int]]:
    finite = np.isfinite(values)
    if not finite.any():
        return float("nan"), (-1, -1)
    flat = int(np.argmax(np.where(finite, values, -np.inf)))
    row, col = divmod(flat, values.shape[1])
    return float(values[row, col]), (row, col)
