"""Choosing the method and the chunk size before any work starts."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import JacguiError, JacobianTooLargeError

METHODS = ("auto", "reverse", "forward", "fd-forward", "fd-central")

# Per unit of work (one Jacobian row, one JVP, one perturbed point) the vectorised pass keeps
# about this many copies of every intermediate (primal, cotangent/tangent, pfor temporaries).
_COPIES_PER_UNIT = 3
_FD_COPIES = 1.5
_MiB = 1 << 20


@dataclass(frozen=True)
class Plan:
    """What the engine will do.

    Attributes
    ----------
    method : str
        The concrete method (never ``"auto"``).
    reason : str
        Why this method (the ``auto`` rule, or "requested").
    jacobian_bytes : int
        Size of the finished matrix.
    chunk : int
        Rows (reverse), columns (forward, finite differences) per chunk.
    n_chunks : int
    estimate_bytes : int
        The matrix plus one chunk's working memory.
    """

    method: str
    reason: str
    jacobian_bytes: int
    chunk: int
    n_chunks: int
    estimate_bytes: int


def choose_method(method: str, m: int, n: int) -> tuple[str, str]:
    """Resolve ``auto``: reverse mode costs one pass per output, forward one per input."""
    if method != "auto":
        return method, "requested"
    if m <= n:
        return "reverse", f"auto: {m} outputs <= {n} inputs, so reverse mode ({m} backward passes)"
    return "forward", f"auto: {m} outputs > {n} inputs, so forward mode ({n} forward passes)"


def make_plan(method: str, m: int, n: int, itemsize: int, activation_elements: int,
              budget: int, requested: str, error_estimate: bool = True) -> Plan:
    """Size the chunks so that the matrix plus one chunk fits in ``budget`` bytes."""
    concrete, reason = choose_method(method, m, n)
    if requested != "auto":
        reason = "requested"
    jacobian_bytes = m * n * itemsize
    units = m if concrete == "reverse" else n
    # Finite differences evaluate up to 4 perturbed points per column (two steps, both sides),
    # but a plain forward pass frees each activation once the next layer has used it.
    points = {"fd-central": 4, "fd-forward": 2}.get(concrete, 1)
    if not error_estimate and concrete.startswith("fd"):
        points //= 2
    copies = _FD_COPIES if concrete.startswith("fd") else _COPIES_PER_UNIT
    per_unit = int((copies * activation_elements + (n if concrete == "reverse" else m) + n)
                   * points * itemsize)
    free = budget - jacobian_bytes
    if free < per_unit:
        need = jacobian_bytes + per_unit
        raise JacobianTooLargeError(
            f"the {m}x{n} Jacobian needs about {_mib(need)} (matrix {_mib(jacobian_bytes)}), "
            f"more than the memory budget of {_mib(budget)}; choose one output or fewer "
            "inputs, or raise the budget"
        )
    chunk = max(1, min(units, free // per_unit))
    n_chunks = -(-units // chunk)
    chunk = -(-units // n_chunks)  # balance the chunks so the last one is not a sliver
    return Plan(concrete, reason, jacobian_bytes, int(chunk), int(n_chunks),
                int(jacobian_bytes + chunk * per_unit))


def check_method(method: str, step: float | None = None, budget: int = 1) -> None:
    """Reject unknown methods, unusable steps and budgets with a one-line reason."""
    if method not in METHODS:
        raise JacguiError(f"unknown method {method!r}; choose one of: {', '.join(METHODS)}")
    if step is not None and not (0.0 < step <= 1.0):
        raise JacguiError(f"the relative step must be in (0, 1], got {step!r}")
    if budget <= 0:
        raise JacguiError(f"the memory budget must be positive, got {budget} bytes")


def _mib(nbytes: int) -> str:
    if nbytes >= 1 << 30:
        return f"{nbytes / (1 << 30):.1f} GiB"
    if nbytes >= _MiB:
        return f"{nbytes / _MiB:.1f} MiB"
    return f"{nbytes / 1024:.1f} KiB"
