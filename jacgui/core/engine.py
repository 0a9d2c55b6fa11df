"""The Jacobian engine: the one entry point for every method.

``run_job`` takes a :class:`~jacgui.core.job.JacobianJob`, reports progress between chunks,
checks the cancel token there, and returns a :class:`~jacgui.core.job.JacobianResult`. When
TensorFlow fails at a way of computing the Jacobian (not the model: its plain evaluation still
works), the engine moves to the next attempt of :func:`~jacgui.core.attempts.plan_attempts`
and says so in ``method_reason``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from . import dependence
from .attempts import Attempt, plan_attempts
from .autodiff import autodiff_jacobian
from .errors import JacguiError, JacobianCancelled, ModelRunError, is_model_failure
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
from .process.dispatch import isolated_operation
from .reasons import short_reason
from .smoothness import choose_stencil
from .vanishing import vanishing_jacobian_note

__all__ = ["complete_point", "jacobian", "plan_job", "run_job"]


@isolated_operation("plan_job")
def plan_job(job: JacobianJob) -> Plan:
    """The method, chunking and memory estimate ``run_job`` will use first for ``job``.

    Computes nothing; the first call on a selection traces the model once to read its ops.
    """
    check_method(job.method, job.options.step, job.options.memory_budget)
    problem = Problem.for_job(job)
    attempts, reason = _attempts(problem, job.method)
    failed = _failures(problem)
    attempt = next((a for a in attempts if a not in failed), attempts[-1])
    if attempt.method.startswith("fd") and not job.method.startswith("fd"):
        problem = Problem.for_job(job, attempt.method)
    plan = problem.plan(attempt.method, job.options, job.method)
    return _with_reason(plan, reason if attempt == attempts[0] else
                        f"{reason}; {_fallback_note(attempts, attempt, failed)}")


@isolated_operation("run_job")
def run_job(job: JacobianJob, progress: ProgressCallback | None = None,
            cancel: CancelToken | None = None) -> JacobianResult:
    """Compute the Jacobian that ``job`` describes.

    Raises
    ------
    JacguiError
        For anything the user can fix; the message is one line. An exception raised by the
        model (see :func:`~jacgui.core.errors.is_model_failure`) becomes a
        :class:`ModelRunError`; any other exception is a bug in jacgui and propagates as is.
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
        if not is_model_failure(error):
            raise  # a bug in jacgui: an internal error, never blamed on the user's model
        raise ModelRunError(f"the model failed while computing: {short_reason(error)}") from error


@dataclass(frozen=True)
class _Outcome:
    """What one attempt computed."""

    problem: Problem
    plan: Plan
    outputs: np.ndarray
    matrix: np.ndarray
    steps: np.ndarray | None = None
    error: np.ndarray | None = None
    connected: bool = True
    note: str = ""  # how finite differences were taken


def _run(job: JacobianJob, progress: ProgressCallback | None,
         cancel: CancelToken | None) -> JacobianResult:
    start = time.perf_counter()
    check_method(job.method, job.options.step, job.options.memory_budget)
    problem = Problem.for_job(job)
    attempts, reason = _attempts(problem, job.method)
    failed = _failures(problem)
    fallbacks: list[str] = []
    last_error: BaseException | None = None
    with_nan: list[tuple[int, _Outcome, str]] = []  # (NaN cells, outcome, its attempt)
    seconds_per_pass = 0.0
    for attempt in attempts:
        if attempt in failed:
            fallbacks.append(failed[attempt])
            continue
        predicted = seconds_per_pass * _passes(attempt, problem)
        if with_nan and predicted > NAN_RETRY_SECONDS:
            fallbacks.append(f"{attempt.describe()} not tried (about {predicted:.0f} s)")
            continue
        began = time.perf_counter()
        try:
            outcome = _attempt(job, problem, attempt, progress, cancel)
        except (JacguiError, JacobianCancelled):
            raise
        except Exception as error:  # TensorFlow fails in many ways: decided below whose it is
            if not attempt.is_autodiff:
                raise
            _check_model_runs(problem)  # the model's own failure is not TensorFlow's
            failed[attempt] = f"{attempt.describe()} failed in TensorFlow ({short_reason(error)})"
            fallbacks.append(failed[attempt])
            last_error = error
            continue
        finite = _all_finite(outcome.matrix) and _all_finite(outcome.outputs)
        bad = 0 if finite or not attempt.is_autodiff else _nan_cells_where_f_is_finite(outcome)
        if not bad:
            if fallbacks:
                reason = f"{reason}; {'; '.join(fallbacks)}; used {attempt.describe()}"
            return _result(job, outcome, reason, start, finite)
        # TensorFlow's own kernels can return NaN (oneDNN, vectorised batched matmuls), so the
        # next attempt may do better; a true NaN derivative stays NaN in every mode.
        fallbacks.append(f"{attempt.describe()} gave {bad} NaN cell(s) where f(x) is finite")
        with_nan.append((bad, outcome, attempt.describe()))
        seconds_per_pass = (time.perf_counter() - began) / _passes(attempt, problem)
    if with_nan:
        _, outcome, name = min(with_nan, key=lambda item: item[0])
        return _result(job, outcome, f"{reason}; {'; '.join(fallbacks)}; kept {name}", start,
                       False)
    advice = ("" if job.method == "auto" else
              "; method auto also tries the other mode and central differences")
    raise ModelRunError(f"{'; '.join(fallbacks)}{advice}") from last_error


