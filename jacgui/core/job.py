"""Plain data describing a Jacobian computation and its result."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from .errors import JacobianCancelled
from .handle import ModelHandle
from .planning import METHODS as METHODS  # re-exported: the method names live with the planner

DEFAULT_MEMORY_BUDGET = 1 << 30


@dataclass(frozen=True)
class JacobianOptions:
    """Knobs of a Jacobian computation.

    Attributes
    ----------
    step : float or None
        Relative finite-difference step ``c`` in ``h_j = c * max(1, |x_j|)``; ``None`` picks
        the stencil's own (float64: eps^(1/5) central and eps^(1/3) forward when extrapolated,
        eps^(1/3) and eps^(1/2) plain; see :mod:`jacgui.core.finite_diff`).
    dtype : str or None
        Evaluation dtype for finite differences (``"float32"`` or ``"float64"``); ``None`` means
        float64 where the model allows it.
    memory_budget : int
        Bytes the computation may use; it sets the chunk size.
    error_estimate : bool
        For finite differences, also evaluate at step 2h to estimate every cell's error
        (twice the model evaluations). Without it there is no Richardson extrapolation.
    richardson : bool or None
        For finite differences, extrapolate from steps h and 2h (``True``) or keep the plain
        difference, order 2 central and order 1 forward, at its own step (``False``). ``None``
        extrapolates unless the model has kinks on the input's path (ReLU, max-pooling), where
        the plain difference is exact between kinks (:mod:`jacgui.core.smoothness`).
    """

    step: float | None = None
    dtype: str | None = None
    memory_budget: int = DEFAULT_MEMORY_BUDGET
    error_estimate: bool = True
    richardson: bool | None = None


@dataclass(frozen=True)
class JacobianJob:
    """Everything needed to compute one Jacobian; ``job_id`` lets callers drop stale results."""

    model: ModelHandle
    point: Mapping[str, np.ndarray]
    method: str = "auto"
    input: str | None = None
    output: str | None = None
    options: JacobianOptions = JacobianOptions()
    job_id: int = 0


@dataclass(frozen=True)
class Progress:
    """Chunks done out of the total, reported between chunks."""

    job_id: int
    done: int
    total: int


ProgressCallback = Callable[[Progress], None]


class CancelToken:
    """A thread-safe cancel flag that the engine checks between chunks."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the computation to stop at the next chunk boundary."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`JacobianCancelled` if :meth:`cancel` was called."""
        if self._event.is_set():
            raise JacobianCancelled("the Jacobian computation was cancelled")


@dataclass(frozen=True)
class JacobianResult:
    """A Jacobian ``matrix[i, j] = d outputs[i] / d point[j]`` of flattened (row-major) tensors.

    Attributes
    ----------
    matrix : ndarray, shape (m, n)
    outputs : ndarray, shape (m,)
        f(x) at the point, flattened.
    point : ndarray, shape (n,)
        The selected input's value, flattened.
    input_labels, output_labels : tuple of str
    input_name, output_name : str
    input_shape, output_shape : tuple of int
    method : str
        The method actually used.
    method_reason : str
        Why that method was used (the ``auto`` choice, a fallback).
    seconds : float
        Wall time of the computation.
    steps : ndarray or None, shape (n,)
        Finite-difference step per input.
    error_estimate : ndarray or None, shape (m, n)
        Finite-difference error estimate per cell.
    chunks : int
        Number of chunks the work was split into.
    warnings : tuple of str
        Caveats about the numbers (independence, non-differentiable ops, NaN cells).
    job_id : int
    """

    matrix: np.ndarray
    outputs: np.ndarray
    point: np.ndarray
    input_labels: tuple[str, ...]
    output_labels: tuple[str, ...]
    input_name: str
    output_name: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    method: str
    method_reason: str = ""
    seconds: float = 0.0
    steps: np.ndarray | None = None
    error_estimate: np.ndarray | None = None
    chunks: int = 1
    warnings: tuple[str, ...] = ()
    job_id: int = 0
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def shape(self) -> tuple[int, int]:
        """``(m, n)``: outputs by inputs."""
        return self.matrix.shape  # type: ignore[return-value]

    def max_abs_cell(self) -> tuple[float, int, int]:
        """Largest finite ``|J|`` and its (row, column); NaN cells are ignored."""
        finite = np.where(np.isfinite(self.matrix), np.abs(self.matrix), -1.0)
        flat = int(np.argmax(finite))
        row, col = divmod(flat, self.matrix.shape[1])
        return float(max(finite.flat[flat], 0.0)), row, col
