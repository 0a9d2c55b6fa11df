"""Small CSV/JSON files of per-input values (bounds, scales), keyed by label or in order."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ..errors import JacguiError

T = TypeVar("T")


def read_text(path: str | Path, what: str) -> tuple[Path, str]:
    """The UTF-8 text of a ``.csv`` or ``.json`` file, or a one-line :class:`JacguiError`."""
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".json"):
        raise JacguiError(f"{path.name}: {what} must be a .csv or .json file")
    try:
        return path, path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise JacguiError(f"cannot read {path.name}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise JacguiError(f"{path.name} is not UTF-8 text") from None


def csv_rows(text: str) -> list[list[str]]:
    """Non-empty CSV rows with their cells stripped."""
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))
            if any(c.strip() for c in row)]


def is_number(cell: str) -> bool:
    """Whether a CSV cell parses as a float (a header cell does not)."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


def to_number(value: Any) -> float:
    """``value`` as a float; booleans and non-numbers are a :class:`JacguiError`."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise JacguiError(f"{str(value)[:40]!r} is not a number")
    try:
        return float(value)
    except ValueError:
        raise JacguiError(f"{str(value)[:40]!r} is not a number") from None


def keyed(mapping: dict[str, Any], labels: Sequence[str], convert: Callable[[Any], T]) -> list[T]:
    """Values of ``mapping`` in label order; unknown or missing labels are named in the error."""
    unknown = [k for k in mapping if k not in labels]
    missing = [lab for lab in labels if lab not in mapping]
    if unknown or missing:
        parts = ([f"unknown names {', '.join(unknown[:6])}"] if unknown else []) + \
                ([f"missing names {', '.join(missing[:6])}"] if missing else [])
        raise JacguiError("; ".join(parts))
    return [convert(mapping[lab]) for lab in labels]