#: After a result with NaN cells, an attempt predicted to take longer than this (from the time
#: per pass so far) is not tried: a true NaN derivative would not be worth minutes of work.
NAN_RETRY_SECONDS = 2.0


def _passes(attempt: Attempt, problem: Problem) -> int:
    """Backward passes, JVPs or perturbed columns an attempt needs."""
    return problem.m if attempt.method == "reverse" else problem.n


def _attempts(problem: Problem, requested: str) -> tuple[tuple[Attempt, ...], str]:
    """The attempts for ``requested`` on this selection; cached, since the graph decides."""

    def build() -> tuple[tuple[Attempt, ...], str]:
        hazards = () if requested.startswith("fd") else problem.facts().hazards
        return plan_attempts(requested, problem.m, problem.n, hazards)

    return problem.traces.get(problem.selection.key("attempts", requested), build)


def _failures(problem: Problem) -> dict[Attempt, str]:
    """Attempts that TensorFlow failed at on this selection, and why: not tried again."""
    return problem.traces.get(problem.selection.key("failures"), dict)


def _fallback_note(attempts: tuple[Attempt, ...], chosen: Attempt,
                   failed: dict[Attempt, str]) -> str:
    notes = [failed[a] for a in attempts if a in failed]
    return f"{'; '.join(notes)}; uses {chosen.describe()}"


def _with_reason(plan: Plan, reason: str) -> Plan:
    return replace(plan, reason=reason)


def _attempt(job: JacobianJob, problem: Problem, attempt: Attempt,
             progress: ProgressCallback | None, cancel: CancelToken | None) -> _Outcome:
    if attempt.method.startswith("fd") and not job.method.startswith("fd"):
        problem = Problem.for_job(job, attempt.method)  # differences run in float64
    plan = problem.plan(attempt.method, job.options, job.method)

    def chunk_done(done: int) -> None:
        if progress is not None:
            progress(Progress(job.job_id, done, plan.n_chunks))

    chunk_done(0)  # the job has started: a caller may now cancel it or time it
    if attempt.method.startswith("fd"):
        checked = problem.checked_copy()  # after the plan: the check evaluates the model
        if checked is not problem:  # the model's own precision: other chunks, maybe
            problem = checked
            plan = problem.plan(attempt.method, job.options, job.method)
            chunk_done(0)
        if cancel is not None:
            cancel.raise_if_cancelled()
    selection, traces = problem.selection, problem.traces
    if attempt.is_autodiff:
        outputs, matrix, connected = autodiff_jacobian(
            selection, problem.x_tensor(), problem.held, plan, traces, cancel, chunk_done,
            attempt.vectorised)
        return _Outcome(problem, plan, outputs, matrix, connected=connected)
    options = job.options
    stencil, why = choose_stencil(selection, problem.held, traces, plan.method == "fd-central",
                                  options.error_estimate, options.richardson)
    outputs, matrix, steps, error = fd_jacobian(
        selection, problem.x, problem.held, plan, traces, options.step, cancel, chunk_done,
        options.error_estimate, stencil.extrapolated)
    note = f"{stencil.describe(selection.dtype, options.step)}{f' ({why})' if why else ''}"
    return _Outcome(problem, plan, outputs, matrix, steps, error, note=note)


def _check_model_runs(problem: Problem) -> None:
    """Raise the model's own error when its plain evaluation fails at the point."""
    try:
        problem.evaluate(problem.x[None])
    except Exception as error:  # user models may raise anything
        raise ModelRunError(
            f"the model failed while computing: {short_reason(error)}") from error


