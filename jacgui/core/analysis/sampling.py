"""Points in a box, and bounds files.

Sampling (:func:`sample_box`) is scrambled Sobol, Latin hypercube or uniform, all from
``scipy.stats.qmc`` / NumPy.

Bounds files give ``[low, high]`` per input element:

- ``.csv``: rows ``label,low,high`` (an optional header row such as ``name,low,high``), or
  rows ``low,high`` in element order;
- ``.json``: ``{"<label>": [low, high], ...}``, ``[[low, high], ...]`` in element order, or
  either of those under the input's name: ``{"<input name>": ...}``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import JacguiError
from ..labelled import csv_rows, is_number, keyed, read_text, to_number
from ..spec import TensorInfo
from ._common import whole_number

SAMPLING_METHODS = ("sobol", "lhs", "uniform")
#: The largest dimension scipy's Sobol direction numbers cover.
SOBOL_MAX_DIMENSION = 21201


class SobolBalanceWarning(UserWarning):
    """A Sobol sample whose size is not a power of 2 (it loses the sequence's balance)."""


def check_bounds(bounds: Any, size: int | None = None) -> np.ndarray:
    """``bounds`` as float64 ``(n, 2)`` with finite ``low <= high``, or a one-line error."""
    try:
        array = np.asarray(bounds, dtype=np.float64)
    except (TypeError, ValueError):
        raise JacguiError("bounds must be numbers: one [low, high] pair per input") from None
    if array.ndim != 2 or array.shape[1] != 2:
        raise JacguiError(f"bounds must have shape (n, 2), got {array.shape}")
    if size is not None and array.shape[0] != size:
        raise JacguiError(f"{array.shape[0]} bounds given for {size} input elements")
    if not np.all(np.isfinite(array)):
        raise JacguiError("bounds must be finite")
    if bad := np.flatnonzero(array[:, 0] > array[:, 1]).tolist():
        raise JacguiError(f"low > high in the bounds of element(s) {bad[:5]}")
    return array


def sample_box(bounds: Any, n_samples: int, method: str = "sobol",
               seed: int | None = None) -> np.ndarray:
    """``n_samples`` points in the box ``bounds`` (shape ``(n, 2)``), shape ``(N, n)``.

    Parameters
    ----------
    bounds : array (n, 2)
        ``[low, high]`` per input element.
    n_samples : int
        N.
    method : {"sobol", "lhs", "uniform"}
        ``"sobol"``: a scrambled Sobol sequence (``scipy.stats.qmc.Sobol``), whose averages
        converge faster than random points; its balance needs N to be a power of 2, otherwise
        a :class:`SobolBalanceWarning` is issued. ``"lhs"``: a Latin hypercube
        (``scipy.stats.qmc.LatinHypercube``), one point in each of the N strata of every input.
        ``"uniform"``: independent uniform points.
    seed : int, optional
        The same seed gives the same points.
    """
    box = check_bounds(bounds)
    if method not in SAMPLING_METHODS:
        raise JacguiError(f"unknown sampling {method!r}; use one of {', '.join(SAMPLING_METHODS)}")
    n_samples = whole_number(n_samples, "the number of samples", 1)
    rng = np.random.default_rng(seed)
    unit = unit_sample(box.shape[0], n_samples, method, rng)
    return box[:, 0] + unit * (box[:, 1] - box[:, 0])


def unit_sample(dims: int, n_samples: int, method: str,
                rng: np.random.Generator) -> np.ndarray:
    """``n_samples`` points in the unit cube ``[0, 1)^dims``, shape ``(n_samples, dims)``.

    ``method`` is as for :func:`sample_box`.
    """
    from scipy.stats import qmc

    if method == "uniform":
        return rng.random((n_samples, dims))
    if method == "lhs":
        return qmc.LatinHypercube(dims, rng=rng).random(n_samples)
    if dims > SOBOL_MAX_DIMENSION:
        raise JacguiError(f"Sobol sequences cover at most {SOBOL_MAX_DIMENSION} dimensions, "
                          f"this design needs {dims}; use lhs")
    if note := sobol_balance_note(n_samples):
        warnings.warn(note, SobolBalanceWarning, stacklevel=3)
    with warnings.catch_warnings():
        # scipy repeats the same warning in its own words; ours names the sizes to use instead.
        warnings.simplefilter("ignore", UserWarning)
        # 64 bits, as scipy.stats.sobol_indices draws its own designs: the same seed then
        # gives the same points.
        return qmc.Sobol(dims, scramble=True, bits=64, rng=rng).random(n_samples)


def sobol_balance_note(n_samples: int) -> str | None:
    """Why ``n_samples`` Sobol points are unbalanced, or ``None`` when N is a power of 2."""
    if n_samples & (n_samples - 1) == 0:
        return None
    lower = 1 << (n_samples.bit_length() - 1)
    return (f"{n_samples} is not a power of 2, so the Sobol points are not balanced and "
            f"converge more slowly; use {lower} or {2 * lower}")


def read_bounds(path: str | Path, spec: TensorInfo) -> np.ndarray:
    """Read per-element ``[low, high]`` bounds for input ``spec`` (see the module docstring)."""
    path = Path(path)
    text = read_text(path, "bounds", (".csv", ".json"))
    labels = spec.element_labels()
    try:
        csv_file = path.suffix.lower() == ".csv"
        pairs = _csv_pairs(text, labels) if csv_file else _json_pairs(text, spec)
    except JacguiError as error:
        raise JacguiError(f"{path.name}: {error}") from None
    try:
        return check_bounds(pairs, spec.size)
    except JacguiError as error:
        raise JacguiError(f"{path.name}: {error}") from None


def _pair(value: Any) -> list[float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise JacguiError(f"{json.dumps(value)[:40]} is not a [low, high] pair")
    return [to_number(v) for v in value]


def _csv_pairs(text: str, labels: tuple[str, ...]) -> list[list[float]]:
    rows = csv_rows(text)
    if rows and len(rows[0]) == 3 and not is_number(rows[0][1]):
        rows = rows[1:]  # header such as name,low,high
    if not rows:
        raise JacguiError("no bounds found")
    if all(len(row) == 3 for row in rows):
        mapping: dict[str, Any] = {}
        for row in rows:
            if row[0] in mapping:
                raise JacguiError(f"{row[0]!r} appears twice")
            mapping[row[0]] = row[1:]
        return keyed(mapping, labels, _pair)
    if all(len(row) == 2 for row in rows):
        return [_pair(row) for row in rows]
    raise JacguiError("each row must be label,low,high or low,high")


def _json_pairs(text: str, spec: TensorInfo) -> list[list[float]]:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise JacguiError(f"not valid JSON: {error}") from None
    if isinstance(data, dict) and spec.name in data and spec.name not in spec.element_labels():
        data = data[spec.name]
    if isinstance(data, dict):
        return keyed({str(k): v for k, v in data.items()}, spec.element_labels(), _pair)
    if isinstance(data, list):
        return [_pair(v) for v in data]
    raise JacguiError("expected {label: [low, high]} or [[low, high], ...]")
