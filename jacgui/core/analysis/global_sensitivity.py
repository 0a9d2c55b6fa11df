"""Global, derivative-based sensitivity: Jacobian statistics over many points.

Per-sample Jacobians come from ONE cached ``tf.function`` per model and mode: reverse mode
through ``tape.batch_jacobian`` (m <= n) or forward mode, a vectorised JVP per input over the
whole batch (m > n). Samples in a batch are independent because models run in inference mode.
Batches have a fixed size (the last one is padded with copies of its final point and the
padding dropped), so nothing retraces between batches; progress is reported and ``cancel``
checked between batches. Statistics are accumulated in float64 with Chan's pairwise update, so
N Jacobians are never held at once.

Derivative-based global sensitivity measures (DGSM, Sobol & Kucherenko 2009):
``nu_ij = E[(d f_i / d x_j)^2]``. Two normalisations are offered:

- ``dgsm_share``: ``nu_ij / sum_j nu_ij``, each output's row sums to 1 (needs no bounds);
- ``total_index_bound``: ``(b_j - a_j)^2 nu_ij / (pi^2 Var f_i)``, an upper bound on the total
  Sobol index of ``x_j`` for ``f_i`` when the inputs are independent and uniform on
  ``[a_j, b_j]`` (``dgsm_variance_bound`` is the same without the division by ``Var f_i``, which
  is estimated from the same samples). Only when bounds are given.

Standard errors are ``std / sqrt(N)`` of the per-sample quantity, as for independent samples;
for a Latin hypercube they are conservative (LHS has at most the variance of plain sampling
for the additive part). The standard error of ``std`` is the normal-theory
``std / sqrt(2 (N - 1))``, approximate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._tf import tf
from ..errors import JacguiError
from ..handle import ModelHandle
from ..job import DEFAULT_MEMORY_BUDGET, CancelToken, Progress, ProgressCallback
from ..problem import Problem
from ..selection import Selection
from .batched_jacobian import batch_jacobian_function, batch_size_for
from .tables import matrix_rows

AGGREGATES = ("mean", "mean-abs", "std", "dgsm")


@dataclass(frozen=True)
class AggregateTable:
    """One aggregate matrix with its standard errors, labels and provenance (for export)."""

    name: str
    matrix: np.ndarray
    standard_error: np.ndarray
    input_labels: tuple[str, ...]
    output_labels: tuple[str, ...]
    metadata: dict[str, Any]

    def to_rows(self) -> list[list[Any]]:
        """The matrix, then a blank row, then its standard errors, both labelled."""
        rows = matrix_rows(self.matrix, self.output_labels, self.input_labels, self.name)
        rows += [[]] + matrix_rows(self.standard_error, self.output_labels, self.input_labels,
                                   f"standard error of {self.name}")
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Arrays and metadata; ``primary`` names the main array."""
        return {"analysis": "global", "aggregate": self.name, "primary": "matrix",
                "matrix": self.matrix, "standard_error": self.standard_error,
                "input_labels": list(self.input_labels),
                "output_labels": list(self.output_labels), **self.metadata}


