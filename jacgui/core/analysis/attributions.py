"""Attributions of one output to every input element: integrated gradients and SmoothGrad.

Both are averages of gradients of ONE output element over a batch of points, so they run as
batches of reverse-mode gradients: one cached ``tf.function`` takes ``(B, n)`` points and
returns the ``(B, n)`` gradients of output ``row`` (the gradient of the batch's sum, since
samples are independent in inference mode), in chunks sized by the memory budget, with progress
and cancel between chunks. No new trace per chunk or per row: both are traced arguments.

- **Integrated gradients** (Sundararajan et al. 2017): ``a_j = (x_j - x'_j) * int_0^1
  d f_i / d x_j (x' + t (x - x')) dt`` from a baseline ``x'``. The integral is taken with K
  Gauss-Legendre nodes (exact for polynomials of degree 2K - 1) or the K-point trapezoid rule.
  By the fundamental theorem of calculus ``sum_j a_j = f_i(x) - f_i(x')`` (completeness);
  the difference, the **completeness gap**, measures the quadrature (and round-off) error.
- **SmoothGrad** (Smilkov et al. 2017): the mean gradient over N noisy copies
  ``x + N(0, sigma^2)``, ``sigma = noise x (max - min of the input at the point)``, with the
  mean absolute gradient and the standard error of the mean beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._tf import tf
from ..errors import JacguiError
from ..handle import ModelHandle
from ..job import DEFAULT_MEMORY_BUDGET, CancelToken, ProgressCallback
from ..problem import Problem
from ..process.dispatch import isolated_operation
from ..traces import traced
from ._common import (
    Steps,
    prepare_native,
    resolve_index,
    rows_per_chunk,
    whole_number,
)

BASELINES = ("zeros", "blur")
RULES = ("gauss-legendre", "trapezoid")
#: Blur of the "blur" baseline: Gaussian sigma as a fraction of each blurred axis's length.
BLUR_FRACTION = 0.1


@dataclass(frozen=True)
class IntegratedGradients:
    """Integrated gradients of output ``row``; arrays are shaped like the input.

    Attributes
    ----------
    attributions : ndarray
        ``(x - x') * mean path gradient``; they sum to ``f(x) - f(x')`` up to the gap.
    completeness_gap : float
        ``sum(attributions) - (f_x - f_baseline)``.
    relative_gap : float
        ``|completeness_gap| / |f_x - f_baseline|`` (NaN when the two values are equal).
    """

    attributions: np.ndarray
    point: np.ndarray
    baseline: np.ndarray
    baseline_kind: str
    f_x: float
    f_baseline: float
    completeness_gap: float
    relative_gap: float
    row: int
    output_label: str
    input_name: str
    input_labels: tuple[str, ...]
    steps: int
    rule: str
    dtype: str
    batch_size: int
    n_batches: int
    warnings: tuple[str, ...] = ()

    @property
    def map_values(self) -> np.ndarray:
        """The map to draw: the attributions (signed)."""
        return self.attributions

    @property
    def map_name(self) -> str:
        """What :attr:`map_values` shows."""
        return "integrated gradients"

    def summary_lines(self, top: int = 5) -> list[str]:
        """A readable summary: values, completeness and the largest attributions."""
        lines = [f"integrated gradients of {self.output_label} from a {self.baseline_kind} "
                 f"baseline, {self.steps} {self.rule} steps ({self.dtype})",
                 f"f(x) = {self.f_x:.6g}, f(baseline) = {self.f_baseline:.6g}, "
                 f"sum of attributions = {float(self.attributions.sum()):.6g}",
                 f"completeness gap = {self.completeness_gap:.3g} "
                 f"({self.relative_gap:.2%} of f(x) - f(baseline))",
                 "largest |attribution|:"]
        lines += _top_lines(self.attributions, self.input_labels, top)
        return lines + [f"warning: {w}" for w in self.warnings]

    def to_rows(self) -> list[list[Any]]:
        """One row per input element: label, x, baseline, attribution."""
        rows: list[list[Any]] = [["input", "x", "baseline", "attribution"]]
        for label, x, b, a in zip(self.input_labels, self.point.ravel(), self.baseline.ravel(),
                                  self.attributions.ravel(), strict=True):
            rows.append([label, x, b, a])
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Arrays (shaped like the input) and metadata; ``primary`` is the attributions."""
        return {"analysis": "integrated-gradients", "primary": "attributions",
                "attributions": self.attributions, "point": self.point,
                "baseline": self.baseline, "baseline_kind": self.baseline_kind,
                "f_x": self.f_x, "f_baseline": self.f_baseline,
                "completeness_gap": self.completeness_gap, "relative_gap": self.relative_gap,
                "row": self.row, "output_label": self.output_label, "input": self.input_name,
                "input_labels": list(self.input_labels), "steps": self.steps,
                "rule": self.rule, "dtype": self.dtype, "warnings": list(self.warnings)}


