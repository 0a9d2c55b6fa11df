"""Per-sample Jacobians of a batch of independent points, in one cached ``tf.function``.

Reverse mode is ``tape.batch_jacobian`` (m <= n); forward mode is a vectorised JVP per input
over the whole batch (m > n). Both return ``(y, J, connected)`` with ``J`` of shape (B, m, n).
Models with ops that vectorised Jacobians mishandle under oneDNN (attention, batched matmuls)
loop over rows or columns instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tf import onednn_enabled, tf
from ..errors import JacobianTooLargeError
from ..problem import Problem
from ..selection import Selection
from ..traces import traced


def batch_size_for(m: int, n: int, elements: int, reverse: bool, dtype: str, budget: int) -> int:
    """Samples per batch so that one batch fits ``budget`` bytes."""
    itemsize = np.dtype(dtype).itemsize
    # Per sample: the (m, n) Jacobian (twice: TF and float64 copies) plus the vectorised pass,
    # about 3 copies of every intermediate per Jacobian row (reverse) or column (forward).
    per_sample = (2 * m * n + 3 * elements * (m if reverse else n)) * max(itemsize, 8)
    if per_sample > budget:
        raise JacobianTooLargeError(
            f"one sample's {m}x{n} Jacobian needs about {per_sample / 2**20:.1f} MiB, more than "
            f"the memory budget of {budget / 2**20:.1f} MiB; raise the budget")
    return max(1, budget // per_sample)


class BatchJacobian:
    """Per-sample Jacobians of a batch: ``(x (B, n), held) -> (y, J (B, m, n), connected)``.

    Forward mode through some layers fails inside TensorFlow (Keras LSTM/GRU: "dtype variant
    not compatible with int64"); it then switches to reverse mode for good, and ``method``
    says which mode ran.
    """

    def __init__(self, problem: Problem, reverse: bool) -> None:
        self._problem = problem
        failed = problem.selection.key("batch-forward failed")
        self.method = "reverse" if reverse or failed in problem.traces else "forward"

    def _function(self) -> Any:
        problem = self._problem
        vectorised = not (problem.facts().hazards and onednn_enabled())
        key = problem.selection.key(f"batch-{self.method}", vectorised)
        reverse = self.method == "reverse"
        return problem.traces.get(key, lambda: _build(problem.selection, reverse, vectorised))

    def __call__(self, x: Any, held: tuple) -> tuple[Any, Any, Any]:
        """Outputs (B, m), Jacobians (B, m, n) and whether any gradient path exists."""
        if self.method == "reverse":
            return self._function()(x, held)
        try:
            return self._function()(x, held)
        except Exception:  # TensorFlow's failure, or the model's: reverse mode tells which
            self.method = "reverse"
            result = self._function()(x, held)
            self._problem.traces.replace(
                self._problem.selection.key("batch-forward failed"), True)
            return result


def batch_jacobian_function(problem: Problem, reverse: bool) -> BatchJacobian:
    """The batched Jacobian of ``problem``'s selection in reverse or forward mode."""
    return BatchJacobian(problem, reverse)


def _build(selection: Selection, reverse: bool, vectorised: bool) -> Any:
    fn, n, m = selection.fn, selection.n, selection.m
    tf_ = tf()  # resolved here: AutoGraph would try to convert the lazy importer when traced

    def batch_reverse(x: Any, others: tuple) -> tuple[Any, Any, Any]:
        # experimental_use_pfor=False requires a persistent tape (TF raises otherwise).
        with tf_.GradientTape(persistent=not vectorised) as tape:
            tape.watch(x)
            y = fn(x, others)
        jac = tape.batch_jacobian(y, x, experimental_use_pfor=vectorised)
        if jac is None:
            return y, tf_.zeros((tf_.shape(x)[0], tf_.shape(y)[1], n), x.dtype), tf_.constant(False)
        return y, jac, tf_.constant(True)

    def batch_forward(x: Any, others: tuple) -> tuple[Any, Any, Any]:
        connected = [True]

        def jvp(tangent: Any) -> tuple[Any, Any]:
            with tf_.autodiff.ForwardAccumulator(x, tf_.broadcast_to(tangent, tf_.shape(x))) as acc:
                y = fn(x, others)
            column = acc.jvp(y)
            if column is None:
                connected[0] = False
                column = tf_.zeros_like(y)
            return y, column

        tangents = tf_.eye(n, dtype=x.dtype)
        if vectorised:
            ys, columns = tf_.vectorized_map(jvp, tangents)  # (n, B, m) each
        else:
            spec = tf_.TensorSpec((None, m), x.dtype)
            ys, columns = tf_.map_fn(jvp, tangents, fn_output_signature=(spec, spec))
        return ys[0], tf_.transpose(columns, (1, 2, 0)), tf_.constant(connected[0])

    if reverse:
        return traced("batch-reverse", batch_reverse)
    return traced("batch-forward", batch_forward)
