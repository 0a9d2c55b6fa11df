"""The Jacobian engine: the one entry point for every method.

``run_job`` takes a :class:`~jacgui.core.job.JacobianJob`, reports progress between chunks,
checks the cancel token there, and returns a :class:`~jacgui.core.job.JacobianResult`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from . import dependence
from ._tf import tf
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
from .planning import Plan, check_method, make_plan
from .precision import check_float64_copy
from .process.dispatch import isolated_operation
from .selection import Selection, graph_facts, other_tensors, select
from .smoothness import choose_stencil
from .spec import TensorInfo
from .vanishing import vanishing_jacobian_note


def complete_point(model: ModelHandle, point: Any = None,
                   input: str | None = None) -> dict[str, np.ndarray]:
    """A value for every input: ``point`` for the selected one, defaults for the rest.

    ``point`` may be ``None`` (the default point), an array for ``input`` (the first input when
    ``None``), or a mapping from input names to arrays. Every value is validated.
    """
    values = {name: np.asarray(v) for name, v in model.default_point.items()}
    if point is None:
        pass
    elif isinstance(point, Mapping):
        for name in point:
            model.input(name)  # unknown names are an error, not silently ignored
        values.update(point)
    else:
        values[model.input(input).name] = point
    return {spec.name: _validated(values.get(spec.name, np.zeros(spec.shape)), spec)
            for spec in model.inputs}


def _validated(value: Any, spec: TensorInfo) -> np.ndarray:
    from .points import validate_point

    # Live updates send the same well-formed array many times a second: skip the full parse.
    if (isinstance(value, np.ndarray) and value.shape == spec.shape and value.dtype.kind == "f"
            and np.isfinite(value).all()):
        return value
    return validate_point(value, spec)


def selection_for(model: ModelHandle, job: JacobianJob) -> tuple[Selection, list[str]]:
    """The narrowed function for ``job``, and notes about its precision.

    Pick the forward function and dtype: float64 for finite differences where possible.
    """
    notes: list[str] = []
    forward, dtype = None, None
    if job.method.startswith("fd") and job.options.dtype != "float32":
        try:
            forward = model.float64_forward()
        except JacguiError as error:
            notes.append(f"float64 evaluation failed ({error}); used the model's precision")
        if forward is not None:
            dtype = "float64"
        elif job.options.dtype == "float64" and not notes:
            notes.append("this model is fixed at its saved precision; differences use float32")
    key = ("selection", job.input, job.output, id(forward), dtype)
    if key not in model.cache:
        model.cache[key] = select(model, job.input, job.output, forward, dtype)
    return model.cache[key], notes


def fd_selection(model: ModelHandle, job: JacobianJob,
                 point: dict[str, np.ndarray]) -> tuple[Selection, tuple, list[str]]:
    """The function finite differences evaluate at ``point``, its held inputs, and notes.

    That is the float64 copy when it reproduces the model at this very point
    (:func:`~jacgui.core.precision.check_float64_copy`); otherwise the model in its own
    precision, with a note saying why.
    """
    selection, notes = selection_for(model, job)
    return checked_copy(model, job, point, selection, held_inputs(model, selection, point), notes)


def checked_copy(model: ModelHandle, job: JacobianJob, point: dict[str, np.ndarray],
                 selection: Selection, others: tuple,
                 notes: list[str]) -> tuple[Selection, tuple, list[str]]:
    """``selection``, unless it is a float64 copy that does not check out at ``point``.

    Then it is the model's own selection, with a note. The check evaluates the model, so it
    runs after the plan has accepted the job's size.
    """
    if selection.dtype != "float64" or model.make_float64 is None:
        return selection, others, notes
    reference, _ = selection_for(model, replace(job, method="reverse"))
    reference_others = held_inputs(model, reference, point)
    x = point[selection.input.name].reshape(-1)
    reason = check_float64_copy(selection, others, reference, reference_others, x, model.cache,
                                model.source)
    if reason is None:
        return selection, others, notes
    notes.append(f"the float64 copy of the model is not used: {reason}; differences are "
                 f"evaluated in {reference.dtype} (their error estimate says how far to trust "
                 "them)")
    return reference, reference_others, notes


@isolated_operation("plan_job")
def plan_job(job: JacobianJob) -> Plan:
    """The method, chunking and memory estimate for ``job``, without computing anything."""
    check_method(job.method, job.options.step, job.options.memory_budget)
    point = complete_point(job.model, job.point, job.input)
    selection, _ = selection_for(job.model, job)
    others = held_inputs(job.model, selection, point)
    elements, _ = model_facts(job.model, selection, others)
    return make_plan(job.method, selection.m, selection.n, np.dtype(selection.dtype).itemsize,
                     elements, job.options.memory_budget, job.method, job.options.error_estimate)


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
    # SystemExit too: a model calling sys.exit() or exit() must not end the program.
    except (Exception, SystemExit) as error:  # noqa: BLE001 - user models may raise anything
        if not is_model_failure(error):
            raise  # a bug in jacgui: an internal error, never blamed on the user's model
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
    model = job.model
    point = complete_point(model, job.point, job.input)
    selection, warnings = selection_for(model, job)
    others = held_inputs(model, selection, point)
    elements = activation_elements(model, selection, others)
    plan = make_plan(job.method, selection.m, selection.n, np.dtype(selection.dtype).itemsize,
                     elements, job.options.memory_budget, job.method, job.options.error_estimate)
    if plan.method.startswith("fd"):
        selection, others, warnings = checked_copy(model, job, point, selection, others, warnings)

    def chunk_done(done: int) -> None:
        if progress is not None:
            progress(Progress(job.job_id, done, plan.n_chunks))

    chunk_done(0)
    x = point[selection.input.name].reshape(-1)
    reason, steps, error = plan.reason, None, None
    if plan.method.startswith("fd"):
        options = job.options
        stencil, why = choose_stencil(selection, others, model.cache, plan.method == "fd-central",
                                      options.error_estimate, options.richardson)
        outputs, matrix, steps, error = fd_jacobian(
            selection, x, others, plan, model.cache, options.step, cancel, chunk_done,
            options.error_estimate, stencil.extrapolated)
        reason = (f"{reason}; {stencil.describe(selection.dtype, options.step)}"
                  f"{f' ({why})' if why else ''}; evaluated in {selection.dtype}")
    else:
        x_tensor = tf().constant(x, dtype=selection.dtype)
        outputs, matrix, connected, note = autodiff_jacobian(
            selection, x_tensor, others, plan, model.cache, cancel, chunk_done)
        if note:
            reason = f"{reason}; {note}"
        # The graph scan for gradient-cutting ops costs a trace, so it runs only when a
        # suspicious zero calls for it.
        if not connected:
            suspects = model_facts(model, selection, others)[1]
            warnings.append(dependence.explain_disconnected(
                selection, x, others, model.cache, suspects))
        elif np.any(np.all(matrix == 0, axis=0)):
            suspects = model_facts(model, selection, others)[1]
            if (warning := dependence.zero_column_warning(matrix, suspects)) is not None:
                warnings.append(warning)
    warnings += _nan_warnings(outputs, matrix)
    if (note := vanishing_jacobian_note(matrix, outputs, x)) is not None:
        warnings.append(note)
    return JacobianResult(
        matrix=matrix, outputs=outputs, point=x, input_labels=selection.input.element_labels(),
        output_labels=selection.output.element_labels(), input_name=selection.input.name,
        output_name=selection.output.name, input_shape=selection.input.shape,
        output_shape=selection.output.shape, method=plan.method, method_reason=reason,
        seconds=time.perf_counter() - start, steps=steps, error_estimate=error,
        chunks=plan.n_chunks, warnings=tuple(warnings), job_id=job.job_id,
        extra={"plan": plan, "dtype": selection.dtype},
    )


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
    input, output : str, optional
        Names of the input and output to differentiate; the first of each by default.
    step : float, optional
        Relative finite-difference step ``c`` in ``h_j = c * max(1, |x_j|)``; by default
        the stencil's own (see :mod:`jacgui.core.finite_diff`).
    dtype : {"float32", "float64"}, optional
        Evaluation dtype for finite differences (float64 where the model allows it).
    memory_budget : int
        Bytes; sets the chunk size.
    error_estimate : bool
        Finite differences only: estimate every cell's error from a second step (2x the work);
        without it there is no Richardson extrapolation either.
    richardson : bool or None
        Finite differences only: extrapolate from steps h and 2h (``True``), or keep the plain
        difference at its own step, still with an error estimate (``False``); ``None`` decides
        from the model (plain where it has kinks such as ReLU, see
        :mod:`jacgui.core.smoothness`).
    progress, cancel
        Called between chunks / checked between chunks.

    Returns
    -------
    JacobianResult
    """
    options = JacobianOptions(step=step, dtype=dtype, memory_budget=memory_budget,
                              error_estimate=error_estimate, richardson=richardson)
    job = JacobianJob(model, {} if point is None else point, method, input, output, options)
    if point is not None and not isinstance(point, Mapping):
        job = JacobianJob(model, {model.input(input).name: point}, method, input, output, options)
    return run_job(job, progress, cancel)


