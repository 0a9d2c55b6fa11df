"""Variance-based (Sobol) sensitivity indices: first order S1 and total ST, with intervals.

For independent inputs, uniform on a box, ``S1_ij = Var(E[f_i | x_j]) / Var f_i`` is the share
of the variance of output ``i`` that input ``j`` explains alone, and ``ST_ij`` the share it is
involved in, interactions included (Sobol 1993; Homma & Saltelli 1996).

Design (Saltelli 2010): two N x n matrices ``A`` and ``B`` from ONE scrambled Sobol sequence of
dimension 2n (``scipy.stats.qmc.Sobol``), and for every input ``j`` the matrix ``A_B^(j)``: ``A``
with column ``j`` taken from ``B``. That is N (n + 2) model evaluations; inputs whose bounds have
``low == high`` are held there and cost nothing. The model is evaluated (forward pass only) in
fixed-size batches of those rows, built batch by batch, through one traced function, with
progress and cancel between batches. The outputs go to ``scipy.stats.sobol_indices``, which
implements Saltelli 2010's first-order and Jansen 1999's total-effect estimators.

Intervals: the N rows of ``(A, B, A_B)`` are resampled with replacement (``scipy.stats.
bootstrap``) and the indices recomputed by the same ``scipy.stats.sobol_indices``: the
resamples are stacked along its output axis, so one call handles a batch of them. The half-
width reported is ``z_0.975 x`` the bootstrap standard error, as SALib's ``S1_conf``/``ST_conf``.

Convergence: the first N/16, N/8, ..., N rows of a Sobol sequence are themselves balanced
designs, so the indices and their half-widths are also computed on those prefixes of the same
evaluations, at no extra model cost, to show whether N is enough.
"""

from __future__ import annotations

import warnings as _warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._tf import tf
from ..errors import JacguiError, JacobianTooLargeError
from ..finite_diff import batched_function
from ..handle import ModelHandle
from ..job import DEFAULT_MEMORY_BUDGET, CancelToken, ProgressCallback
from ..process.dispatch import isolated_operation
from ._common import Steps, prepare_native, rows_per_chunk, whole_number
from .global_sensitivity import Z_95
from .sampling import check_bounds, unit_sample

#: Bootstrap replicates by default: standard errors to about 3 % (1 / sqrt(2 R)).
DEFAULT_SOBOL_RESAMPLES = 500
#: Prefix designs of the convergence view: N / 2^k for k = 4, ..., 0.
CONVERGENCE_HALVINGS = 4
#: The smallest N (and smallest convergence prefix) accepted.
MIN_SAMPLES = 8


@dataclass(frozen=True)
class SobolConvergence:
    """The indices on prefixes of the design: ``[k]`` uses the first ``n_samples[k]`` rows.

    Arrays are ``(K,)`` for ``n_samples`` and ``(K, m, n)`` for the rest.
    """

    n_samples: np.ndarray
    first_order: np.ndarray
    first_order_conf: np.ndarray
    total_order: np.ndarray
    total_order_conf: np.ndarray


