"""The function being differentiated: one input to one output, other inputs held fixed.

A model's batched ``forward`` is narrowed to ``f(x_flat_batch) -> y_flat_batch`` with shapes
(B, n) -> (B, m). The other inputs travel as traced arguments rather than constants, so a new
point never retraces the cached ``tf.function``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._tf import tf
from .errors import NotDifferentiableError
from .handle import ForwardFn, ModelHandle
from .spec import TensorInfo
from .traces import TraceKey, traced

# Ops that pass no gradient from a float input: a Jacobian that flows through them is a lie.
# Only nodes whose input is a float count, since shape arithmetic uses the same ops on ints.
NON_DIFFERENTIABLE_OPS = frozenset(
    {
        "ArgMax", "ArgMin", "Round", "Floor", "Ceil", "Rint", "StopGradient", "FloorDiv",
        "FloorMod", "TopKV2", "Bucketize", "PreventGradient",
    }
)  # fmt: skip
# Ops whose vectorised (pfor) Jacobian crashes the process (free(): invalid pointer, SIGSEGV)
# or silently returns wrong numbers under TensorFlow 2.21's oneDNN CPU kernels: Keras
# attention, EinsumDense and any batched matmul lower to these. Non-vectorised Jacobians and
# oneDNN off are both correct (benchmarks/onednn_attention.py reproduces it in subprocesses).
VECTORISATION_HAZARDS = frozenset({"BatchMatMul", "BatchMatMulV2", "BatchMatMulV3", "Einsum"})
# Weights and constants are paid for once, not per Jacobian row.
_NOT_ACTIVATIONS = frozenset({"ReadVariableOp", "VarHandleOp", "Const", "Placeholder"})


@dataclass(frozen=True)
class Selection:
    """Which input and output are differentiated, and the narrowed function."""

    input: TensorInfo
    output: TensorInfo
    others: tuple[str, ...]
    fn: Callable[[Any, tuple], Any]
    dtype: str
    forward: str = "model"  # which forward function ``fn`` calls: "model" or "float64 copy"

    def key(self, kind: str, *variant: Hashable) -> TraceKey:
        """The cache key of a ``kind`` of traced function built on this selection."""
        return TraceKey(kind, self.input.name, self.output.name, self.dtype, self.forward,
                        variant)

    @property
    def n(self) -> int:
        """Flattened input size."""
        return self.input.size

    @property
    def m(self) -> int:
        """Flattened output size."""
        return self.output.size


def select(model: ModelHandle, input_name: str | None, output_name: str | None,
           forward: ForwardFn | None = None, dtype: str | None = None) -> Selection:
    """Narrow ``model`` to ``f: (B, n) -> (B, m)`` for one input and one output.

    ``forward`` replaces the model's own forward function (its float64 copy), ``dtype`` the
    input's dtype as the evaluation dtype.
    """
    in_spec = model.input(input_name)
    out_spec = model.output(output_name)
    if not in_spec.is_float:
        raise NotDifferentiableError(
            f"input {in_spec.name!r} is {in_spec.dtype}: integer inputs cannot be differentiated "
            "(an Embedding looks up rows, it has no slope); choose a float input"
        )
    source = "model" if forward is None else "float64 copy"
    forward = forward or model.forward
    dtype = dtype or in_spec.dtype
    others = tuple(s.name for s in model.inputs if s.name != in_spec.name)
    in_shape, out_name, m = tuple(in_spec.shape), out_spec.name, out_spec.size
    tf_ = tf()  # resolved here: AutoGraph would try to convert the lazy importer when traced

    def fn(x_batch: Any, other_values: tuple) -> Any:
        batch = tf_.shape(x_batch)[0]
        feeds = {in_spec.name: tf_.reshape(x_batch, (-1, *in_shape))}
        for name, value in zip(others, other_values, strict=True):
            feeds[name] = tf_.repeat(value[None], batch, axis=0)
        y = forward(feeds)[out_name]
        return tf_.reshape(tf_.cast(y, x_batch.dtype), (-1, m))

    return Selection(in_spec, out_spec, others, fn, dtype, source)


def other_tensors(model: ModelHandle, selection: Selection, point: Mapping[str, np.ndarray],
                  dtype_for: Callable[[TensorInfo], str] | None = None) -> tuple:
    """The held-fixed inputs as tensors in the order ``selection.fn`` expects."""
    values = []
    for name in selection.others:
        spec = model.input(name)
        dtype = dtype_for(spec) if dtype_for else spec.dtype
        values.append(tf().constant(np.asarray(point[name]), dtype=dtype))
    return tuple(values)


@dataclass(frozen=True)
class GraphFacts:
    """What one trace of ``f`` at batch 1 shows.

    Attributes
    ----------
    elements : int
        Float elements of all intermediates of one sample, for sizing chunks.
    suspects : tuple of str
        Gradient-cutting ops on float values (``Round``, ``Cast to int32``...): they explain
        zero gradients.
    hazards : tuple of str
        Ops in :data:`VECTORISATION_HAZARDS`.
    """

    elements: int
    suspects: tuple[str, ...]
    hazards: tuple[str, ...]


def graph_facts(selection: Selection, others: tuple) -> GraphFacts:
    """Trace ``f`` once at batch 1 and read its ops.

    Ops nested in called functions (SavedModels) are included through the graph's function
    library.
    """
    x_spec = tf().TensorSpec((1, selection.n), selection.dtype)
    other_specs = tuple(tf().TensorSpec(v.shape, v.dtype) for v in others)
    concrete = traced("facts", selection.fn).get_concrete_function(x_spec, other_specs)
    elements = 0
    for op in concrete.graph.get_operations():
        if op.type in _NOT_ACTIVATIONS:
            continue
        for out in op.outputs:
            if out.dtype.is_floating and out.shape.is_fully_defined():
                elements += int(np.prod(out.shape.as_list()))
    graph_def = concrete.graph.as_graph_def()
    nodes = list(graph_def.node)
    for function in graph_def.library.function:
        nodes.extend(function.node_def)
    suspects, hazards = set(), set()
    for node in nodes:
        if node.op in NON_DIFFERENTIABLE_OPS and _float_attr(node, "T"):
            suspects.add(node.op)
        elif node.op == "Cast" and _float_attr(node, "SrcT"):
            target = tf().dtypes.as_dtype(node.attr["DstT"].type)
            if target.is_integer or target.is_bool:
                suspects.add(f"Cast to {target.name}")
        elif node.op in VECTORISATION_HAZARDS:
            hazards.add(node.op)
    op_types = {node.op for node in nodes}
    if any(op in op_types for op in ("PartitionedCall", "StatefulPartitionedCall")):
        # Intermediates inside called functions are invisible to the loop above.
        elements = max(elements, 16 * (selection.n + selection.m))
    return GraphFacts(max(elements, selection.n + selection.m), tuple(sorted(suspects)),
                      tuple(sorted(hazards)))


def _float_attr(node: Any, key: str) -> bool:
    # Ops without the dtype attribute (StopGradient has T; Bucketize has T) count as suspect.
    if key not in node.attr:
        return True
    return bool(tf().dtypes.as_dtype(node.attr[key].type).is_floating)
