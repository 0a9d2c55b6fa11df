"""The Jacobian engine: the one entry point for every method.

``run_job`` takes a :class:`~jacgui.core.job.JacobianJob`, reports progress between chunks,
checks the cancel token there, and returns a :class:`~jacgui.core.job.JacobianResult`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import dependence
from .autodiff import autodiff_jacobian
from .errors import JacguiError, JacobianCancelled, ModelRunError
from .finite_diff import fd_jacobian
from .handle import ModelHandle
from .job import (
    DEFAULT_MEMORY_BUDGET,
    CancelToken,
    JacobianJob,
    JacobianOptions,
    JacobianResult,
    Progress,
    ProgressCallback,
)
from .planning import Plan, check_method
from .problem import Problem, complete_point

__all__ = ["complete_point", "jacobian", "plan_job", "run_job", "short_reason"]


def plan_job(job: JacobianJob) -> Plan:
    """The method, chunking and memory estimate for ``job``, without computing anything.

    It is the plan :func:`run_job` uses: both size chunks from the same problem.
    """
    check_method(job.method, job.options.step, job.options.memory_budget)
    return Problem.for_job(job).plan(job.method, job.options)


def run_job(job: JacobianJob, progress: ProgressCallback | None = None,
            cancel: CancelToken | None = None) -> JacobianResult:
    """Compute the Jacobian that ``job`` describes.

    Raises
    ------
    JacguiError
        For anything the user can fix; the message is one line. An exception raised inside
        the model becomes a :class:`ModelRunError`.
    JacobianCancelled
        When ``cancel`` is set; nothing is returned.
    """
    try:
        return _run(job, progress, cancel)
    except (JacguiError, JacobianCancelled):
        raise
    # Anything: user models may raise any exception, and SystemExit too: a model calling
    # sys.exit() or exit() must not end the program.
    except (Exception, SystemExit) as error:
        raise ModelRunError(f"the model failed while computing: {short_reason(error)}") from error


def short_reason(error: BaseException) -> str:
    """The first meaningful line of an exception, without TensorFlow's graph trace."""
    text = str(error).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    skip = ("Graph execution error", "Detected at node", "File ", "Traceback")
    useful = [line for line in lines if not line.startswith(skip)]
    reason = _FUNCTION_NODE.sub("", (useful or lines or [""])[0]).strip()
    # 190 keeps "the model failed while computing: <Type>: <reason>" within ~250 characters.
    if len(reason) > 190:
        reason = reason[:187] + "..."
    return f"{type(error).__name__}: {reason}" if reason else type(error).__name__


# TensorFlow prefixes graph errors with "{{function_node __inference_f_3933}}": noise to a user.
_FUNCTION_NODE = re.compile(r"\{\{function_node [^}]*\}\}\s*")


def _run(job: JacobianJob, progress: ProgressCallback | None,
         cancel: CancelToken | None) -> JacobianResult:
    start = time.perf_counter()
    check_method(job.method, job.options.step, job.options.memory_budget)
    problem = Problem.for_job(job)
    selection, traces, x = problem.selection, problem.traces, problem.x
    plan = problem.plan(job.method, job.options)
    warnings = list(problem.notes)

    def chunk_done(done: int) -> None:
        if progress is not None:
            progress(Progress(job.job_id, done, plan.n_chunks))

    chunk_done(0)
    reason, steps, error = plan.reason, None, None
    if plan.method.startswith("fd"):
        outputs, matrix, steps, error = fd_jacobian(
            selection, x, problem.held, plan, traces, job.options.step, cancel, chunk_done,
            job.options.error_estimate)
        reason = f"{reason}; evaluated in {selection.dtype}"
    else:
        outputs, matrix, connected, note = autodiff_jacobian(
            selection, problem.x_tensor(), problem.held, plan, traces, cancel, chunk_done)
        if note:
            reason = f"{reason}; {note}"
        # The graph scan for gradient-cutting ops costs a trace, so it runs only when a
        # suspicious zero calls for it.
        if not connected:
            warnings.append(dependence.explain_disconnected(
                selection, x, problem.held, traces, problem.facts().suspects))
        elif np.any(np.all(matrix == 0, axis=0)):
            suspects = problem.facts().suspects
            if (warning := dependence.zero_column_warning(matrix, suspects)) is not None:
                warnings.append(warning)
    warnings += _nan_warnings(outputs, matrix)
    return JacobianResult(
        matrix=matrix, outputs=outputs, point=x, input_labels=selection.input.element_labels(),
        output_labels=selection.output.element_labels(), input_name=selection.input.name,
        output_name=selection.output.name, input_shape=selection.input.shape,
        output_shape=selection.output.shape, method=plan.method, method_reason=reason,
        seconds=time.perf_counter() - start, steps=steps, error_estimate=error,
        chunks=plan.n_chunks, warnings=tuple(warnings), job_id=job.job_id,
        extra={"plan": plan, "dtype": selection.dtype},
    )


def _nan_warnings(outputs: np.ndarray, matrix: np.ndarray) -> list[str]:
    # One sum is NaN/inf exactly when some entry is (barring overflow, which the slow path
    # below then reports correctly); it is several times cheaper than isfinite().all().
    if np.isfinite(matrix.sum()) and np.isfinite(outputs.sum()):
        return []
    warnings = []
    if (bad := int(np.sum(~np.isfinite(outputs)))) > 0:
        warnings.append(f"f(x) has {bad} non-finite value(s) at this point")
    if (bad := int(np.sum(~np.isfinite(matrix)))) > 0:
        warnings.append(f"{bad} of {matrix.size} Jacobian cells are NaN or infinite")
    return warnings


def jacobian(model: ModelHandle, point: Any = None, *, method: str = "auto",
             input: str | None = None, output: str | None = None, step: float | None = None,
             dtype: str | None = None, memory_budget: int = DEFAULT_MEMORY_BUDGET,
             error_estimate: bool = True, progress: ProgressCallback | None = None,
             cancel: CancelToken | None = None) -> JacobianResult:
    """Jacobian of ``output`` with respect to ``input`` at ``point``.

    Parameters
    ----------
    model : ModelHandle
        From :func:`jacgui.load_model`.
    point : array, mapping or None
        See :func:`complete_point`; ``None`` uses the model's default point.
    method : {"auto", "reverse", "forward", "fd-forward", "fd-central"}
    input, output : str, optional
        Names of the input and output to differentiate; the first of each by default.
    step : float, optional
        Relative finite-difference step ``c`` in ``h_j = c * max(1, |x_j|)``.
    dtype : {"float32", "float64"}, optional
        Evaluation dtype for finite differences (float64 where the model allows it).
    memory_budget : int
        Bytes; sets the chunk size.
    error_estimate : bool
        Finite differences only: estimate every cell's error from a second step (2x the work).
    progress, cancel
        Called between chunks / checked between chunks.

    Returns
    -------
    JacobianResult
    """
    options = JacobianOptions(step=step, dtype=dtype, memory_budget=memory_budget,
                              error_estimate=error_estimate)
    if point is not None and not isinstance(point, Mapping):
        point = {model.input(input).name: point}
    job = JacobianJob(model, {} if point is None else point, method, input, output, options)
    return run_job(job, progress, cancel)
