"""Per-input scales σ_j for the scaled view, read from a small CSV or JSON file (Qt-free).

Accepted files:

- ``.csv``: rows ``label,sigma`` (an optional header such as ``name,sigma``) in any order, or
  one number per row in input order;
- ``.json``: ``{"<label>": sigma, ...}``, ``[sigma, ...]`` in input order, or either under
  ``"scales"``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from jacgui.core.errors import JacguiError

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
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise JacguiError(f"{path.name}: scales must be a .csv or .json file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise JacguiError(f"cannot read {path.name}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise JacguiError(f"{path.name} is not UTF-8 text") from None
    try:
        values = _csv(text, labels) if suffix == ".csv" else _json(text, labels)
        return check_scales(values, len(labels))
    except JacguiError as error:
        raise JacguiError(f"{path.name}: {error}") from None


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise JacguiError(f"{value!r} is not a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise JacguiError(f"{str(value)[:40]!r} is not a number") from None


def _keyed(mapping: dict[str, Any], labels: Sequence[str]) -> list[float]:
    missing = [lab for lab in labels if lab not in mapping]
    unknown = [key for key in mapping if key not in labels]
    if missing or unknown:
        parts = ([f"missing {', '.join(missing[:6])}"] if missing else []) + \
                ([f"unknown {', '.join(unknown[:6])}"] if unknown else [])
        raise JacguiError("; ".join(parts))
    return [_number(mapping[lab]) for lab in labels]


def _csv(text: str, labels: Sequence[str]) -> list[float]:
    rows = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))
            if any(c.strip() for c in row)]
    if not rows:
        raise JacguiError("no scales found")
    if all(len(row) == 2 for row in rows):
        if not _is_number(rows[0][1]):
            rows = rows[1:]  # header
        return _keyed({row[0]: row[1] for row in rows}, labels)
    if all(len(row) == 1 for row in rows):
        if not _is_number(rows[0][0]):
            rows = rows[1:]
        return [_number(row[0]) for row in rows]
    raise JacguiError("each row must be label,sigma or a single number")


def _json(text: str, labels: Sequence[str]) -> list[float]:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise JacguiError(f"not valid JSON: {error}") from None
    if isinstance(data, dict) and "scales" in data and "scales" not in labels:
        data = data["scales"]
    if isinstance(data, dict):
        return _keyed({str(k): v for k, v in data.items()}, labels)
    if isinstance(data, list):
        return [_number(v) for v in data]
    raise JacguiError('expected {"label": sigma, ...} or [sigma, ...]')


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