@dataclass(frozen=True)
class SmoothGrad:
    """SmoothGrad of output ``row``; arrays are shaped like the input.

    Attributes
    ----------
    mean_gradient : ndarray
        The mean gradient over the noisy copies.
    mean_abs_gradient : ndarray
        The mean of ``|gradient|`` (no cancellation between copies).
    standard_error : ndarray
        Standard error of ``mean_gradient`` (``std / sqrt(N)``): is N enough?
    sigma : float
        The noise's standard deviation, ``noise x (max - min)`` of the input at the point.
    """

    mean_gradient: np.ndarray
    mean_abs_gradient: np.ndarray
    standard_error: np.ndarray
    point: np.ndarray
    sigma: float
    noise: float
    samples: int
    seed: int | None
    row: int
    output_label: str
    input_name: str
    input_labels: tuple[str, ...]
    dtype: str
    batch_size: int
    n_batches: int
    warnings: tuple[str, ...] = ()

    @property
    def map_values(self) -> np.ndarray:
        """The map to draw: the mean gradient (signed)."""
        return self.mean_gradient

    @property
    def map_name(self) -> str:
        """What :attr:`map_values` shows."""
        return "SmoothGrad mean gradient"

    def summary_lines(self, top: int = 5) -> list[str]:
        """A readable summary: the noise and the largest mean gradients."""
        scale = float(np.max(np.abs(self.mean_gradient))) or 1.0
        lines = [f"SmoothGrad of {self.output_label}: {self.samples} noisy copies, "
                 f"sigma = {self.sigma:.4g} ({self.noise:g} of the input's range), seed "
                 f"{self.seed} ({self.dtype})",
                 f"largest standard error: {float(self.standard_error.max()) / scale:.2%} "
                 "of the largest |mean gradient|", "largest |mean gradient|:"]
        lines += _top_lines(self.mean_gradient, self.input_labels, top)
        return lines + [f"warning: {w}" for w in self.warnings]

    def to_rows(self) -> list[list[Any]]:
        """One row per input element: label, x, mean gradient, its standard error, mean |g|."""
        rows: list[list[Any]] = [["input", "x", "mean_gradient", "standard_error",
                                  "mean_abs_gradient"]]
        for values in zip(self.input_labels, self.point.ravel(), self.mean_gradient.ravel(),
                          self.standard_error.ravel(), self.mean_abs_gradient.ravel(),
                          strict=True):
            rows.append(list(values))
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Arrays (shaped like the input) and metadata; ``primary`` is the mean gradient."""
        return {"analysis": "smoothgrad", "primary": "mean_gradient",
                "mean_gradient": self.mean_gradient, "mean_abs_gradient": self.mean_abs_gradient,
                "standard_error": self.standard_error, "point": self.point,
                "sigma": self.sigma, "noise": self.noise, "samples": self.samples,
                "seed": self.seed, "row": self.row, "output_label": self.output_label,
                "input": self.input_name, "input_labels": list(self.input_labels),
                "dtype": self.dtype, "warnings": list(self.warnings)}


@isolated_operation("integrated_gradients")
def integrated_gradients(model: ModelHandle, point: Any = None, row: int | str = 0, *,
                         input: str | None = None, output: str | None = None,
                         baseline: Any = "zeros", steps: int = 64,
                         rule: str = "gauss-legendre",
                         memory_budget: int = DEFAULT_MEMORY_BUDGET,
                         batch_size: int | None = None, progress: ProgressCallback | None = None,
                         cancel: CancelToken | None = None) -> IntegratedGradients:
    """Integrated gradients of output element ``row`` at ``point``.

    Parameters
    ----------
    model, point, input, output
        As for :func:`jacgui.core.jacobian`; ``point`` may be an array for ``input``.
    row : int or str
        The output element, by flat index or label.
    baseline : {"zeros", "blur"} or array
        The reference input: zeros, a Gaussian blur of the point (sigma = 10 % of each axis;
        for images the height and width, not the channels), or an array of the input's shape.
    steps : int
        K, the number of gradient evaluations along the path.
    rule : {"gauss-legendre", "trapezoid"}
        The quadrature of the path integral.
    memory_budget, batch_size
        Bytes per chunk of path points / points per chunk.
    progress, cancel
        Reported / checked between chunks.

    Returns
    -------
    IntegratedGradients
    """
    prepared = prepare_native(model, point, input, output)
    i, labels = _row(prepared, row)
    if rule not in RULES:
        raise JacguiError(f"unknown integration rule {rule!r}; use one of {', '.join(RULES)}")
    steps = whole_number(steps, "steps", 2 if rule == "trapezoid" else 1)
    spec, x = prepared.selection.input, prepared.x
    reference, kind, notes = _baseline(baseline, x, spec)
    nodes, weights = _quadrature(int(steps), rule)
    path = reference[None, :] + nodes[:, None] * (x - reference)[None, :]
    chunk = _chunk(model, prepared, batch_size, memory_budget, len(nodes))
    runner = _GradientRunner(model, prepared, i, Steps(1 + -(-len(nodes) // chunk), progress,
                                                        cancel))
    ends, _ = runner.run(np.stack([x, reference]))
    total = np.zeros(x.size)
    for start in range(0, len(nodes), chunk):
        _, gradients = runner.run(path[start:start + chunk])
        total += weights[start:start + chunk] @ gradients
    attributions = (x - reference) * total
    f_x, f_baseline = float(ends[0]), float(ends[1])
    gap = float(attributions.sum()) - (f_x - f_baseline)
    change = abs(f_x - f_baseline)
    relative = abs(gap) / change if change > 0 else float("nan")
    if change == 0:
        notes.append("f(x) equals f(baseline): completeness cannot be checked")
    return IntegratedGradients(
        attributions.reshape(spec.shape), x.reshape(spec.shape), reference.reshape(spec.shape),
        kind, f_x, f_baseline, gap, relative, i, labels[i], spec.name,
        spec.element_labels(), int(steps), rule, prepared.dtype, chunk, runner.steps.total - 1,
        tuple(notes + runner.notes))


@isolated_operation("smoothgrad")
def smoothgrad(model: ModelHandle, point: Any = None, row: int | str = 0, *,
               input: str | None = None, output: str | None = None, samples: int = 50,
               noise: float = 0.15, seed: int | None = 0,
               memory_budget: int = DEFAULT_MEMORY_BUDGET, batch_size: int | None = None,
               progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None) -> SmoothGrad:
    """SmoothGrad of output element ``row`` at ``point``.

    Parameters
    ----------
    model, point, input, output, row
        As for :func:`integrated_gradients`.
    samples : int
        N, the number of noisy copies.
    noise : float
        ``sigma`` as a fraction of the input's range (max - min) at the point.
    seed : int, optional
        The same seed draws the same noise.
    memory_budget, batch_size, progress, cancel
        As for :func:`integrated_gradients`.

    Returns
    -------
    SmoothGrad
    """
    prepared = prepare_native(model, point, input, output)
    i, labels = _row(prepared, row)
    samples = whole_number(samples, "samples", 1)
    try:
        noise = float(noise)
    except (TypeError, ValueError):
        noise = float("nan")
    if not (np.isfinite(noise) and noise >= 0):
        raise JacguiError(f"noise must be a number >= 0, got {noise}")
    spec, x = prepared.selection.input, prepared.x
    sigma = float(noise) * float(x.max() - x.min())
    notes = []
    if sigma == 0 and noise > 0:
        notes.append("the input is constant at the point, so sigma = noise x range is 0: "
                     "SmoothGrad is the plain gradient here")
    chunk = _chunk(model, prepared, batch_size, memory_budget, samples)
    runner = _GradientRunner(model, prepared, i, Steps(-(-samples // chunk), progress, cancel))
    rng = np.random.default_rng(seed)
    shift = total = total_abs = total_sq = None
    for start in range(0, samples, chunk):
        count = min(chunk, samples - start)
        _, gradients = runner.run(x[None, :] + sigma * rng.standard_normal((count, x.size)))
        if shift is None:  # deviations from the first gradient: a constant one has zero spread
            shift, total, total_abs, total_sq = (gradients[0], np.zeros(x.size),
                                                 np.zeros(x.size), np.zeros(x.size))
        deviation = gradients - shift
        total += deviation.sum(axis=0)
        total_sq += np.square(deviation).sum(axis=0)
        total_abs += np.abs(gradients).sum(axis=0)
    mean_deviation = total / samples
    variance = np.maximum(total_sq - total * mean_deviation, 0.0) / max(samples - 1, 1)
    error = np.sqrt(variance / samples)
    return SmoothGrad(
        (shift + mean_deviation).reshape(spec.shape), (total_abs / samples).reshape(spec.shape),
        error.reshape(spec.shape), x.reshape(spec.shape), sigma, float(noise), samples, seed, i,
        labels[i], spec.name, spec.element_labels(), prepared.dtype, chunk,
        runner.steps.total, tuple(notes + runner.notes))


def blurred(x: np.ndarray, shape: tuple[int, ...], is_image: bool) -> np.ndarray:
    """A Gaussian blur of ``x`` (flat) seen in ``shape``: sigma = 10 % of each blurred axis.

    An image's height and width are blurred, its channels kept apart; any other input is
    blurred along every axis, as a signal whose neighbouring elements are neighbours.
    """
    from scipy import ndimage

    image = x.reshape(shape)
    sigma = [BLUR_FRACTION * length for length in shape]
    if is_image and len(shape) == 3:
        sigma[2] = 0.0
    return ndimage.gaussian_filter(image, sigma=sigma, mode="nearest").reshape(-1)


class _GradientRunner:
    """Calls the cached batched row gradient and keeps the progress and any notes."""

    def __init__(self, model: ModelHandle, prepared: Problem, row: int, steps: Steps) -> None:
        self.model, self.prepared, self.row, self.steps = model, prepared, row, steps
        self.function = _row_gradients_function(model, prepared)
        self.notes: list[str] = []

    def run(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(f_row, gradients)`` at ``points`` (B, n), float64; one progress step."""
        self.steps.check()
        selection = self.prepared.selection
        y, gradients, connected = self.function(
            tf().constant(points, selection.dtype), tf().constant(self.row, tf().int32),
            *self.prepared.held)
        if not bool(connected) and not self.notes:
            from .. import dependence

            suspects = self.prepared.facts().suspects
            self.notes.append(dependence.explain_disconnected(
                selection, self.prepared.x, self.prepared.held, self.prepared.traces, suspects))
        self.steps.advance()
        return np.asarray(y, dtype=np.float64), np.asarray(gradients, dtype=np.float64)


