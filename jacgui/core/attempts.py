"""Which ways of computing a Jacobian to try, in order, when TensorFlow fails at one.

TensorFlow itself fails on some architectures that are perfectly differentiable: forward mode
through a Keras LSTM/GRU inside ``tf.function`` raises ("dtype variant not compatible with
int64"); vectorised Jacobians through batched matmuls crash the process or return wrong
numbers under the oneDNN CPU kernels. ``auto`` therefore plans a chain: the mode the shape
favours, the other mode, reverse mode without vectorisation, then central differences. An
explicitly requested mode is only retried without vectorisation.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._tf import onednn_enabled
from .planning import choose_method


@dataclass(frozen=True)
class Attempt:
    """One way to compute the Jacobian.

    Attributes
    ----------
    method : str
        ``"reverse"``, ``"forward"``, ``"fd-forward"`` or ``"fd-central"``.
    vectorised : bool
        For reverse and forward mode: pfor over rows/columns, or a ``while_loop``.
    """

    method: str
    vectorised: bool = True

    @property
    def is_autodiff(self) -> bool:
        """Reverse or forward mode (the family that can fail inside TensorFlow)."""
        return self.method in ("reverse", "forward")

    def describe(self) -> str:
        """Short name for messages: ``"reverse mode"``, ``"non-vectorised reverse mode"``."""
        if not self.is_autodiff:
            return {"fd-central": "central differences"}.get(self.method, "forward differences")
        return f"{'' if self.vectorised else 'non-vectorised '}{self.method} mode"


def plan_attempts(requested: str, m: int, n: int,
                  hazards: tuple[str, ...]) -> tuple[tuple[Attempt, ...], str]:
    """The attempts for ``requested`` in order, and why the first was chosen.

    ``hazards`` are the model's ops that vectorised Jacobians mishandle under oneDNN; with
    oneDNN on they rule out vectorisation from the start, since a crash cannot be retried.
    """
    if requested.startswith("fd"):
        return (Attempt(requested),), "requested"
    unsafe = bool(hazards) and onednn_enabled()
    if requested == "auto":
        first, reason = choose_method("auto", m, n)
        second = "forward" if first == "reverse" else "reverse"
        chain = [Attempt(first), Attempt(second), Attempt("reverse", False),
                 Attempt("fd-central")]
    else:
        reason = "requested"
        chain = [Attempt(requested), Attempt(requested, False)]
    if unsafe:
        chain = [a for a in chain if not (a.is_autodiff and a.vectorised)]
        reason += (f"; not vectorised: vectorised Jacobians through {'/'.join(hazards)} crash "
                   "or go wrong under TensorFlow's oneDNN kernels")
        if requested == "auto" and m > n:
            chain.insert(0, Attempt("forward", False))
    return tuple(dict.fromkeys(chain)), reason
