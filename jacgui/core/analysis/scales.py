"""Per-input scales σ_j for the scaled view, read from a small CSV or JSON file (Qt-free).

Accepted files:

- ``.csv``: rows ``label,sigma`` (an optional header such as ``name,sigma``) in any order, or
  one number per row in input order;
- ``.json``: ``{"<label>": sigma, ...}``, ``[sigma, ...]`` in input order, or either under
  ``"scales"``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import JacguiError
from ..labelled import csv_rows, is_number, keyed, read_text, to_number

__all__ = ["check_scales", "read_scales"]


def check_scales(values: Any, size: int) -> np.ndarray:
    """``values`` as ``size`` finite float64 scales, or a one-line :class:`JacguiError`."""
    try:
        array = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise JacguiError("scales must be numbers, one per input") from None
    if array.size != size:
        raise JacguiError(f"{array.size} scales given for {size} inputs")
    if not np.all(np.isfinite(array)):
        raise JacguiError("scales must be finite numbers")
    return array


def read_scales(path: str | Path, labels: Sequence[str]) -> np.ndarray:
    """Read one σ per input from ``path`` (see the module docstring)."""
    path = Path(path)
    text = read_text(path, "scales", (".csv", ".json"))
    try:
        values = _csv(text, labels) if path.suffix.lower() == ".csv" else _json(text, labels)
        return check_scales(values, len(labels))
    except JacguiError as error:
        raise JacguiError(f"{path.name}: {error}") from None


def _csv(text: str, labels: Sequence[str]) -> list[float]:
    rows = csv_rows(text)
    if not rows:
        raise JacguiError("no scales found")
    if all(len(row) == 2 for row in rows):
        if not is_number(rows[0][1]):
            rows = rows[1:]  # header
        return keyed({row[0]: row[1] for row in rows}, labels, to_number)
    if all(len(row) == 1 for row in rows):
        if not is_number(rows[0][0]):
            rows = rows[1:]
        return [to_number(row[0]) for row in rows]
    raise JacguiError("each row must be label,sigma or a single number")


def _json(text: str, labels: Sequence[str]) -> list[float]:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise JacguiError(f"not valid JSON: {error}") from None
    if isinstance(data, dict) and "scales" in data and "scales" not in labels:
        data = data["scales"]
    if isinstance(data, dict):
        return keyed({str(k): v for k, v in data.items()}, labels, to_number)
    if isinstance(data, list):
        return [to_number(v) for v in data]
    raise JacguiError('expected {"label": sigma, ...} or [sigma, ...]')
