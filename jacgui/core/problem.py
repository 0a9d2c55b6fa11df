"""One differentiation problem: a model narrowed to one input and one output, at one point.

Planning, running, the cell cross-check and the analyses all start from a :class:`Problem`,
so they agree on the point, the evaluation dtype, the held inputs and the size of the model's
intermediates (the plan shown before a run is the plan the run uses).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ._tf import tf
from .errors import JacguiError
from .finite_diff import batched_function
from .handle import ModelHandle
from .job import JacobianJob, JacobianOptions
from .planning import Plan, make_plan
from .points import validate_point
from .precision import check_float64_copy
from .selection import GraphFacts, Selection, graph_facts, other_tensors, select
from .spec import TensorInfo
from .traces import TraceCache, TraceKey


def complete_point(model: ModelHandle, point: Any = None,
                   input: str | None = None) -> dict[str, np.ndarray]:
    """A value for every input: ``point`` for the selected one, defaults for the rest.

    ``point`` may be ``None`` (the default point), an array for ``input`` (the first input when
    ``None``), or a mapping from input names to arrays. Every value is validated.
    """
    values = dict(model.default_point)
    if point is None:
        pass
    elif isinstance(point, Mapping):
        for name in point:
            model.input(name)  # unknown names are an error, not silently ignored
        values.update(point)
    else:
        values[model.input(input).name] = point
    return {spec.name: _validated(values.get(spec.name), spec) for spec in model.inputs}


def _validated(value: Any, spec: TensorInfo) -> np.ndarray:
    # Live updates send the same well-formed array many times a second: skip the full parse.
    if (isinstance(value, np.ndarray) and value.shape == spec.shape and value.dtype.kind == "f"
            and np.isfinite(value).all()):
        return value
    return validate_point(np.zeros(spec.shape) if value is None else np.asarray(value), spec)


@dataclass(frozen=True, eq=False)
class Problem:
    """A model narrowed to ``f: R^n -> R^m`` at one point, in one evaluation dtype.

    Build one with :meth:`build` or :meth:`for_job`.

    Attributes
    ----------
    model : ModelHandle
    selection : Selection
        The narrowed batched function ``(B, n) -> (B, m)`` and its input and output.
    point : dict of str to ndarray
        Every input's validated value.
    held : tuple of tensors
        The inputs held fixed, in the evaluation dtype, in ``selection.others`` order.
    x : ndarray, shape (n,)
        The selected input at the point, flattened, float64.
    notes : tuple of str
        About the precision actually used (a float64 evaluation that was not possible).
    """

    model: ModelHandle
    selection: Selection
    point: dict[str, np.ndarray]
    held: tuple
    x: np.ndarray
    notes: tuple[str, ...] = ()

    @classmethod
    def build(cls, model: ModelHandle, point: Any = None, *, input: str | None = None,
              output: str | None = None, finite_differences: bool = False,
              dtype: str | None = None) -> Problem:
        """Narrow ``model`` at ``point`` (see :func:`complete_point`).

        Automatic differentiation runs in the model's precision. Finite differences
        (``finite_differences=True``) run in float64 where the model offers a float64 copy,
        unless ``dtype`` is ``"float32"``; when ``dtype`` is ``"float64"`` and the model is
        fixed at its saved precision, a note says so.
        """
        if dtype not in (None, "float32", "float64"):
            raise JacguiError(f"dtype must be float32 or float64, not {dtype!r}")
        values = complete_point(model, point, input)
        selection, notes = _selection(model, input, output, finite_differences, dtype)
        held = other_tensors(model, selection, values,
                             lambda spec: selection.dtype if spec.is_float else spec.dtype)
        x = values[selection.input.name].reshape(-1).astype(np.float64)
        return cls(model, selection, values, held, x, tuple(notes))

    @classmethod
    def for_job(cls, job: JacobianJob, method: str | None = None) -> Problem:
        """The problem of ``job``, for ``method`` (the job's own method by default)."""
        method = method or job.method
        return cls.build(job.model, job.point, input=job.input, output=job.output,
                         finite_differences=method.startswith("fd"), dtype=job.options.dtype)

    @property
    def n(self) -> int:
        """Flattened input size (Jacobian columns)."""
        return self.selection.n

    @property
    def m(self) -> int:
        """Flattened output size (Jacobian rows)."""
        return self.selection.m

    @property
    def dtype(self) -> str:
        """The evaluation dtype."""
        return self.selection.dtype

    @property
    def traces(self) -> TraceCache:
        """The model's cache of traced functions."""
        return self.model.traces

    def x_tensor(self) -> Any:
        """The point as a tensor in the evaluation dtype."""
        # Cast in numpy: tf.constant's own float64 -> float32 conversion is slower, and every
        # Jacobian pays it. The traced functions are called flat, so the dtype must match.
        return tf().constant(self.x.astype(self.dtype, copy=False))

    def facts(self) -> GraphFacts:
        """Activation size, gradient-cutting ops and vectorisation hazards; traced once."""
        return self.traces.get(self.selection.key("facts"),
                               lambda: graph_facts(self.selection, self.held))

    def activation_elements(self) -> int:
        """Float elements in one sample's intermediates: the one number that sizes chunks.

        A Keras model knows its layers' output shapes; anything else counts the traced graph.
        """

        def count() -> int:
            counted = _keras_activation_elements(self.model.source)
            if counted is None:
                counted = self.facts().elements
            return max(counted, self.n + self.m)

        return self.traces.get(self.selection.key("elements"), count)

    def plan(self, method: str, options: JacobianOptions, requested: str | None = None) -> Plan:
        """Method, chunking and memory estimate for ``method`` (``"auto"`` resolved here)."""
        return make_plan(method, self.m, self.n, np.dtype(self.dtype).itemsize,
                         self.activation_elements(), options.memory_budget,
                         requested or method, options.error_estimate)

    def checked_copy(self) -> Problem:
        """The same problem, unless its float64 copy does not reproduce the model here.

        Then it is the model's own problem, with a note saying why. The check
        (:func:`~jacgui.core.precision.check_float64_copy`) evaluates the model, once per point,
        so callers run it after the plan has accepted the job's size.
        """
        if self.selection.forward != "float64 copy":
            return self
        reference = Problem.build(self.model, self.point, input=self.selection.input.name,
                                  output=self.selection.output.name)
        reason = check_float64_copy(self.selection, self.held, reference.selection,
                                    reference.held, self.x, self.traces, self.model.source)
        if reason is None:
            return self
        note = (f"the float64 copy of the model is not used: {reason}; differences are "
                f"evaluated in {reference.dtype} (their error estimate says how far to trust "
                "them)")
        return replace(reference, notes=(*self.notes, *reference.notes, note))

    def evaluate(self, batch: np.ndarray) -> np.ndarray:
        """``f`` at each row of ``batch`` (shape (B, n)): (B, m), in the evaluation dtype."""
        function = batched_function(self.selection, self.held, self.traces)
        return function(np.asarray(batch, dtype=self.dtype), self.held).numpy()


def _selection(model: ModelHandle, input: str | None, output: str | None,
               finite_differences: bool, dtype: str | None) -> tuple[Selection, list[str]]:
    notes: list[str] = []
    forward = None
    if finite_differences and dtype != "float32":
        try:
            forward = model.float64_forward()
        except JacguiError as error:
            notes.append(f"float64 evaluation failed ({error}); used the model's precision")
        if forward is None and dtype == "float64" and not notes:
            notes.append("this model is fixed at its saved precision; differences use float32")
    in_name, out_name = model.input(input).name, model.output(output).name
    source = "model" if forward is None else "float64 copy"
    key = TraceKey("selection", in_name, out_name, forward=source)
    selection = model.traces.get(
        key, lambda: select(model, in_name, out_name, forward,
                            None if forward is None else "float64"))
    return selection, notes


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
