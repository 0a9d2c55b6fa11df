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

Every statistic has a bootstrap standard error ``se_*`` and a 95 % half-width ``conf_*``
(:mod:`.streamed_bootstrap`: Poisson weights drawn batch by batch). They treat the points as
independent draws, which is right for uniform sampling and conservative for a Latin hypercube
or a Sobol sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._tf import tf
from ..errors import JacguiError
from ..handle import ModelHandle
from ..job import DEFAULT_MEMORY_BUDGET, CancelToken, ProgressCallback
from ..process.dispatch import isolated_operation
from ._common import Steps, prepare_native, whole_number
from .batched_jacobian import batch_jacobian_function, batch_size_for
from .sampling import check_bounds
from .streamed_bootstrap import (
    MIN_RESAMPLES,
    PoissonBootstrap,
    resamples_that_fit,
    standard_errors,
)

AGGREGATES = ("mean", "mean-abs", "std", "dgsm")
#: Bootstrap replicates by default: standard errors to about 3 % (1 / sqrt(2 R)).
DEFAULT_RESAMPLES = 500
#: z of the two-sided 95 % normal interval (scipy.stats.norm.ppf(0.975)).
Z_95 = 1.959963984540054
# The statistics that get a standard error and a 95 % half-width, by field suffix.
_STATISTICS = ("mean", "mean_abs", "std", "dgsm", "dgsm_share", "dgsm_variance_bound",
               "total_index_bound")