@dataclass(frozen=True)
class SobolIndices:
    """First-order and total Sobol indices of every output against every input element.

    Attributes
    ----------
    first_order, total_order : ndarray (m, n)
        S1 and ST. Sampling noise can make S1 slightly negative, or above ST, for inputs
        that hardly matter; both are reported as estimated.
    first_order_conf, total_order_conf : ndarray (m, n)
        Half-widths of the 95 % bootstrap intervals (``1.96 x`` the bootstrap standard error).
    output_mean, output_var : ndarray (m,)
        Mean and variance of each output over ``A`` and ``B``.
    n_samples : int
        N, rows of ``A`` (a power of 2).
    evaluations : int
        Model evaluations: N (2 + number of inputs that vary).
    """

    first_order: np.ndarray
    first_order_conf: np.ndarray
    total_order: np.ndarray
    total_order_conf: np.ndarray
    output_mean: np.ndarray
    output_var: np.ndarray
    convergence: SobolConvergence
    input_labels: tuple[str, ...]
    output_labels: tuple[str, ...]
    bounds: np.ndarray
    n_samples: int
    evaluations: int
    seed: int | None
    n_resamples: int
    batch_size: int
    n_batches: int
    dtype: str
    confidence_level: float = 0.95
    sampling: str = "sobol"
    warnings: tuple[str, ...] = ()
    provenance: dict[str, Any] = field(default_factory=dict, compare=False)

    def ranked(self, row: int) -> list[tuple[str, float, float, float, float]]:
        """``(label, S1, S1_conf, ST, ST_conf)`` of output ``row``, largest ST first."""
        order = np.argsort(-self.total_order[row], kind="stable")
        return [(self.input_labels[j], float(self.first_order[row, j]),
                 float(self.first_order_conf[row, j]), float(self.total_order[row, j]),
                 float(self.total_order_conf[row, j])) for j in order]

    def summary_lines(self, top: int = 5, outputs: int = 3) -> list[str]:
        """A readable summary: the inputs with the largest ST for the first outputs."""
        m, n = self.first_order.shape
        lines = [f"Sobol indices: {m} output(s) x {n} input(s), N = {self.n_samples} "
                 f"(scrambled Sobol, seed {self.seed}), {self.evaluations} model evaluations, "
                 f"{self.confidence_level:.0%} intervals from {self.n_resamples} bootstrap "
                 "replicates"]
        for i in range(min(m, outputs)):
            lines.append(f"{self.output_labels[i]} (variance {self.output_var[i]:.6g}):")
            for label, s1, s1c, st, stc in self.ranked(i)[:top]:
                lines.append(f"  {label}: S1 = {s1:.4f} ± {s1c:.4f}, ST = {st:.4f} ± {stc:.4f}")
        if m > outputs:
            lines.append(f"... and {m - outputs} more output(s) in the saved file")
        return lines + [f"warning: {w}" for w in self.warnings]

    def to_rows(self) -> list[list[Any]]:
        """One labelled row per (output, input): S1, S1_conf, ST, ST_conf."""
        rows: list[list[Any]] = [["output", "input", "S1", "S1_conf", "ST", "ST_conf"]]
        for i, out in enumerate(self.output_labels):
            for j, inp in enumerate(self.input_labels):
                rows.append([out, inp, self.first_order[i, j], self.first_order_conf[i, j],
                             self.total_order[i, j], self.total_order_conf[i, j]])
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Arrays (S1, S1_conf, ST, ST_conf of shape (m, n), convergence_*) and metadata."""
        c = self.convergence
        return {
            "analysis": "sobol", "primary": "ST", "S1": self.first_order,
            "S1_conf": self.first_order_conf, "ST": self.total_order,
            "ST_conf": self.total_order_conf, "input_labels": list(self.input_labels),
            "output_labels": list(self.output_labels), "n_samples": self.n_samples,
            "evaluations": self.evaluations, "output_mean": self.output_mean,
            "output_var": self.output_var, "bounds": self.bounds, "sampling": self.sampling,
            "seed": self.seed, "n_resamples": self.n_resamples,
            "confidence_level": self.confidence_level, "dtype": self.dtype,
            "batch_size": self.batch_size, "convergence_n_samples": c.n_samples,
            "convergence_S1": c.first_order, "convergence_S1_conf": c.first_order_conf,
            "convergence_ST": c.total_order, "convergence_ST_conf": c.total_order_conf,
            "warnings": list(self.warnings), **self.provenance,
        }


@isolated_operation("sobol")
def sobol_indices(model: ModelHandle, bounds: Any, n_samples: int, *, input: str | None = None,
                  output: str | None = None, fixed: Any = None, seed: int | None = 0,
                  n_resamples: int = DEFAULT_SOBOL_RESAMPLES,
                  memory_budget: int = DEFAULT_MEMORY_BUDGET, batch_size: int | None = None,
                  convergence: bool = True, progress: ProgressCallback | None = None,
                  cancel: CancelToken | None = None,
                  provenance: dict[str, Any] | None = None) -> SobolIndices:
    """First-order and total Sobol indices of ``output`` against every element of ``input``.

    Parameters
    ----------
    model : ModelHandle
    bounds : array (n, 2)
        ``[low, high]`` of every element of the input; the elements are independent and
        uniform there. ``low == high`` holds an element fixed (its indices are 0).
    n_samples : int
        N, a power of 2 (at least 8): the design costs N (n + 2) model evaluations.
    input, output : str, optional
        Which input is sampled and which output is analysed (the first of each by default).
    fixed : mapping, optional
        Values of the other inputs (default point otherwise).
    seed : int, optional
        Seeds the design and the bootstrap; the same seed gives the same result.
    n_resamples : int
        Bootstrap replicates for the intervals.
    memory_budget : int
        Bytes: the stored outputs, one batch of the model and the bootstrap must fit in it.
    batch_size : int, optional
        Rows per model call (default: from the memory budget).
    convergence : bool
        Also estimate on the prefixes N/16, ..., N/2 (about doubles the bootstrap's time, and
        costs no model evaluation); otherwise the convergence view holds N only.
    progress, cancel
        Reported / checked between batches and between the convergence steps.

    Returns
    -------
    SobolIndices
    """
    prepared = prepare_native(model, fixed, input, output)
    selection = prepared.selection
    n, m = selection.n, selection.m
    box = check_bounds(bounds, n)
    base = _check_size(n_samples)
    n_resamples = whole_number(n_resamples, "n_resamples", 2)
    varying = np.flatnonzero(box[:, 1] > box[:, 0])
    if varying.size == 0:
        raise JacguiError("every input has low == high in the bounds: nothing varies")
    evaluations = base * (2 + varying.size)
    stored = evaluations * m * 8
    if stored > memory_budget // 2:
        raise JacobianTooLargeError(
            f"the Sobol design keeps {evaluations} x {m} outputs ({stored / 2**20:.0f} MiB), "
            f"more than half the memory budget of {memory_budget / 2**20:.0f} MiB; lower N, "
            "choose one output, or raise the budget")
    rng = np.random.default_rng(seed)
    a, b = _design(box, varying, base, rng)
    chunk = batch_size or rows_per_chunk(prepared, memory_budget // 4, "the Sobol design")
    chunk = int(min(chunk, evaluations))
    n_batches = -(-evaluations // chunk)
    halvings = CONVERGENCE_HALVINGS if convergence else 0
    sizes = [base >> k for k in range(halvings, -1, -1) if base >> k >= MIN_SAMPLES]
    steps = Steps(n_batches + len(sizes), progress, cancel)
    outputs = _evaluate(model, prepared, a, b, varying, chunk, steps)
    bad = ~np.all(np.isfinite(outputs), axis=1)
    if bad.any():
        first = _design_rows(a, b, varying, np.flatnonzero(bad)[:1], base)[0]
        raise JacguiError(f"the model gave NaN/Inf at {int(bad.sum())} of {evaluations} design "
                          f"points (first at {np.array2string(first[:6], precision=4)}"
                          f"{' ...' if n > 6 else ''}); shrink the bounds")
    f_a, f_b = outputs[:base].T, outputs[base:2 * base].T
    f_ab = outputs[2 * base:].reshape(varying.size, base, m).transpose(0, 2, 1)
    levels = []
    for size in sizes:
        steps.check()
        levels.append(_indices_with_errors(f_a[:, :size], f_b[:, :size], f_ab[..., :size],
                                           int(n_resamples), rng, memory_budget // 4))
        steps.advance()
    spread = [np.zeros((len(sizes), m, n)) for _ in range(4)]
    for level, values in enumerate(levels):
        for target, value in zip(spread, values, strict=True):
            target[level][:, varying] = value
    variance = np.var(np.concatenate([f_a, f_b], axis=1), axis=1)
    notes = [*prepared.notes]
    if (constant := np.flatnonzero(variance == 0)).size:
        notes.append(f"{constant.size} output(s) are constant over the box (e.g. "
                     f"{selection.output.element_labels()[constant[0]]}): their indices are 0")
    return SobolIndices(
        first_order=spread[0][-1], first_order_conf=spread[1][-1], total_order=spread[2][-1],
        total_order_conf=spread[3][-1],
        output_mean=np.mean(np.concatenate([f_a, f_b], axis=1), axis=1), output_var=variance,
        convergence=SobolConvergence(np.array(sizes), *spread),
        input_labels=selection.input.element_labels(),
        output_labels=selection.output.element_labels(), bounds=box, n_samples=base,
        evaluations=evaluations, seed=seed, n_resamples=int(n_resamples), batch_size=chunk,
        n_batches=n_batches, dtype=selection.dtype, warnings=tuple(notes),
        provenance=dict(provenance or {}))


def _check_size(n_samples: Any) -> int:
    base = whole_number(n_samples, "N", MIN_SAMPLES)
    if base & (base - 1):
        lower = 1 << (base.bit_length() - 1)
        raise JacguiError(f"N must be a power of 2 (the Sobol design is balanced only then), "
                          f"got {base}; use {lower} or {2 * lower}")
    return base


def _design(box: np.ndarray, varying: np.ndarray, base: int,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``A`` and ``B`` (N x n), the varying columns from one Sobol sequence of 2k dimensions."""
    k = varying.size
    unit = unit_sample(2 * k, base, "sobol", rng)
    low, width = box[varying, 0], box[varying, 1] - box[varying, 0]
    a = np.tile(box[:, 0], (base, 1))
    b = a.copy()
    a[:, varying] = low + unit[:, :k] * width
    b[:, varying] = low + unit[:, k:] * width
    return a, b


