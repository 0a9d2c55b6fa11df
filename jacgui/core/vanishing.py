"""The note for a Jacobian that is zero, or nearly, at the point.

A heatmap of zeros looks like a bug; usually it is the point. Every ReLU of a network at an
all-zero input (with zero biases) sits on its kink and passes nothing on, a saturated tanh or
sigmoid is flat, a clipped output does not move.
"""

from __future__ import annotations

import numpy as np

#: A Jacobian is "nearly zero" when no input moves any output by more than this fraction of
#: the outputs' size: finite differences of a constant resolve about 1e-13 of |f| in float64,
#: so a real derivative stands well above it.
VANISHING_RATIO = 1e-10


def vanishing_jacobian_note(matrix: np.ndarray, outputs: np.ndarray,
                            point: np.ndarray | None = None) -> str | None:
    """A one-line note when every derivative vanishes, or ``None``.

    Parameters
    ----------
    matrix : ndarray (m, n)
        The Jacobian; non-finite cells are left out (they have their own warning).
    outputs : ndarray (m,)
        ``f(x)``, whose largest magnitude sets the scale.
    point : ndarray (n,), optional
        ``x``: the change of f is measured per unit of ``max(1, |x_j|)``, as FD steps are.

    Returns
    -------
    str or None
        The note for an exactly zero Jacobian, or one below ``VANISHING_RATIO`` of ``|f|``.
    """
    matrix = np.asarray(matrix)
    if matrix.size == 0:
        return None
    values = np.asarray(outputs, dtype=np.float64)
    scale = float(np.abs(values[np.isfinite(values)]).max(initial=0.0))
    # The usual case, settled by two reductions and no copies: every cell's reach is at least
    # |J_ij|, so one cell above the threshold means no note. The exact path below makes float64
    # copies of J, milliseconds on a 512 x 512 Jacobian, which every call would pay.
    peak = float(max(matrix.max(), -matrix.min()))
    if np.isfinite(peak) and peak > VANISHING_RATIO * scale:
        return None
    matrix = matrix.astype(np.float64, copy=False)
    finite = np.isfinite(matrix)
    if not finite.any():
        return None
    reach = np.abs(np.where(finite, matrix, 0.0))
    if point is not None:
        reach = reach * np.maximum(1.0, np.abs(np.asarray(point, np.float64).reshape(-1)))
    largest = float(reach.max())
    at_zero = point is not None and not np.any(np.asarray(point))
    cause = ("at an all-zero input every ReLU sits on its kink" if at_zero else
             "the activations are switched off or saturated here, as with untrained weights "
             "or an input outside the range the model expects")
    advice = f"every derivative vanishes at this point: {cause}; try another point"
    if largest == 0.0:
        return f"the Jacobian is exactly zero; {advice}"
    if largest <= VANISHING_RATIO * scale:
        return (f"the Jacobian is nearly zero (its largest change of f, {largest:.2g}, is below "
                f"{VANISHING_RATIO:g} of |f| = {scale:.2g}); {advice}")
    return None