def _all_finite(values: np.ndarray) -> bool:
    # A sum of squares is NaN/inf exactly when some entry is (overflow aside, which only sends
    # the caller down its exact, slower path); as one BLAS dot it costs less than a plain sum
    # or isfinite().all(), a tenth of a millisecond on a 512 x 512 matrix.
    flat = values.reshape(-1)
    return bool(np.isfinite(np.dot(flat, flat)))


def _nan_cells_where_f_is_finite(outcome: _Outcome) -> int:
    rows = np.isfinite(outcome.outputs)
    return int(np.isnan(outcome.matrix[rows]).sum())


def _result(job: JacobianJob, outcome: _Outcome, reason: str, start: float,
            finite: bool) -> JacobianResult:
    problem, plan, matrix = outcome.problem, outcome.plan, outcome.matrix
    selection = problem.selection
    warnings = list(problem.notes)
    if plan.method.startswith("fd"):
        reason = f"{reason}; {outcome.note}; evaluated in {problem.dtype}"
    else:
        warnings += _dependence_warnings(problem, outcome)
    if not finite:
        warnings += _nan_warnings(outcome.outputs, matrix)
    if (note := vanishing_jacobian_note(matrix, outcome.outputs, problem.x)) is not None:
        warnings.append(note)
    return JacobianResult(
        matrix=matrix, outputs=outcome.outputs, point=problem.x,
        input_labels=selection.input.element_labels(),
        output_labels=selection.output.element_labels(), input_name=selection.input.name,
        output_name=selection.output.name, input_shape=selection.input.shape,
        output_shape=selection.output.shape, method=plan.method, method_reason=reason,
        seconds=time.perf_counter() - start, steps=outcome.steps, error_estimate=outcome.error,
        chunks=plan.n_chunks, warnings=tuple(warnings), job_id=job.job_id,
        extra={"plan": _with_reason(plan, reason), "dtype": problem.dtype},
    )


def _dependence_warnings(problem: Problem, outcome: _Outcome) -> list[str]:
    """Zeros that mean "does not depend" are said so; zeros that may lie are flagged."""
    suspects = problem.facts().suspects
    if not outcome.connected:
        return [dependence.explain_disconnected(problem.selection, problem.x, problem.held,
                                                problem.traces, suspects)]
    # Only a graph with gradient-cutting ops can make a zero column lie, so the (m x n) scan
    # runs only then.
    if suspects and (warning := dependence.zero_column_warning(outcome.matrix, suspects)):
        return [warning]
    return []


def _nan_warnings(outputs: np.ndarray, matrix: np.ndarray) -> list[str]:
    warnings = []
    if (bad := int(np.sum(~np.isfinite(outputs)))) > 0:
        warnings.append(f"f(x) has {bad} non-finite value(s) at this point")
    if (bad := int(np.sum(~np.isfinite(matrix)))) > 0:
        warnings.append(f"{bad} of {matrix.size} Jacobian cells are NaN or infinite")
    return warnings


@isolated_operation("jacobian")
def jacobian(model: ModelHandle, point: Any = None, *, method: str = "auto",
             input: str | None = None, output: str | None = None, step: float | None = None,
             dtype: str | None = None, memory_budget: int = DEFAULT_MEMORY_BUDGET,
             error_estimate: bool = True, richardson: bool | None = None,
             progress: ProgressCallback | None = None,
             cancel: CancelToken | None = None) -> JacobianResult:
    """Jacobian of ``output`` with respect to ``input`` at ``point``.

    Parameters
    ----------
    model : ModelHandle
        From :func:`jacgui.load_model`.
    point : array, mapping or None
        See :func:`complete_point`; ``None`` uses the model's default point.
    method : {"auto", "reverse", "forward", "fd-forward", "fd-central"}
        ``auto`` picks the mode the shape favours and falls back (other mode, non-vectorised
        reverse mode, central differences) when TensorFlow fails; ``method_reason`` says so.
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
    richardson : bool or None
        Finite differences only: extrapolate from steps h and 2h (``None``: unless the model
        has kinks, where a small plain step is exact).
    progress, cancel
        Called between chunks / checked between chunks.

    Returns
    -------
    JacobianResult
    """
    options = JacobianOptions(step=step, dtype=dtype, memory_budget=memory_budget,
                              error_estimate=error_estimate, richardson=richardson)
    if point is not None and not isinstance(point, Mapping):
        point = {model.input(input).name: point}
    job = JacobianJob(model, {} if point is None else point, method, input, output, options)
    return run_job(job, progress, cancel)
