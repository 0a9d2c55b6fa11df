"""Whether finite differences may extrapolate: has the function kinks along the input.

Richardson extrapolation assumes f is smooth over the wider step 2h ~ 1.5e-3 |x| (float64).
A piecewise-linear network (ReLU, max-pooling, clipping) is not: a step that crosses one of its
kinks is wrong by a fraction of the slope change, and with thousands of units a step that size
crosses one in a good share of the columns (12 % of the cells of the bundled digits CNN). Between
kinks such a function is exactly linear, so the plain central difference has no truncation
error at all and its smaller step ``eps^(1/3) |x|`` rarely meets a kink: for these models the
plain difference is the accurate one.

The traced graph is scanned for piecewise-linear ops whose value depends on the input being
differentiated (a ``Maximum`` of two constants, as in a Normalization layer, does not count).
Ops inside called functions (SavedModels) are counted whenever the call depends on the input.
"""

from __future__ import annotations

from typing import Any

from .finite_diff import Stencil, batched_function, fd_stencil
from .selection import Selection
from .traces import TraceCache

#: Op types whose output is piecewise linear (or piecewise) in their input.
KINKED_OPS = frozenset({
    "Relu", "Relu6", "LeakyRelu", "Elu", "Selu", "MaxPool", "MaxPoolV2", "MaxPool3D",
    "MaxPoolWithArgmax", "Max", "Min", "Maximum", "Minimum", "Abs", "ClipByValue", "Sign",
    "Select", "SelectV2",
})  # fmt: skip
_CALLS = frozenset({"PartitionedCall", "StatefulPartitionedCall", "While", "StatelessWhile",
                    "If", "StatelessIf", "Case", "StatelessCase"})


def kinked_ops(selection: Selection, others: tuple, traces: TraceCache) -> tuple[str, ...]:
    """The piecewise-linear op types on the input's path through ``selection``, sorted."""

    def scan() -> tuple[str, ...]:
        graph = batched_function(selection, others, traces).get_concrete_function().graph
        return _dependent_kinks(graph)

    return traces.get(selection.key("kinks"), scan)


def choose_stencil(selection: Selection, others: tuple, traces: TraceCache, central: bool,
                   error_estimate: bool = True,
                   richardson: bool | None = None) -> tuple[Stencil, str]:
    """The stencil finite differences use for ``selection``, and why, if the model decided.

    ``richardson=None`` extrapolates wherever :func:`~jacgui.core.finite_diff.fd_stencil`
    can, unless :func:`kinked_ops` finds kinks; ``True`` or ``False`` is followed as asked.
    The reason is empty unless kinks turned extrapolation off.
    """
    possible = fd_stencil(central, selection.dtype, error_estimate)
    if richardson is not None or not possible.extrapolated:
        return fd_stencil(central, selection.dtype, error_estimate, richardson is not False), ""
    kinks = kinked_ops(selection, others, traces)
    if not kinks:
        return possible, ""
    return (fd_stencil(central, selection.dtype, error_estimate, False),
            f"not extrapolated: the model has kinks ({', '.join(kinks)}), where a small plain "
            "step is exact")


def _dependent_kinks(graph: Any) -> tuple[str, ...]:
    # Operations come in creation order, which is a topological order of a traced graph.
    # Only float values carry the input's value: shapes, sizes and indices derived from it
    # (batch-size arithmetic, vectorised-map bookkeeping) do not, and their Max or Select ops
    # are no kinks of f.
    dependent = {graph.inputs[0].ref()}
    found: set[str] = set()
    calls_depend = False
    for op in graph.get_operations():
        if not any(tensor.ref() in dependent for tensor in op.inputs):
            continue
        floats = [tensor for tensor in op.outputs if tensor.dtype.is_floating]
        dependent.update(tensor.ref() for tensor in floats)
        if op.type in KINKED_OPS and floats:
            found.add(op.type)
        calls_depend |= op.type in _CALLS
    if calls_depend:
        for function in graph.as_graph_def().library.function:
            found.update(node.op for node in function.node_def if node.op in KINKED_OPS)
    return tuple(sorted(found))
