"""Telling "does not depend on" apart from "is not differentiable".

TensorFlow answers both with a ``None`` gradient. Zeros are right for the first and a lie for
the second, so the engine looks at the traced graph for gradient-cutting ops and, when the
graph is silent, probes the model with finite perturbations.
"""

from __future__ import annotations

import numpy as np

from .errors import NotDifferentiableError
from .finite_diff import batched_function
from .selection import Selection
from .traces import TraceCache

# Several scales, because piecewise-constant ops (round, argmax) only move at their jumps.
_PROBE_SCALES = (1e-6, 1e-3, 1e-1)


def output_moves(selection: Selection, x: np.ndarray, others: tuple, traces: TraceCache) -> bool:
    """Whether perturbing the input in random directions changes the output at all."""
    rng = np.random.default_rng(0)
    direction = rng.standard_normal((len(_PROBE_SCALES), selection.n))
    scale = np.maximum(1.0, np.abs(x))[None, :] * np.asarray(_PROBE_SCALES)[:, None]
    x_eval = x.astype(selection.dtype)
    batch = np.concatenate([x_eval[None], x_eval + direction * scale]).astype(selection.dtype)
    values = batched_function(selection, others, traces)(batch, others).numpy()
    with np.errstate(invalid="ignore"):
        return bool(np.any(np.abs(values[1:] - values[0]) > 0))


def explain_disconnected(selection: Selection, x: np.ndarray, others: tuple,
                         traces: TraceCache, suspects: tuple[str, ...]) -> str:
    """Raise for a cut gradient path; return a warning when the output truly ignores the input."""
    names = f"output {selection.output.name!r} and input {selection.input.name!r}"
    if suspects:
        raise NotDifferentiableError(
            f"no gradient path between {names}: it is cut by {', '.join(suspects)}; "
            "automatic differentiation would report zeros that are wrong here, so use finite "
            "differences (method fd-central) for a secant estimate"
        )
    if output_moves(selection, x, others, traces):
        raise NotDifferentiableError(
            f"no gradient path between {names}, yet the output changes when the input does: "
            "the model uses an op without a gradient; use finite differences (method fd-central)"
        )
    return f"{names}: the output does not depend on this input, so every derivative is 0"


def zero_column_warning(matrix: np.ndarray, suspects: tuple[str, ...]) -> str | None:
    """Warn when all-zero columns coexist with gradient-cutting ops in the graph."""
    if not suspects or matrix.size == 0:
        return None
    zero_columns = int(np.sum(np.all(matrix == 0, axis=0)))
    if zero_columns == 0:
        return None
    return (
        f"{zero_columns} input(s) have an all-zero gradient and the model contains "
        f"{', '.join(suspects)}, which passes no gradient: those zeros may be wrong; "
        "compare with fd-central"
    )
