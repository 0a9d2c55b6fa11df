"""Finite-difference step sweep for one cell: the classic V of truncation versus round-off.

For a relative step ``c`` the absolute step is ``h = c * max(1, |x_j|)`` (rounded so that
``x_j + h`` is exact in the evaluation dtype). Every step, on both sides, goes through the model
in ONE batched call. The error against the AD value falls like ``h^2`` (central) or ``h``
(forward) while truncation dominates, and rises like ``eps |f| / h`` once round-off does.

Two step predictions are reported per dtype:

- ``rule_step``: the rule of thumb, ``eps^(1/3)`` (central) or ``eps^(1/2)`` (forward) times
  ``max(1, |x_j|)``: the step of the plain difference swept here (the engine's step with
  ``richardson=False``; by default it extrapolates steps h and 2h taken at ``eps^(1/5)`` and
  ``eps^(1/3)``, see :mod:`jacgui.core.finite_diff`);
- ``optimal_step``: the minimiser of the error model with the curvature of *this* function,
  ``cbrt(3 eps |f| / |f'''|)`` (central) or ``2 sqrt(eps |f| / |f''|)`` (forward), with
  ``f''``/``f'''`` from a wide stencil in the same call; the rule when the curvature is ~0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import JacguiError
from ..finite_diff import default_relative_step
from ..handle import ModelHandle
from ..process.dispatch import isolated_operation
from ._common import prepare, resolve_index, row_gradient

DEFAULT_STEPS = np.logspace(-12, -1, 45)


@dataclass(frozen=True)
class StepSweep:
    """FD derivative of one cell against the relative step, per evaluation dtype.

    Attributes
    ----------
    relative_steps : ndarray (S,)
        The requested ``c``.
    dtypes : tuple of str (D,)
        Dtypes actually evaluated (a model fixed at float32 cannot give float64).
    steps : ndarray (D, S)
        Absolute steps actually used; 0 where ``x_j + h == x_j`` in that dtype.
    derivative, error : ndarray (D, S)
        FD derivative and ``|derivative - ad_value|``; NaN where the step vanished.
    ad_value : float
        Reverse-mode derivative (float64 where the model allows): the reference.
    rule_step, optimal_step, best_step : ndarray (D,)
        Absolute steps: rule of thumb, curvature-based optimum, and the sweep's minimum error.
    """

    row: int
    col: int
    output_label: str
    input_label: str
    x_j: float
    central: bool
    relative_steps: np.ndarray
    dtypes: tuple[str, ...]
    steps: np.ndarray
    derivative: np.ndarray
    error: np.ndarray
    ad_value: float
    ad_dtype: str
    rule_step: np.ndarray
    optimal_step: np.ndarray
    best_step: np.ndarray
    notes: tuple[str, ...] = ()

    def summary_lines(self) -> list[str]:
        """A readable summary for the command line."""
        kind = "central" if self.central else "forward"
        lines = [f"{kind} differences of d {self.output_label} / d {self.input_label} at "
                 f"{self.input_label} = {self.x_j:.6g}; AD value {self.ad_value:.10g} "
                 f"({self.ad_dtype})"]
        for d, dtype in enumerate(self.dtypes):
            finite = np.isfinite(self.error[d])
            best = float(np.nanmin(self.error[d])) if finite.any() else float("nan")
            lines.append(f"{dtype}: smallest error {best:.3g} at h = {self.best_step[d]:.3g}; "
                         f"rule of thumb h = {self.rule_step[d]:.3g}, curvature optimum "
                         f"h = {self.optimal_step[d]:.3g}")
        return lines + [f"note: {n}" for n in self.notes]

    def to_rows(self) -> list[list[Any]]:
        """Table: relative step, then step, derivative and error per dtype."""
        header: list[Any] = ["relative_step"]
        for dtype in self.dtypes:
            header += [f"h_{dtype}", f"derivative_{dtype}", f"abs_error_{dtype}"]
        rows: list[list[Any]] = [header]
        for s, c in enumerate(self.relative_steps):
            row: list[Any] = [c]
            for d in range(len(self.dtypes)):
                row += [self.steps[d, s], self.derivative[d, s], self.error[d, s]]
            rows.append(row)
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Arrays and metadata; ``primary`` names the main array."""
        return {
            "analysis": "step_sweep", "primary": "error", "row": self.row, "col": self.col,
            "output_label": self.output_label, "input_label": self.input_label,
            "x_j": self.x_j, "central": self.central, "relative_steps": self.relative_steps,
            "dtypes": list(self.dtypes), "steps": self.steps, "derivative": self.derivative,
            "error": self.error, "ad_value": self.ad_value, "ad_dtype": self.ad_dtype,
            "rule_step": self.rule_step, "optimal_step": self.optimal_step,
            "best_step": self.best_step, "notes": list(self.notes),
        }


