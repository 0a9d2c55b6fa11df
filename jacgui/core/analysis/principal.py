"""Principal directions of a Jacobian: its singular value decomposition, made readable.

``J = U diag(s) V^T``. The right singular vector ``v_1`` is the input direction (a unit change of
the selected input) that moves the outputs most, by ``s_1``; ``u_1`` is the output pattern it
produces. Signs are fixed so that each ``v_k``'s largest-magnitude component is positive; ``u_k``
then follows from ``J v_k = s_k u_k``, so the decomposition stays exact and results are stable
from run to run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import JacguiError
from ..job import JacobianResult


@dataclass(frozen=True)
class PrincipalDirections:
    """Singular values and the top-k singular vectors of a Jacobian.

    Attributes
    ----------
    singular_values : ndarray (min(m, n),)
        All singular values, largest first.
    condition_number : float
        ``s_max / s_min`` over the ``min(m, n)`` singular values; ``inf`` when ``s_min`` is zero
        to working precision (``<= s_max * max(m, n) * eps``), i.e. J is rank-deficient.
    rank : int
        Numerical rank with the same threshold.
    input_directions : ndarray (k, n)
        Right singular vectors ``v_1..v_k`` (unit length, over the inputs).
    output_directions : ndarray (k, m)
        Left singular vectors ``u_1..u_k`` (unit length, over the outputs).
    """

    singular_values: np.ndarray
    condition_number: float
    rank: int
    input_directions: np.ndarray
    output_directions: np.ndarray
    input_labels: tuple[str, ...]
    output_labels: tuple[str, ...]
    note: str = ""

    @property
    def k(self) -> int:
        """Number of directions kept."""
        return int(self.input_directions.shape[0])

    def top_inputs(self, index: int = 0, count: int = 5) -> list[tuple[str, float]]:
        """The ``count`` largest-magnitude components of ``v_{index+1}``: (label, weight)."""
        vector = self.input_directions[index]
        order = np.argsort(-np.abs(vector), kind="stable")[:count]
        return [(self.input_labels[j], float(vector[j])) for j in order]

    def top_outputs(self, index: int = 0, count: int = 5) -> list[tuple[str, float]]:
        """The ``count`` largest-magnitude components of ``u_{index+1}``: (label, weight)."""
        vector = self.output_directions[index]
        order = np.argsort(-np.abs(vector), kind="stable")[:count]
        return [(self.output_labels[i], float(vector[i])) for i in order]

    def summary_lines(self, count: int = 5) -> list[str]:
        """A readable summary for the command line."""
        shown = ", ".join(f"{s:.6g}" for s in self.singular_values[:10])
        more = f" … ({self.singular_values.size} in all)" if self.singular_values.size > 10 else ""
        lines = [f"singular values: {shown}{more}",
                 f"condition number: {self.condition_number:.6g} (numerical rank {self.rank})"]
        if self.note:
            lines.append(f"note: {self.note}")
        for index in range(self.k):
            weights = ", ".join(f"{lab} {w:+.3f}" for lab, w in self.top_inputs(index, count))
            lines.append(f"v{index + 1} (s = {self.singular_values[index]:.6g}): {weights}")
        return lines

    def to_rows(self) -> list[list[Any]]:
        """Table: one row per direction, singular value then input and output components."""
        header = ["direction", "singular_value",
                  *[f"v:{lab}" for lab in self.input_labels],
                  *[f"u:{lab}" for lab in self.output_labels]]
        rows: list[list[Any]] = [header]
        for index in range(self.k):
            rows.append([index + 1, self.singular_values[index], *self.input_directions[index],
                         *self.output_directions[index]])
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Arrays and metadata; ``primary`` names the main array."""
        return {
            "analysis": "svd", "primary": "input_directions",
            "singular_values": self.singular_values, "condition_number": self.condition_number,
            "rank": self.rank, "input_directions": self.input_directions,
            "output_directions": self.output_directions, "input_labels": list(self.input_labels),
            "output_labels": list(self.output_labels), "note": self.note,
        }


def principal_directions(result_or_matrix: JacobianResult | np.ndarray, k: int = 3, *,
                         input_labels: tuple[str, ...] | None = None,
                         output_labels: tuple[str, ...] | None = None) -> PrincipalDirections:
    """SVD of a Jacobian with sign-normalised top-``k`` directions.

    Parameters
    ----------
    result_or_matrix : JacobianResult or ndarray (m, n)
    k : int
        Directions to keep (at most ``min(m, n)``).
    input_labels, output_labels : tuple of str, optional
        For a bare matrix; default ``x[j]`` / ``y[i]``.

    Raises
    ------
    JacguiError
        When the matrix has NaN or infinite cells (the SVD would be meaningless).
    """
    if isinstance(result_or_matrix, JacobianResult):
        matrix = result_or_matrix.matrix
        input_labels = input_labels or result_or_matrix.input_labels
        output_labels = output_labels or result_or_matrix.output_labels
    else:
        matrix = np.asarray(result_or_matrix)
    if matrix.ndim != 2 or matrix.size == 0:
        raise JacguiError(f"the SVD needs a non-empty 2-D Jacobian, got shape {matrix.shape}")
    if k < 1:
        raise JacguiError(f"k must be at least 1, got {k}")
    if (bad := int(np.sum(~np.isfinite(matrix)))) > 0:
        raise JacguiError(f"the Jacobian has {bad} NaN or infinite cell(s): no SVD; fix the "
                          "point or the model first")
    m, n = matrix.shape
    eps = float(np.finfo(matrix.dtype if matrix.dtype.kind == "f" else np.float64).eps)
    u, s, vt = np.linalg.svd(matrix.astype(np.float64), full_matrices=False)
    threshold = (s[0] if s.size else 0.0) * max(m, n) * eps
    rank = int(np.sum(s > threshold))
    note = ""
    if s[0] == 0:
        condition, note = float("inf"), "the Jacobian is zero: no direction moves any output"
    elif s[-1] <= threshold:
        condition = float("inf")
        note = (f"s_min is zero to working precision (rank {rank} < {min(m, n)}): some input "
                "direction changes no output, so the condition number is infinite")
    else:
        condition = float(s[0] / s[-1])
    k = min(k, s.size)
    v, u = vt[:k].copy(), u[:, :k].T.copy()
    for index in range(k):
        if v[index, int(np.argmax(np.abs(v[index])))] < 0:
            v[index], u[index] = -v[index], -u[index]
    return PrincipalDirections(
        s, condition, rank, v, u,
        tuple(input_labels or (f"x[{j}]" for j in range(n))),
        tuple(output_labels or (f"y[{i}]" for i in range(m))), note)


def move_along(point: Any, direction: Any, amount: float) -> np.ndarray:
    """``point + amount * direction``, shaped like ``point`` (for "move along ±v_1").

    ``direction`` is flat (a row of :attr:`PrincipalDirections.input_directions`) or shaped like
    ``point``; ``amount`` is in the input's units because the direction has unit length.
    """
    base = np.asarray(point, dtype=np.float64)
    step = np.asarray(direction, dtype=np.float64).reshape(-1)
    if step.size != base.size:
        raise JacguiError(f"the direction has {step.size} components, the point {base.size}")
    if not np.isfinite(amount) or not np.all(np.isfinite(step)):
        raise JacguiError("the direction and the amount must be finite")
    return base + float(amount) * step.reshape(base.shape)
