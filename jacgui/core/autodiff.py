"""Reverse and forward mode through cached, traced functions, in chunks.

Eager ``tape.jacobian`` retraces pfor on every call (about 100 ms even for a tiny MLP). Each
selection, mode, vectorisation and chunk length is traced once, to a concrete function with a
flat signature ``(x, [indices,] *held)``, called with its flat list of tensors: that skips
``tf.function``'s argument matching, and also the concrete function's own binding of its
structured signature, which costs a small model a tenth of its Jacobian.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._tf import tf
from .job import CancelToken
from .planning import Plan
from .selection import Selection
from .traces import TRACE_COUNTS, TraceCache, traced

__all__ = ["TRACE_COUNTS", "AutodiffTrace", "autodiff_jacobian", "jacobian_trace",
           "row_gradient"]

ChunkDone = Callable[[int], None]


@dataclass(frozen=True)
class AutodiffTrace:
    """A traced Jacobian function and what tracing it showed.

    Attributes
    ----------
    call : callable
        ``(x, *held)`` -> ``(f(x), J)`` for a single chunk; ``(x, indices, *held)`` ->
        ``(f(x), block)`` for chunks of rows (reverse) or columns (forward). Every argument
        is a tensor of the traced dtype and shape: nothing is converted or checked.
    connected : bool
        False when TensorFlow found no differentiable path at all (a ``None`` gradient).
    """

    call: Callable[..., Any]
    connected: bool


def jacobian_trace(selection: Selection, held: tuple, traces: TraceCache, method: str,
                   vectorised: bool = True, chunk: int | None = None) -> AutodiffTrace:
    """The cached trace for ``method`` (``"reverse"`` or ``"forward"``).

    ``vectorised=False`` loops over rows (reverse) or columns (forward) in a ``while_loop``
    instead of vectorising with pfor; ``chunk`` is the number of rows or columns per call
    (``None``: the whole Jacobian in one call). Tracing errors propagate.
    """

    def build() -> AutodiffTrace:
        links = {"connected": True}  # filled in while tracing
        maker = _reverse_body if method == "reverse" else _forward_body
        body = maker(selection, vectorised, links)
        tf_ = tf()
        x_spec = tf_.TensorSpec((selection.n,), selection.dtype)
        held_specs = [tf_.TensorSpec(v.shape, v.dtype) for v in held]
        if chunk is None:

            def single(x: Any, *others: Any) -> Any:
                # f(x) is a by-product of both modes; returning it costs no extra pass, and as
                # its own tensor no copy of J (packing both into one tensor copied J).
                return body(x, None, others)

            function = traced(method, single)
            concrete = function.get_concrete_function(x_spec, *held_specs)
        else:

            def chunked(x: Any, indices: Any, *others: Any) -> Any:
                return body(x, indices, others)

            function = traced(method, chunked)
            index_spec = tf_.TensorSpec((chunk,), tf_.int32)
            concrete = function.get_concrete_function(x_spec, index_spec, *held_specs)
        return AutodiffTrace(_flat_caller(concrete), links["connected"])

    return traces.get(selection.key(method, vectorised, chunk), build)


def _flat_caller(concrete: Any) -> Callable[..., Any]:
    """Call ``concrete`` with its flat tensor arguments, as its own ``__call__`` ends up doing.

    ``ConcreteFunction.__call__`` binds the arguments to the structured signature and converts
    them on every call: 50-60 us, a tenth of a small model's whole Jacobian. The flat call it
    ends in is TensorFlow's private ``_call_flat(tensor_inputs, captured_inputs)``; where a
    TensorFlow version no longer has it in that form, the public call is used.
    """
    call_flat = getattr(concrete, "_call_flat", None)
    try:
        parameters = list(inspect.signature(call_flat).parameters) if call_flat else []
    except (TypeError, ValueError):
        parameters = []
    if parameters != ["tensor_inputs", "captured_inputs"]:
        return concrete

    def call(*tensors: Any) -> Any:
        return call_flat(list(tensors), concrete.captured_inputs)

    return call


def _reverse_body(selection: Selection, vectorised: bool, links: dict) -> Callable[..., Any]:
    fn, n = selection.fn, selection.n
    tf_ = tf()  # resolved here: AutoGraph would try to convert the lazy importer when traced

    def reverse(x: Any, rows: Any, others: tuple) -> tuple[Any, Any]:
        # experimental_use_pfor=False requires a persistent tape (TF raises otherwise).
        with tf_.GradientTape(persistent=not vectorised) as tape:
            tape.watch(x)
            y = fn(x[None], others)[0]
            target = y if rows is None else tf_.gather(y, rows)
        jac = tape.jacobian(target, x, experimental_use_pfor=vectorised)
        links["connected"] = jac is not None
        if jac is None:
            jac = tf_.zeros((tf_.size(target), n), x.dtype)
        return y, jac

    return reverse


def _forward_body(selection: Selection, vectorised: bool, links: dict) -> Callable[..., Any]:
    fn, n, m = selection.fn, selection.n, selection.m
    tf_ = tf()

    def forward(x: Any, cols: Any, others: tuple) -> tuple[Any, Any]:
        if cols is None:
            tangents = tf_.eye(n, dtype=x.dtype)
        else:
            tangents = tf_.one_hot(cols, n, dtype=x.dtype)

        def jvp(tangent: Any) -> tuple[Any, Any]:
            with tf_.autodiff.ForwardAccumulator(x, tangent) as acc:
                y = fn(x[None], others)[0]
            column = acc.jvp(y)
            if column is None:
                links["connected"] = False
                column = tf_.zeros_like(y)
            return y, column

        if vectorised:
            # y does not depend on the tangent, so pfor computes the primal pass once.
            ys, columns = tf_.vectorized_map(jvp, tangents)
        else:
            spec = tf_.TensorSpec((m,), x.dtype)
            ys, columns = tf_.map_fn(jvp, tangents, fn_output_signature=(spec, spec))
        return ys[0], tf_.transpose(columns)

    return forward


def _padded(start: int, chunk: int, total: int) -> Any:
    # A fixed chunk length keeps one trace for every chunk; the tail repeats the last index.
    return tf().constant(np.minimum(np.arange(start, start + chunk, dtype=np.int32), total - 1))


def autodiff_jacobian(
    selection: Selection, x: Any, held: tuple, plan: Plan, traces: TraceCache,
    cancel: CancelToken | None, chunk_done: ChunkDone, vectorised: bool = True,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Run reverse or forward mode (``plan.method``) at the tensor ``x``.

    Returns
    -------
    outputs : ndarray (m,)
    matrix : ndarray (m, n)
    connected : bool
        False when TensorFlow found no differentiable path at all (a ``None`` gradient).
    """
    reverse = plan.method == "reverse"
    if plan.n_chunks == 1:
        if cancel is not None:
            cancel.raise_if_cancelled()
        trace = jacobian_trace(selection, held, traces, plan.method, vectorised)
        y, jac = trace.call(x, *held)
        chunk_done(1)
        return y.numpy(), jac.numpy(), trace.connected
    trace = jacobian_trace(selection, held, traces, plan.method, vectorised, plan.chunk)
    total = selection.m if reverse else selection.n
    pieces, outputs = [], None
    for index in range(plan.n_chunks):
        if cancel is not None:
            cancel.raise_if_cancelled()
        start = index * plan.chunk
        y, block = trace.call(x, _padded(start, plan.chunk, total), *held)
        if outputs is None:
            outputs = y.numpy()
        size = min(total, start + plan.chunk) - start
        # Reverse chunks are blocks of rows, forward chunks blocks of columns.
        block = block.numpy()
        pieces.append(block[:size] if reverse else block[:, :size])
        chunk_done(index + 1)
    matrix = np.concatenate(pieces, axis=0 if reverse else 1)
    return outputs, matrix, trace.connected


def row_gradient(selection: Selection, traces: TraceCache) -> Callable[[Any, tuple, int], Any]:
    """Cached traced ``(x, held, row) -> d y[row] / d x``; the row is a tensor, so no retrace."""

    def build() -> Any:
        fn, tf_ = selection.fn, tf()

        def gradient(x: Any, others: tuple, row: Any) -> Any:
            with tf_.GradientTape() as tape:
                tape.watch(x)
                y = fn(x[None], others)[0][row]
            g = tape.gradient(y, x)
            return tf_.zeros_like(x) if g is None else g

        return traced("row-gradient", gradient)

    function = traces.get(selection.key("row-gradient"), build)
    return lambda x, others, row: function(x, others, tf().constant(row, tf().int32))