def held_inputs(model: ModelHandle, selection: Selection, point: dict[str, np.ndarray]) -> tuple:
    """The inputs held fixed, as tensors in the evaluation dtype."""
    return other_tensors(model, selection, point,
                         lambda spec: selection.dtype if spec.is_float else spec.dtype)


def model_facts(model: ModelHandle, selection: Selection,
                others: tuple) -> tuple[int, tuple[str, ...]]:
    """Cached :func:`graph_facts`: activation size and gradient-cutting ops of a selection."""
    key = ("facts", selection.input.name, selection.output.name, selection.dtype)
    if key not in model.cache:
        model.cache[key] = graph_facts(selection, others)
    return model.cache[key]


def activation_elements(model: ModelHandle, selection: Selection, others: tuple) -> int:
    """Float elements in one sample's intermediates, for sizing chunks.

    A Keras model knows its layers' output shapes, which is instant; anything else is traced
    once (about 0.3 s, the larger part of a small model's first Jacobian).
    """
    key = ("elements", selection.input.name, selection.output.name, selection.dtype)
    if key not in model.cache:
        counted = _keras_activation_elements(model.source)
        if counted is None:
            counted = model_facts(model, selection, others)[0]
        model.cache[key] = max(counted, selection.n + selection.m)
    return model.cache[key]


def _keras_activation_elements(source: Any) -> int | None:
    layers = getattr(source, "layers", None)
    if not layers or not hasattr(source, "inputs"):
        return None
    total = 0
    try:
        for layer in layers:
            outputs = layer.output if isinstance(layer.output, (list, tuple)) else [layer.output]
            for output in outputs:
                total += int(np.prod([int(d) for d in output.shape[1:]]))
    except (AttributeError, TypeError, ValueError):
        return None  # subclassed or unbuilt layers: trace instead
    # Layers fuse activations and keep temporaries the shapes do not show.
    return 2 * total


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