def _row_gradients_function(model: ModelHandle, prepared: Problem) -> Any:
    """Cached ``(x (B, n), row, *others) -> (f_row (B,), d f_row / d x (B, n), connected)``."""
    selection = prepared.selection

    def build() -> Any:
        tf_, fn = tf(), selection.fn

        def gradients(x: Any, row: Any, *held: Any) -> tuple[Any, Any, Any]:
            with tf_.GradientTape() as tape:
                tape.watch(x)
                y = fn(x, held)[:, row]
            grad = tape.gradient(y, x)  # of the sum over the batch: row k's own gradient
            if grad is None:
                return y, tf_.zeros_like(x), tf_.constant(False)
            return y, grad, tf_.constant(True)

        specs = [tf_.TensorSpec((None, selection.n), selection.dtype),
                 tf_.TensorSpec((), tf_.int32)]
        specs += [tf_.TensorSpec(v.shape, v.dtype) for v in prepared.held]
        return traced("row-gradients", gradients, specs)

    return prepared.traces.get(selection.key("row-gradients"), build)


def _row(prepared: Problem, row: int | str) -> tuple[int, tuple[str, ...]]:
    labels = prepared.selection.output.element_labels()
    return resolve_index(row, labels, "output"), labels


def _chunk(model: ModelHandle, prepared: Problem, batch_size: int | None, budget: int,
           total: int) -> int:
    if batch_size is not None:
        batch_size = whole_number(batch_size, "batch_size", 1)
    size = batch_size or rows_per_chunk(prepared, budget, "the gradient batch")
    return int(min(size, total))


