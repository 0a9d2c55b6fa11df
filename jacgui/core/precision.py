"""Whether a float64 copy of a model may stand in for the model at a point.

Finite differences run on a float64 copy where one exists, but a copy rebuilt from config can
differ from the model it copies (state the rebuild missed), or compute part of the way in
float32 despite its float64 outputs (a custom layer that casts). Both are checked at the point
actually differentiated, with one batch-1 call of the model and one batch-5 call of the copy:

1. **Same function.** ``|f64(x) - f(x)|`` must stay within the model's own rounding,
   ``max(REFERENCE_RTOL, 16 eps_model) * scale``. The scale is the largest of ``|f|`` and of
   ``|df|`` per unit relative change of x, so a row that is a small difference of large
   activations is judged at the size of its terms. ``REFERENCE_RTOL`` (1e-4, about 840
   float32 ulps) lies far above what float32 rounding does to a deep network (measured: at
   most 2e-6 of that scale on a 16-layer CNN with BatchNorm, 5e-7 on a 30-layer tanh MLP,
   4e-7 or less on the bundled demos) and far below what lost state does (an adapted
   Normalization that forgets its mean of 1000 is off by 50x); ``eps_model`` is the epsilon
   of the narrowest dtype the model computes in (a float16 model differs from its copy by
   2e-4 of that scale, within 16 eps_float16 = 1.6e-2).
2. **Really float64.** Offsets of 2^-32 relative to ``max(1, |x_j|)`` are invisible to float32
   arithmetic, offsets of 2^-20 are not. In a float64 copy the first moves f by 2^-12 of what
   the second does (f is linear at that scale); a copy that rounds to float32 inside does not
   move at all, or jumps by whole float32 ulps. Outputs whose predicted move is too small to
   rise above float64 round-off do not vote; the copy fails when most of those that do are
   off by more than half.
"""

from __future__ import annotations

import numpy as np

from .finite_diff import batched_function
from .loaders.float64 import lowest_precision
from .reasons import short_reason
from .selection import Selection
from .traces import TraceCache

#: Largest relative difference between the model and its float64 copy that counts as rounding.
REFERENCE_RTOL = 1e-4
_SMALL, _LARGE = 2.0**-32, 2.0**-20
# A predicted move must exceed this many float64 ulps of the scale to vote in check 2: then
# float64 round-off (a few ulps of the largest activations) cannot fake a mismatch.
_VOTE_ULPS = 1e5
_DIRECTIONS = 2


def check_float64_copy(copy: Selection, copy_others: tuple, reference: Selection,
                       reference_others: tuple, x: np.ndarray, traces: TraceCache,
                       source: object = None) -> str | None:
    """Why the float64 ``copy`` may not replace ``reference`` at ``x``, or ``None`` if it may.

    Parameters
    ----------
    copy, reference : Selection
        The same input and output of the float64 copy and of the model itself.
    copy_others, reference_others : tuple
        The held inputs, as each selection expects them.
    x : ndarray (n,)
        The point, flattened.
    traces : TraceCache
        The model's trace cache.
    source : object, optional
        The model object (a Keras model tells the dtypes its layers compute in).

    Returns
    -------
    str or None
        A one-line reason (what differs, at which output), or ``None`` when both checks pass.
    """
    x = np.asarray(x, dtype=np.float64)
    # Live editing differentiates the same point many times: check each point once.
    key = copy.key("float64-check")
    fingerprint = x.tobytes() + b"".join(np.asarray(v).tobytes() for v in reference_others)
    checked = traces.get(key, lambda: (b"", None))
    if checked[0] == fingerprint:
        return checked[1]
    reason = _check(copy, copy_others, reference, reference_others, x, traces, source)
    traces.replace(key, (fingerprint, reason))
    return reason


def _check(copy: Selection, copy_others: tuple, reference: Selection, reference_others: tuple,
           x: np.ndarray, traces: TraceCache, source: object) -> str | None:
    scale_x = np.maximum(1.0, np.abs(x))
    signs = np.random.default_rng(20240611).choice([-1.0, 1.0], size=(_DIRECTIONS, x.size))
    batch = [x]
    for direction in signs:
        batch += [x + _SMALL * direction * scale_x, x + _LARGE * direction * scale_x]
    batch = np.array(batch)
    offsets = batch - x  # what float64 really added
    expected = _evaluate(reference, reference_others, x[None], traces)[0]
    try:
        values = _evaluate(copy, copy_others, batch, traces)
    except Exception as exc:  # the model itself ran: whatever breaks is the copy's fault
        return f"it fails at this point ({short_reason(exc)})"
    f64 = values[0]
    moves = values[1:] - f64  # (2 * directions, m): small, large, small, large, ...
    small, large = moves[0::2], moves[1::2]
    ratio = (offsets[1::2] / offsets[2::2]).mean(axis=1)  # ~2^-12 per direction
    predicted = large * ratio[:, None]
    if not np.isfinite(expected).all():
        return None  # nothing to compare with: the model itself is not finite here
    if not np.isfinite(values).all():
        return "it gives non-finite values where the model does not"
    sensitivity = np.abs(large).max() / _LARGE if large.size else 0.0
    scale = max(float(np.abs(expected).max(initial=0.0)), float(np.abs(f64).max(initial=0.0)),
                sensitivity)
    eps_model = float(np.finfo(lowest_precision(source)).eps)
    tolerance = max(REFERENCE_RTOL, 16 * eps_model) * scale
    gap = np.abs(f64 - expected)
    if gap.size and gap.max() > tolerance:
        i = int(np.argmax(gap))
        return (f"it gives {f64[i]:.6g} where the model gives {expected[i]:.6g} "
                f"(output element {i})")
    voters = np.abs(predicted) > _VOTE_ULPS * np.finfo(np.float64).eps * scale
    wrong = voters & (np.abs(small - predicted) > 0.5 * np.abs(predicted))
    if voters.any() and wrong.sum() * 2 > voters.sum():
        return (f"it does not resolve changes of x below float32 precision ({int(wrong.sum())} "
                f"of {int(voters.sum())} probes): it computes in float32 somewhere")
    return None


def _evaluate(selection: Selection, others: tuple, batch: np.ndarray,
              traces: TraceCache) -> np.ndarray:
    function = batched_function(selection, others, traces)
    return function(batch.astype(selection.dtype), others).numpy().astype(np.float64)
