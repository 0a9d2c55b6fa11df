"""Reverse and forward mode through cached ``tf.function`` traces, in chunks.

Eager ``tape.jacobian`` retraces pfor on every call (about 100 ms even for a tiny MLP); one
cached trace per model, method, selection and chunk shape costs about 0.5 ms per call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._tf import tf
from .job import CancelToken
from .planning import Plan
from .selection import Selection
from .traces import TRACE_COUNTS, TraceCache, traced

__all__ = ["TRACE_COUNTS", "autodiff_jacobian", "row_gradient"]

ChunkDone = Callable[[int], None]


def _build_reverse(selection: Selection, use_pfor: bool, links: dict, chunked: bool) -> Any:
    fn, n = selection.fn, selection.n
    tf_ = tf()  # resolved here: AutoGraph would try to convert the lazy importer when traced

    def reverse(x: Any, rows: Any, others: tuple) -> tuple[Any, Any]:
        # experimental_use_pfor=False requires a persistent tape (TF raises otherwise).
        with tf_.GradientTape(persistent=not use_pfor) as tape:
            tape.watch(x)
            y = fn(x[None], others)[0]
            target = y if rows is None else tf_.gather(y, rows)
        jac = tape.jacobian(target, x, experimental_use_pfor=use_pfor)
        # Known while tracing, so it costs nothing per call.
        links["connected"] = jac is not None
        if jac is None:
            jac = tf_.zeros((tf_.size(target), n), x.dtype)
        return y, jac

    return _flat_function("reverse", reverse, chunked)


def _flat_function(kind: str, body: Any, chunked: bool) -> Any:
    # Positional tensors only: dispatching on an empty tuple or a None costs as much as a small
    # model's whole Jacobian (measured +0.12 ms on a 784-256-256-10 MLP).
    if chunked:
        return traced(kind, lambda x, index, *others: body(x, index, others))
    tf_ = tf()

    def single(x: Any, *others: Any) -> Any:
        y, jac = body(x, None, others)
        # One (m, n + 1) tensor instead of two: every returned tensor costs tens of
        # microseconds of dispatch, a tenth of a small model's Jacobian.
        return tf_.concat([jac, y[:, None]], axis=1)

    return traced(kind, single)


def _build_forward(selection: Selection, links: dict, chunked: bool) -> Any:
    fn, n = selection.fn, selection.n
    tf_ = tf()

    def forward(x: Any, cols: Any, others: tuple) -> tuple[Any, Any]:
        if cols is None:
            tangents = tf_.eye(n, dtype=x.dtype)
        else:
            tangents = tf_.one_hot(cols, n, dtype=x.dtype)
        links["connected"] = True

        def jvp(tangent: Any) -> tuple[Any, Any]:
            with tf_.autodiff.ForwardAccumulator(x, tangent) as acc:
                y = fn(x[None], others)[0]
            column = acc.jvp(y)
            if column is None:
                links["connected"] = False
                column = tf_.zeros_like(y)
            return y, column

        # y does not depend on the tangent, so pfor keeps a single copy of the primal pass.
        ys, columns = tf_.vectorized_map(jvp, tangents)
        return ys[0], tf_.transpose(columns)

    return _flat_function("forward", forward, chunked)


def _call(function: Any, args: tuple, single: bool) -> tuple[np.ndarray, np.ndarray]:
    """Outputs and Jacobian block as numpy arrays, unpacking the single-chunk form."""
    if single:
        packed = function(*args).numpy()
        return packed[:, -1].copy(), np.ascontiguousarray(packed[:, :-1])
    y, block = function(*args)
    return y.numpy(), block.numpy()


def _padded(start: int, chunk: int, total: int) -> np.ndarray:
    # A fixed chunk length keeps one trace for every chunk; the tail repeats the last index.
    return np.minimum(np.arange(start, start + chunk, dtype=np.int32), total - 1)


def autodiff_jacobian(
    selection: Selection, x: Any, others: tuple, plan: Plan, traces: TraceCache,
    cancel: CancelToken | None, chunk_done: ChunkDone,
) -> tuple[np.ndarray, np.ndarray, bool, str]:
    """Run reverse or forward mode for ``plan``.

    Returns
    -------
    outputs : ndarray (m,)
    matrix : ndarray (m, n)
    connected : bool
        False when TensorFlow found no differentiable path at all (a ``None`` gradient).
    note : str
        Non-empty when a fallback was used.
    """
    reverse = plan.method == "reverse"
    total = selection.m if reverse else selection.n
    single = plan.n_chunks == 1
    note = ""
    links = traces.get(selection.key("links", plan.method, single), lambda: {"connected": True})
    failed_key = selection.key("pfor-failed", plan.method, single)
    if failed_key in traces:
        function = traces.get(selection.key(plan.method, False, single),
                              lambda: _build_reverse(selection, False, links, not single))
        note = "pfor could not vectorise this model; used a loop"
    elif reverse:
        function = traces.get(selection.key(plan.method, True, single),
                              lambda: _build_reverse(selection, True, links, not single))
    else:
        function = traces.get(selection.key(plan.method, True, single),
                              lambda: _build_forward(selection, links, not single))
    pieces, outputs, connected = [], None, True
    for index in range(plan.n_chunks):
        if cancel is not None:
            cancel.raise_if_cancelled()
        start = index * plan.chunk
        args = (x, *others) if single else (x, _padded(start, plan.chunk, total), *others)
        try:
            y, block = _call(function, args, single)
        except (ValueError, TypeError, tf().errors.OpError) as error:
            if not reverse or failed_key in traces:
                raise
            # pfor cannot vectorise some ops (py_function, some custom kernels): loop instead.
            traces.replace(failed_key, True)
            function = traces.get(selection.key(plan.method, False, single),
                                  lambda: _build_reverse(selection, False, links, not single))
            note = f"pfor could not vectorise this model ({type(error).__name__}); used a loop"
            y, block = _call(function, args, single)
        if outputs is None:
            outputs = y
        connected = connected and links["connected"]
        end = min(total, start + plan.chunk)
        if not single:
            # Reverse chunks are blocks of rows, forward chunks blocks of columns.
            block = block[: end - start] if reverse else block[:, : end - start]
        pieces.append(block)
        chunk_done(index + 1)
    matrix = pieces[0] if single else np.concatenate(pieces, axis=0 if reverse else 1)
    return outputs, matrix, connected, note


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