def _baseline(baseline: Any, x: np.ndarray, spec: Any) -> tuple[np.ndarray, str, list[str]]:
    if isinstance(baseline, str):
        if baseline == "zeros":
            return np.zeros_like(x), "zeros", []
        if baseline == "blur":
            notes = [] if spec.is_image else [
                f"the blur baseline smooths neighbouring elements of {spec.name!r}, which is not "
                "an image: it is only meaningful for ordered signals"]
            return blurred(x, spec.shape, spec.is_image), "blur", notes
        raise JacguiError(f"unknown baseline {baseline!r}; use {', '.join(BASELINES)} or an array")
    try:
        values = np.asarray(baseline, dtype=np.float64)
    except (TypeError, ValueError):
        raise JacguiError("the baseline must be numbers shaped like the input") from None
    if values.size != x.size:
        raise JacguiError(f"the baseline has {values.size} values; input {spec.name!r} has "
                          f"shape {spec.shape} ({x.size} values)")
    if not np.all(np.isfinite(values)):
        raise JacguiError("the baseline holds NaN or Inf")
    return values.reshape(-1), "given", []


def _quadrature(steps: int, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """Nodes in [0, 1] and weights summing to 1."""
    if rule == "gauss-legendre":
        nodes, weights = np.polynomial.legendre.leggauss(steps)
        return (nodes + 1) / 2, weights / 2
    nodes = np.linspace(0.0, 1.0, steps)
    weights = np.full(steps, 1.0 / (steps - 1))
    weights[[0, -1]] /= 2
    return nodes, weights


def _top_lines(values: np.ndarray, labels: tuple[str, ...], top: int) -> list[str]:
    flat = values.reshape(-1)
    order = np.argsort(-np.abs(flat), kind="stable")[:top]
    return [f"  {labels[j]}: {flat[j]:+.6g}" for j in order]