def _design_rows(a: np.ndarray, b: np.ndarray, varying: np.ndarray, index: np.ndarray,
                 base: int) -> np.ndarray:
    """Rows ``index`` of the stacked design ``[A; B; A_B^(1); ...; A_B^(k)]``."""
    block, row = np.divmod(index, base)
    rows = np.where((block == 1)[:, None], b[row], a[row])
    mixed = np.flatnonzero(block >= 2)
    columns = varying[block[mixed] - 2]
    rows[mixed, columns] = b[row[mixed], columns]
    return rows


def _evaluate(model: ModelHandle, prepared: Any, a: np.ndarray, b: np.ndarray,
              varying: np.ndarray, chunk: int, steps: Steps) -> np.ndarray:
    """``f`` on every design row, in batches of ``chunk`` (the last one padded)."""
    selection, others = prepared.selection, prepared.held
    base = a.shape[0]
    total = base * (2 + varying.size)
    function = batched_function(selection, others, prepared.traces)
    outputs = np.empty((total, selection.m))
    for start in range(0, total, chunk):
        steps.check()
        index = np.arange(start, min(start + chunk, total))
        rows = _design_rows(a, b, varying, index, base)
        if index.size < chunk:  # one batch shape for every call
            rows = np.concatenate([rows, np.repeat(rows[-1:], chunk - index.size, axis=0)])
        values = function(tf().constant(rows, selection.dtype), others).numpy()
        outputs[index] = values[:index.size]
        steps.advance()
    return outputs