@isolated_operation("sweep")
def step_sweep(model: ModelHandle, point: Any = None, row: int | str = 0, col: int | str = 0, *,
               input: str | None = None, output: str | None = None, central: bool = True,
               steps: Any = None, dtype: str | None = None) -> StepSweep:
    """Sweep the finite-difference step for cell (``row``, ``col``).

    Parameters
    ----------
    steps : array, optional
        Relative steps ``c`` (default ``logspace(-12, -1, 45)``).
    dtype : {None, "float32", "float64", "both"}
        Evaluation dtype(s); ``None`` is what finite differences use (float64 where possible).
    """
    relative = np.asarray(DEFAULT_STEPS if steps is None else steps, dtype=np.float64).ravel()
    if relative.size == 0 or not np.all(np.isfinite(relative) & (relative > 0)):
        raise JacguiError("the relative steps must be positive finite numbers")
    if dtype not in (None, "float32", "float64", "both"):
        raise JacguiError(f"dtype must be float32, float64 or both, not {dtype!r}")
    wanted = ("float32", "float64") if dtype == "both" else (dtype,)
    reference = prepare(model, point, input, output)  # float64 where possible
    i = resolve_index(row, reference.selection.output.element_labels(), "output")
    j = resolve_index(col, reference.selection.input.element_labels(), "input")
    ad_value = float(row_gradient(reference, i)[j])
    notes = list(reference.notes)
    curves, used = [], []
    for name in wanted:
        prepared = reference if name is None else prepare(model, point, input, output, name)
        if prepared.dtype in used:
            notes.append(f"{name} was asked for, but this model evaluates only in "
                         f"{prepared.dtype}")
            continue
        used.append(prepared.dtype)
        curves.append(_sweep_one(model, prepared, i, j, relative, central, ad_value))
    if np.all(np.isnan(np.array([c[2] for c in curves]))):
        notes.append("every step vanished or gave NaN: widen the steps")
    stacked = [np.array(part) for part in zip(*curves, strict=True)]
    labels = reference.selection
    return StepSweep(i, j, labels.output.element_labels()[i], labels.input.element_labels()[j],
                     float(reference.x[j]), central, relative, tuple(used), *stacked[:3],
                     ad_value, reference.dtype, *stacked[3:], tuple(dict.fromkeys(notes)))


def _sweep_one(model: ModelHandle, prepared: Any, i: int, j: int, relative: np.ndarray,
               central: bool, ad_value: float) -> tuple:
    dtype = prepared.dtype
    eps = float(np.finfo(dtype).eps)
    x_eval = prepared.x.astype(dtype)
    scale = max(1.0, abs(float(x_eval[j])))
    # Wide stencil steps for the curvature: about optimal for a 3rd/2nd difference.
    h_curv = (eps ** (1 / 5) if central else eps ** (1 / 4)) * scale
    wanted = np.concatenate([relative * scale, [h_curv, 2 * h_curv]])
    shifted = (x_eval[j] + wanted.astype(dtype)).astype(dtype)
    h = shifted.astype(np.float64) - float(x_eval[j])  # exactly representable offsets
    offsets = np.concatenate([h, -h, [0.0]])
    batch = np.repeat(x_eval[None], offsets.size, axis=0)
    batch[:, j] = (x_eval[j] + offsets.astype(dtype)).astype(dtype)
    values = prepared.evaluate(batch)[:, i].astype(np.float64)
    k = h.size
    plus, minus, f0 = values[:k], values[k:2 * k], float(values[-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (plus - minus) / (2 * h) if central else (plus - f0) / h
    d = np.where(h > 0, d, np.nan)
    s = relative.size
    derivative, error = d[:s], np.abs(d[:s] - ad_value)
    hc = h[s]
    if central:  # f''' from f(x +- 2h) and f(x +- h)
        third = (plus[s + 1] - 2 * plus[s] + 2 * minus[s] - minus[s + 1]) / (2 * hc**3)
        optimal = np.cbrt(3 * eps * abs(f0) / abs(third)) if third != 0 else np.nan
    else:
        second = (plus[s] - 2 * f0 + minus[s]) / hc**2
        optimal = 2 * np.sqrt(eps * abs(f0) / abs(second)) if second != 0 else np.nan
    rule = default_relative_step(central, dtype) * scale
    if not (np.isfinite(optimal) and optimal > 0):
        optimal = rule  # f ~ 0 or no curvature: fall back to the rule of thumb
    finite = np.isfinite(error)
    best = float(h[:s][np.nanargmin(np.where(finite, error, np.nan))]) if finite.any() else np.nan
    return h[:s], derivative, error, rule, float(optimal), best