@dataclass(frozen=True)
class AggregateTable:
    """One aggregate matrix with its 95 % half-widths, labels and provenance (for export).

    ``extra`` holds further (m, n) statistics exported beside it, each followed by its
    ``<name>_conf`` (for ``dgsm``: ``dgsm_share``, ``dgsm_variance_bound``,
    ``total_index_bound``).
    """

    name: str
    matrix: np.ndarray
    conf: np.ndarray
    standard_error: np.ndarray
    input_labels: tuple[str, ...]
    output_labels: tuple[str, ...]
    metadata: dict[str, Any]
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def to_rows(self) -> list[list[Any]]:
        """Long table: one labelled row per (output, input) with every column."""
        columns = {self.name: self.matrix, f"{self.name}_conf": self.conf,
                   f"{self.name}_se": self.standard_error, **self.extra}
        rows: list[list[Any]] = [["output", "input", *columns]]
        for i, out in enumerate(self.output_labels):
            for j, inp in enumerate(self.input_labels):
                rows.append([out, inp, *(values[i, j] for values in columns.values())])
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Arrays and metadata; ``primary`` names the main array, ``conf`` its half-widths."""
        return {"analysis": "global", "aggregate": self.name, "primary": "matrix",
                "matrix": self.matrix, "conf": self.conf, "standard_error": self.standard_error,
                **self.extra, "input_labels": list(self.input_labels),
                "output_labels": list(self.output_labels), **self.metadata}


@dataclass(frozen=True)
class GlobalSensitivity:
    """Statistics of ``J(x)`` over N points; every matrix is (m, n), float64.

    ``se_<statistic>`` is the bootstrap standard error and ``conf_<statistic>`` the half-width
    of its 95 % interval (``1.96 se``); both are NaN when the bootstrap was skipped
    (``n_resamples == 0``, see ``warnings``). The bound statistics and their errors are
    ``None`` without bounds.
    """

    n_samples: int
    mean: np.ndarray
    mean_abs: np.ndarray
    std: np.ndarray
    dgsm: np.ndarray
    dgsm_share: np.ndarray
    dgsm_variance_bound: np.ndarray | None
    total_index_bound: np.ndarray | None
    se_mean: np.ndarray
    se_mean_abs: np.ndarray
    se_std: np.ndarray
    se_dgsm: np.ndarray
    se_dgsm_share: np.ndarray
    se_dgsm_variance_bound: np.ndarray | None
    se_total_index_bound: np.ndarray | None
    conf_mean: np.ndarray
    conf_mean_abs: np.ndarray
    conf_std: np.ndarray
    conf_dgsm: np.ndarray
    conf_dgsm_share: np.ndarray
    conf_dgsm_variance_bound: np.ndarray | None
    conf_total_index_bound: np.ndarray | None
    output_mean: np.ndarray
    output_var: np.ndarray
    input_labels: tuple[str, ...]
    output_labels: tuple[str, ...]
    method: str
    batch_size: int
    n_batches: int
    n_resamples: int
    confidence_level: float = 0.95
    warnings: tuple[str, ...] = ()
    provenance: dict[str, Any] = field(default_factory=dict, compare=False)

    def aggregate(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(matrix, 95 % half-width)`` for ``"mean"``, ``"mean-abs"``, ``"std"``, ``"dgsm"``."""
        if name not in AGGREGATES:
            raise JacguiError(f"unknown aggregate {name!r}; use one of {', '.join(AGGREGATES)}")
        key = name.replace("-", "_")
        return getattr(self, key), getattr(self, f"conf_{key}")

    def table(self, name: str) -> AggregateTable:
        """An exportable table of one aggregate, with N, method and provenance.

        For ``"dgsm"`` it also carries ``dgsm_share`` and, with bounds, ``dgsm_variance_bound``
        and ``total_index_bound``, each with its half-widths.
        """
        matrix, conf = self.aggregate(name)
        key = name.replace("-", "_")
        meta = {"n_samples": self.n_samples, "method": self.method,
                "batch_size": self.batch_size, "n_resamples": self.n_resamples,
                "confidence_level": self.confidence_level, "warnings": list(self.warnings),
                **self.provenance}
        extra: dict[str, np.ndarray] = {}
        if name == "dgsm":
            for stat in ("dgsm_share", "dgsm_variance_bound", "total_index_bound"):
                if getattr(self, stat) is not None:
                    extra[stat] = getattr(self, stat)
                    extra[f"{stat}_conf"] = getattr(self, f"conf_{stat}")
        return AggregateTable(name, matrix, conf, getattr(self, f"se_{key}"), self.input_labels,
                              self.output_labels, meta, extra)

    def to_rows(self) -> list[list[Any]]:
        """Long table: one row per cell with every statistic and its 95 % half-width."""
        present = [s for s in _STATISTICS if getattr(self, s) is not None]
        header = ["output", "input"]
        for stat in present:
            header += [stat, f"{stat}_conf"]
        rows: list[list[Any]] = [header]
        for i, out in enumerate(self.output_labels):
            for j, inp in enumerate(self.input_labels):
                row: list[Any] = [out, inp]
                for stat in present:
                    row += [getattr(self, stat)[i, j], getattr(self, f"conf_{stat}")[i, j]]
                rows.append(row)
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Arrays and metadata; ``primary`` names the main array."""
        doc: dict[str, Any] = {k: getattr(self, k) for k in (
            "n_samples", "output_mean", "output_var", "method", "batch_size", "n_batches",
            "n_resamples", "confidence_level")}
        for stat in _STATISTICS:
            if getattr(self, stat) is not None:
                doc.update({stat: getattr(self, stat), f"se_{stat}": getattr(self, f"se_{stat}"),
                            f"conf_{stat}": getattr(self, f"conf_{stat}")})
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


@isolated_operation("global")
def global_sensitivity(model: ModelHandle, points: Any, *, input: str | None = None,
                       output: str | None = None, fixed: Any = None, bounds: Any = None,
                       memory_budget: int = DEFAULT_MEMORY_BUDGET,
                       batch_size: int | None = None, n_resamples: int = DEFAULT_RESAMPLES,
                       seed: int | None = 0, progress: ProgressCallback | None = None,
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
        Bytes; sets the batch size (unless ``batch_size`` is given) and, with a quarter of it,
        how many bootstrap replicates fit.
    n_resamples : int
        Bootstrap replicates (0 skips the intervals).
    seed : int, optional
        Seed of the bootstrap weights (the same seed gives the same intervals).
    progress, cancel
        Reported / checked between batches; cancelling raises ``JacobianCancelled``.
    provenance : dict, optional
        Carried into exports (e.g. ``{"sampling": "lhs", "seed": 1}``).
    """
    problem = prepare_native(model, fixed, input, output)
    selection, others = problem.selection, problem.held
    n, m = selection.n, selection.m
    x = np.asarray(points, dtype=np.float64)
    if x.ndim < 1 or x.size == 0 or x.size % n or (x.ndim > 1 and x[0].size != n):
        raise JacguiError(f"points must have shape (N, {n}) or (N, *{selection.input.shape}), "
                          f"got {x.shape}")
    x = x.reshape(-1, n)
    if not np.all(np.isfinite(x)):
        raise JacguiError(f"{int(np.sum(~np.all(np.isfinite(x), axis=1)))} point(s) hold NaN/Inf")
    n_resamples = whole_number(n_resamples, "n_resamples", 0)
    box = None if bounds is None else check_bounds(bounds, n)
    warnings: list[str] = []
    resamples = resamples_that_fit(int(n_resamples), m * n, memory_budget // 4)
    if n_resamples and (resamples < MIN_RESAMPLES or x.shape[0] < 2):
        warnings.append(_no_bootstrap_reason(x.shape[0], m, n, memory_budget))
        resamples = 0
    boot = (PoissonBootstrap(m, n, resamples, np.random.default_rng(seed)) if resamples
            else None)
    reverse = m <= n
    elements = problem.activation_elements()
    budget = memory_budget - (resamples * m * n * 32)
    batch = batch_size or batch_size_for(m, n, elements, reverse, selection.dtype, budget)
    batch = int(min(batch, x.shape[0]))
    function = batch_jacobian_function(problem, reverse)
    n_batches = -(-x.shape[0] // batch)
    stats = {key: _Moments() for key in ("j", "abs", "sq", "y")}
    connected, bad = True, 0
    steps = Steps(n_batches, progress, cancel)
    for index in range(n_batches):
        steps.check()
        chunk = x[index * batch:(index + 1) * batch]
        real = chunk.shape[0]
        if real < batch:  # pad to the traced batch size; the copies are dropped below
            chunk = np.concatenate([chunk, np.repeat(chunk[-1:], batch - real, axis=0)])
        y, jac, linked = function(tf().constant(chunk, selection.dtype), others)
        connected = connected and bool(linked)
        jac = jac.numpy()[:real].astype(np.float64)
        y = y.numpy()[:real].astype(np.float64)
        bad += int(np.sum(~np.all(np.isfinite(jac.reshape(real, -1)), axis=1)))
        stats["j"].add(jac)
        stats["abs"].add(np.abs(jac))
        stats["sq"].add(np.square(jac))
        stats["y"].add(y)
        if boot is not None:
            boot.add(jac, y)
        steps.advance()
    if not connected:
        from .. import dependence

        warnings.append(dependence.explain_disconnected(selection, x[0], others,
                                                        problem.traces, problem.facts().suspects))
    if bad:
        warnings.append(f"{bad} of {x.shape[0]} samples gave NaN/Inf Jacobians")
    widths = None if box is None else box[:, 1] - box[:, 0]
    errors = (standard_errors(boot.replicates(widths)) if boot is not None else {})
    point = _estimates(stats, widths)
    fields: dict[str, Any] = dict(point)
    for stat in _STATISTICS:
        if point.get(stat) is None:
            fields[f"se_{stat}"] = fields[f"conf_{stat}"] = None
            continue
        se = errors.get(stat, np.full((m, n), np.nan))
        fields[f"se_{stat}"], fields[f"conf_{stat}"] = se, Z_95 * se
    return GlobalSensitivity(
        n_samples=stats["j"].count, **fields,
        input_labels=selection.input.element_labels(),
        output_labels=selection.output.element_labels(),
        method=function.method, batch_size=batch, n_batches=n_batches,
        n_resamples=resamples, warnings=tuple(warnings), provenance=dict(provenance or {}))


def _no_bootstrap_reason(count: int, m: int, n: int, budget: int) -> str:
    if count < 2:
        return "one point gives no spread: no intervals"
    need = MIN_RESAMPLES * m * n * 32
    return (f"{MIN_RESAMPLES} bootstrap replicates of {m}x{n} statistics need "
            f"{need / 2**20:.0f} MiB, more than a quarter of the memory budget "
            f"({budget / 2**20:.0f} MiB): no intervals; raise the budget")


def _estimates(stats: dict[str, _Moments], widths: np.ndarray | None) -> dict[str, Any]:
    dgsm = stats["sq"].mean
    output_var = np.square(stats["y"].std())
    with np.errstate(divide="ignore", invalid="ignore"):
        total = dgsm.sum(axis=1, keepdims=True)
        share = np.where(total > 0, dgsm / total, 0.0)
        variance_bound = bound = None
        if widths is not None:
            variance_bound = dgsm * np.square(widths)[None, :] / np.pi**2
            bound = np.where(output_var[:, None] > 0, variance_bound / output_var[:, None], np.nan)
    return {"mean": stats["j"].mean, "mean_abs": stats["abs"].mean, "std": stats["j"].std(),
            "dgsm": dgsm, "dgsm_share": share, "dgsm_variance_bound": variance_bound,
            "total_index_bound": bound, "output_mean": stats["y"].mean, "output_var": output_var}