def _indices(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> tuple[np.ndarray, ...]:
    """S1 and ST by scipy, of shapes (s, k) from ``f_A, f_B`` (s, N) and ``f_AB`` (k, s, N)."""
    from scipy import stats

    result = stats.sobol_indices(func={"f_A": f_a, "f_B": f_b, "f_AB": f_ab}, n=f_a.shape[1])
    shape = (f_a.shape[0], f_ab.shape[0])  # scipy squeezes length-1 axes away
    return np.reshape(result.first_order, shape), np.reshape(result.total_order, shape)


def _indices_with_errors(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, n_resamples: int,
                         rng: np.random.Generator, budget: int) -> tuple[np.ndarray, ...]:
    """``(S1, S1_conf, ST, ST_conf)``, each (m, k), by scipy with a bootstrap over rows."""
    from scipy import stats

    m, base = f_a.shape
    k = f_ab.shape[0]
    first, total = _indices(f_a, f_b, f_ab)

    def statistic(rows: np.ndarray, axis: int = -1) -> np.ndarray:
        # rows: (batch, N) resampled row numbers; each resample becomes m more "outputs".
        count = rows.shape[0]
        s1, st = _indices(f_a[:, rows].reshape(m * count, base),
                          f_b[:, rows].reshape(m * count, base),
                          f_ab[:, :, rows].reshape(k, m * count, base))
        return np.stack([s1.reshape(m, count, k), st.reshape(m, count, k)]).transpose(0, 1, 3, 2)

    # scipy makes about four copies of the stacked outputs per resample.
    per_resample = 4 * (k + 2) * m * base * 8
    batch = int(max(1, min(n_resamples, budget // per_resample)))
    with _warnings.catch_warnings():
        # A constant output gives identical replicates; its zero spread is the right answer.
        _warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.bootstrap((np.arange(base),), statistic, vectorized=True,
                                 method="percentile", n_resamples=n_resamples, batch=batch,
                                 rng=rng)
    error = np.nan_to_num(result.standard_error, nan=0.0)
    return first, Z_95 * error[0], total, Z_95 * error[1]