@dataclass(frozen=True)
class GlobalSensitivity:
    """Statistics of ``J(x)`` over N points; every matrix is (m, n), float64."""

    n_samples: int
    mean: np.ndarray
    mean_abs: np.ndarray
    std: np.ndarray
    dgsm: np.ndarray
    se_mean: np.ndarray
    se_mean_abs: np.ndarray
    se_std: np.ndarray
    se_dgsm: np.ndarray
    dgsm_share: np.ndarray
    dgsm_variance_bound: np.ndarray | None
    total_index_bound: np.ndarray | None
    output_mean: np.ndarray
    output_var: np.ndarray
    input_labels: tuple[str, ...]
    output_labels: tuple[str, ...]
    method: str
    batch_size: int
    n_batches: int
    warnings: tuple[str, ...] = ()
    provenance: dict[str, Any] = field(default_factory=dict, compare=False)

    def aggregate(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(matrix, standard_error)`` for ``"mean"``, ``"mean-abs"``, ``"std"`` or ``"dgsm"``."""
        table = {"mean": (self.mean, self.se_mean), "mean-abs": (self.mean_abs, self.se_mean_abs),
                 "std": (self.std, self.se_std), "dgsm": (self.dgsm, self.se_dgsm)}
        if name not in table:
            raise JacguiError(f"unknown aggregate {name!r}; use one of {', '.join(AGGREGATES)}")
        return table[name]

    def table(self, name: str) -> AggregateTable:
        """An exportable table of one aggregate, with N, method and provenance."""
        matrix, error = self.aggregate(name)
        meta = {"n_samples": self.n_samples, "method": self.method,
                "batch_size": self.batch_size, "warnings": list(self.warnings), **self.provenance}
        if name == "dgsm":
            meta["dgsm_share"] = self.dgsm_share
            if self.total_index_bound is not None:
                meta["total_index_bound"] = self.total_index_bound
        return AggregateTable(name, matrix, error, self.input_labels, self.output_labels, meta)

    def to_rows(self) -> list[list[Any]]:
        """Long table: one row per cell with every statistic."""
        rows: list[list[Any]] = [["output", "input", "mean", "se_mean", "mean_abs",
                                  "se_mean_abs", "std", "dgsm", "se_dgsm", "dgsm_share",
                                  "total_index_bound"]]
        for i, out in enumerate(self.output_labels):
            for j, inp in enumerate(self.input_labels):
                bound = None if self.total_index_bound is None else self.total_index_bound[i, j]
                rows.append([out, inp, self.mean[i, j], self.se_mean[i, j],
                             self.mean_abs[i, j], self.se_mean_abs[i, j], self.std[i, j],
                             self.dgsm[i, j], self.se_dgsm[i, j], self.dgsm_share[i, j], bound])
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Arrays and metadata; ``primary`` names the main array."""
        doc = {k: getattr(self, k) for k in (
            "n_samples", "mean", "mean_abs", "std", "dgsm", "se_mean", "se_mean_abs", "se_std",
            "se_dgsm", "dgsm_share", "output_mean", "output_var", "method", "batch_size",
            "n_batches")}
        if self.total_index_bound is not None:
            doc.update(dgsm_variance_bound=self.dgsm_variance_bound,
                       total_index_bound=self.total_index_bound)
        return {"analysis": "global", "primary": "mean_abs", **doc,
                "input_labels": list(self.input_labels),
                "output_labels": list(self.output_labels), "warnings": list(self.warnings),
                **self.provenance}


class _Moments:
    """Running mean and sum of squared deviations (Chan et al.), merged batch by batch."""

    def __init__(self) -> None:
        self.count, self.mean, self.m2 = 0, 0.0, 0.0

    def add(self, batch: np.ndarray) -> None:
        size = batch.shape[0]
        mean = batch.mean(axis=0)
        m2 = np.square(batch - mean).sum(axis=0)
        if self.count == 0:
            self.count, self.mean, self.m2 = size, mean, m2
            return
        total = self.count + size
        delta = mean - self.mean
        self.mean = self.mean + delta * (size / total)
        self.m2 = self.m2 + m2 + np.square(delta) * (self.count * size / total)
        self.count = total

    def std(self) -> np.ndarray:
        return np.sqrt(self.m2 / max(self.count - 1, 1))


def global_sensitivity(model: ModelHandle, points: Any, *, input: str | None = None,
                       output: str | None = None, fixed: Any = None, bounds: Any = None,
                       memory_budget: int = DEFAULT_MEMORY_BUDGET,
                       batch_size: int | None = None, progress: ProgressCallback | None = None,
                       cancel: CancelToken | None = None,
                       provenance: dict[str, Any] | None = None) -> GlobalSensitivity:
    """Jacobian statistics over ``points``, shape ``(N, *input shape)`` or ``(N, n)``.

    Parameters
    ----------
    fixed : mapping, optional
        Values of the other inputs (default point otherwise).
    bounds : array (n, 2), optional
        The box the points were drawn from; enables ``total_index_bound``.
    memory_budget : int
        Bytes; sets the batch size (unless ``batch_size`` is given).
    progress, cancel
        Reported / checked between batches; cancelling raises ``JacobianCancelled``.
    provenance : dict, optional
        Carried into exports (e.g. ``{"sampling": "lhs", "seed": 1}``).
    """
    problem = Problem.build(model, fixed, input=input, output=output)
    selection, others = problem.selection, problem.held
    n, m = selection.n, selection.m
    x = np.asarray(points, dtype=np.float64)
    if x.ndim < 1 or x.size == 0 or x.size % n or (x.ndim > 1 and x[0].size != n):
        raise JacguiError(f"points must have shape (N, {n}) or (N, *{selection.input.shape}), "
                          f"got {x.shape}")
    x = x.reshape(-1, n)
    if not np.all(np.isfinite(x)):
        raise JacguiError(f"{int(np.sum(~np.all(np.isfinite(x), axis=1)))} point(s) hold NaN/Inf")
    box = None
    if bounds is not None:
        from .sampling import check_bounds

        box = check_bounds(bounds, n)
    reverse = m <= n
    elements = problem.activation_elements()
    batch = batch_size or batch_size_for(m, n, elements, reverse, selection.dtype, memory_budget)
    batch = int(min(batch, x.shape[0]))
    function = batch_jacobian_function(problem, reverse)
    n_batches = -(-x.shape[0] // batch)
    stats = {key: _Moments() for key in ("j", "abs", "sq", "y")}
    connected, bad = True, 0
    if progress is not None:
        progress(Progress(0, 0, n_batches))
    for index in range(n_batches):
        if cancel is not None:
            cancel.raise_if_cancelled()
        chunk = x[index * batch:(index + 1) * batch]
        real = chunk.shape[0]
        if real < batch:  # pad to the traced batch size; the copies are dropped below
            chunk = np.concatenate([chunk, np.repeat(chunk[-1:], batch - real, axis=0)])
        y, jac, linked = function(tf().constant(chunk, selection.dtype), others)
        connected = connected and bool(linked)
        jac = jac.numpy()[:real].astype(np.float64)
        bad += int(np.sum(~np.all(np.isfinite(jac.reshape(real, -1)), axis=1)))
        stats["j"].add(jac)
        stats["abs"].add(np.abs(jac))
        stats["sq"].add(np.square(jac))
        stats["y"].add(y.numpy()[:real].astype(np.float64))
        if progress is not None:
            progress(Progress(0, index + 1, n_batches))
    warnings = []
    if not connected:
        from .. import dependence

        warnings.append(dependence.explain_disconnected(selection, x[0], others,
                                                        problem.traces, problem.facts().suspects))
    if bad:
        warnings.append(f"{bad} of {x.shape[0]} samples gave NaN/Inf Jacobians")
    return _result(stats, box, selection, function.method, batch,
                   n_batches, tuple(warnings), dict(provenance or {}))


def _result(stats: dict[str, _Moments], box: np.ndarray | None, selection: Selection,
            method: str, batch: int, n_batches: int, warnings: tuple[str, ...],
            provenance: dict[str, Any]) -> GlobalSensitivity:
    count = stats["j"].count
    root = np.sqrt(count)
    std = stats["j"].std()
    dgsm = stats["sq"].mean
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(dgsm.sum(axis=1, keepdims=True) > 0,
                         dgsm / dgsm.sum(axis=1, keepdims=True), 0.0)
        variance_bound = bound = None
        output_var = np.square(stats["y"].std())
        if box is not None:
            variance_bound = dgsm * np.square(box[:, 1] - box[:, 0])[None, :] / np.pi**2
            bound = np.where(output_var[:, None] > 0, variance_bound / output_var[:, None], np.nan)
    return GlobalSensitivity(
        count, stats["j"].mean, stats["abs"].mean, std, dgsm, std / root,
        stats["abs"].std() / root, std / np.sqrt(2 * max(count - 1, 1)), stats["sq"].std() / root,
        share, variance_bound, bound, stats["y"].mean, output_var,
        selection.input.element_labels(), selection.output.element_labels(), method, batch,
        n_batches, warnings, provenance)
