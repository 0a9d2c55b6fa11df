"""What each analysis asks the engine to do, as (operation, arguments) pairs (Qt-free).

An :class:`AnalysisContext` pins the point, input and output of the Jacobian on screen, so
every analysis describes the same function at the same point as the heatmap. The builders
return the engine operation's name and its arguments; files the user names (points) are read
here, in the window's process, and only their numbers are sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from jacgui.core.job import JacobianResult

__all__ = [
    "AnalysisContext", "GlobalRequest", "Job", "agreement_job", "attribution_job", "global_job",
    "principal_job", "slice_job", "sobol_job", "sweep_job",
]

#: An engine operation and its arguments.
Job = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class AnalysisContext:
    """The Jacobian on screen and where it came from.

    Attributes
    ----------
    request : JacobianRequest
        The point, input, output and options it was computed for.
    result : JacobianResult
    input_spec : TensorInfo
        The differentiated input's description.
    """

    request: Any
    result: JacobianResult
    input_spec: Any

    @property
    def input(self) -> str:
        """Name of the differentiated input."""
        return self.result.input_name

    @property
    def output(self) -> str:
        """Name of the differentiated output."""
        return self.result.output_name

    @property
    def memory_budget(self) -> int:
        """Bytes the analysis may use (the Jacobian's own budget)."""
        return int(self.request.options.memory_budget)

    def where(self) -> dict[str, Any]:
        """The point, input and output every model-evaluating operation needs."""
        return {"point": self.request.point, "input": self.input, "output": self.output}


def slice_job(ctx: AnalysisContext, row: int, col: int, t_range: float | None,
              samples: int = 101) -> Job:
    """``slice_cell`` of one cell (one batched model call)."""
    return "slice", {**ctx.where(), "row": row, "col": col, "t_range": t_range,
                     "samples": samples}


def sweep_job(ctx: AnalysisContext, row: int, col: int, dtype: str | None,
              central: bool = True) -> Job:
    """``step_sweep`` of one cell (one batched model call per dtype)."""
    return "sweep", {**ctx.where(), "row": row, "col": col, "central": central, "dtype": dtype}


def principal_job(ctx: AnalysisContext, k: int) -> Job:
    """``principal_directions`` of the displayed Jacobian (an SVD; slow for big matrices)."""
    return "principal", {"result": ctx.result, "k": k}


def agreement_job(ctx: AnalysisContext) -> Job:
    """``compare_ad_fd``: both Jacobians in chunks, cancellable between chunks."""
    return "compare", {**ctx.where(), "memory_budget": ctx.memory_budget}


@dataclass(frozen=True)
class GlobalRequest:
    """Where the points of a global analysis come from.

    Either ``points_file`` (``.npy``/``.npz``/``.csv``, one point per row) or a box: ``bounds``
    ``(n, 2)`` with ``n_samples``, ``method`` and ``seed``.
    """

    points_file: str | None = None
    bounds: np.ndarray | None = None
    n_samples: int = 256
    method: str = "sobol"
    seed: int | None = 0
    batch_size: int | None = None

    def describe(self) -> str:
        """One line for the status label."""
        if self.points_file:
            return f"points from {self.points_file}"
        return f"{self.n_samples} {self.method} samples in a box (seed {self.seed})"


def global_job(ctx: AnalysisContext, request: GlobalRequest) -> Job:
    """``global_sensitivity`` over the requested points, in batches (cancel between them).

    Raises
    ------
    JacguiError
        When the points file cannot be read or the box is invalid.
    """
    from jacgui.core.analysis import sample_box
    from jacgui.core.points import read_points

    bounds = request.bounds
    if request.points_file:
        points = read_points(request.points_file, ctx.input_spec)
        provenance: dict[str, Any] = {"points_file": request.points_file}
    else:
        points = sample_box(bounds, request.n_samples, request.method, request.seed)
        provenance = {"sampling": request.method, "seed": request.seed,
                      "bounds": np.asarray(bounds).tolist()}
    return "global", {"points": np.asarray(points, dtype=np.float64), "input": ctx.input,
                      "output": ctx.output, "fixed": ctx.request.point, "bounds": bounds,
                      "memory_budget": ctx.memory_budget, "batch_size": request.batch_size,
                      "provenance": provenance}


def sobol_job(ctx: AnalysisContext, request: GlobalRequest) -> Job:
    """``sobol_indices`` in the box of ``request`` (its N a power of 2).

    The other inputs stay at the point; the model is evaluated N (n + 2) times, in batches.
    """
    return "sobol", {"bounds": request.bounds, "n_samples": request.n_samples,
                     "input": ctx.input, "output": ctx.output, "fixed": ctx.request.point,
                     "seed": request.seed, "memory_budget": ctx.memory_budget,
                     "batch_size": request.batch_size,
                     "provenance": {"sampling": "sobol", "seed": request.seed}}


def attribution_job(ctx: AnalysisContext, kind: str, row: int) -> Job:
    """Integrated gradients or SmoothGrad of output ``row`` at the point, in batches.

    Integrated gradients start from a blurred copy of an image (zeros otherwise): a black image
    is far from any natural one, and the blur keeps the colours while removing the detail.
    """
    where = {**ctx.where(), "row": row, "memory_budget": ctx.memory_budget}
    if kind == "integrated_gradients":
        baseline = "blur" if ctx.input_spec.is_image else "zeros"
        return kind, {**where, "baseline": baseline, "steps": 64}
    return "smoothgrad", {**where, "samples": 50, "noise": 0.15}
