"""What each analysis asks the core to do, as calls for the worker thread (Qt-free).

An :class:`AnalysisContext` pins the model, point, input and output of the Jacobian on screen,
so every analysis describes the same function at the same point as the heatmap. The builders
return ``call(progress, cancel)`` closures; they only call :mod:`jacgui.core.analysis`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jacgui.core.handle import ModelHandle
from jacgui.core.job import DEFAULT_MEMORY_BUDGET, CancelToken, JacobianResult, Progress

__all__ = [
    "AnalysisContext", "agreement_call", "global_call", "principal_call", "slice_call",
    "sweep_call",
]

Call = Callable[[Callable[[Progress], None], CancelToken], Any]


@dataclass(frozen=True)
class AnalysisContext:
    """The Jacobian on screen and where it came from."""

    model: ModelHandle
    point: Mapping[str, np.ndarray]
    result: JacobianResult
    memory_budget: int = DEFAULT_MEMORY_BUDGET
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def input(self) -> str:
        """Name of the differentiated input."""
        return self.result.input_name

    @property
    def output(self) -> str:
        """Name of the differentiated output."""
        return self.result.output_name

    def input_spec(self) -> Any:
        """The :class:`TensorInfo` of the differentiated input."""
        return self.model.input(self.input)


def slice_call(ctx: AnalysisContext, row: int, col: int, t_range: float | None,
               samples: int = 101) -> Call:
    """``slice_cell`` of one cell (one batched model call)."""
    def call(_progress: Any, _cancel: CancelToken) -> Any:
        from jacgui.core.analysis import slice_cell

        return slice_cell(ctx.model, dict(ctx.point), row, col, input=ctx.input,
                          output=ctx.output, t_range=t_range, samples=samples)
    return call


def sweep_call(ctx: AnalysisContext, row: int, col: int, dtype: str | None,
               central: bool = True) -> Call:
    """``step_sweep`` of one cell (one batched model call per dtype)."""
    def call(_progress: Any, _cancel: CancelToken) -> Any:
        from jacgui.core.analysis import step_sweep

        return step_sweep(ctx.model, dict(ctx.point), row, col, input=ctx.input,
                          output=ctx.output, central=central, dtype=dtype)
    return call


def principal_call(ctx: AnalysisContext, k: int) -> Call:
    """``principal_directions`` of the displayed Jacobian (an SVD; slow for big matrices)."""
    def call(_progress: Any, _cancel: CancelToken) -> Any:
        from jacgui.core.analysis import principal_directions

        return principal_directions(ctx.result, k)
    return call


def agreement_call(ctx: AnalysisContext) -> Call:
    """``compare_ad_fd``: both Jacobians in chunks, cancellable between chunks."""
    def call(progress: Callable[[Progress], None], cancel: CancelToken) -> Any:
        from jacgui.core.analysis import compare_ad_fd

        return compare_ad_fd(ctx.model, dict(ctx.point), input=ctx.input, output=ctx.output,
                             memory_budget=ctx.memory_budget, progress=progress, cancel=cancel)
    return call


@dataclass(frozen=True)
class GlobalRequest:
    """Where the points of a global analysis come from.

    Either ``points_file`` (``.npy``/``.npz``/``.csv``, one point per row) or a box: ``bounds``
    ``(n, 2)`` with ``n_samples``, ``method`` (``"uniform"``/``"lhs"``) and ``seed``.
    """

    points_file: str | None = None
    bounds: np.ndarray | None = None
    n_samples: int = 256
    method: str = "lhs"
    seed: int | None = 0
    batch_size: int | None = None

    def describe(self) -> str:
        """One line for the status label."""
        if self.points_file:
            return f"points from {self.points_file}"
        return f"{self.n_samples} {self.method} samples in a box (seed {self.seed})"


def global_call(ctx: AnalysisContext, request: GlobalRequest) -> Call:
    """``global_sensitivity`` over the requested points, in batches (cancel between them)."""
    def call(progress: Callable[[Progress], None], cancel: CancelToken) -> Any:
        from jacgui.core.analysis import global_sensitivity, sample_box
        from jacgui.core.points import read_points

        bounds = request.bounds
        if request.points_file:
            points = read_points(request.points_file, ctx.input_spec())
            provenance: dict[str, Any] = {"points_file": request.points_file}
        else:
            points = sample_box(bounds, request.n_samples, request.method, request.seed)
            provenance = {"sampling": request.method, "seed": request.seed,
                          "bounds": np.asarray(bounds).tolist()}
        return global_sensitivity(ctx.model, points, input=ctx.input, output=ctx.output,
                                  fixed=dict(ctx.point), bounds=bounds,
                                  memory_budget=ctx.memory_budget, batch_size=request.batch_size,
                                  progress=progress, cancel=cancel, provenance=provenance)
    return call
