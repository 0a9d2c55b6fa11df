"""The one reader of small labelled files: CSV and JSON values keyed by element label or in order.

Points, bounds and scales are all "one value (or pair) per input element", given either in
element order or by label. Every such file is decoded, split and matched to the labels here, so
all of them accept the same forms and fail with the same one-line messages.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .errors import JacguiError
from .text import printable

__all__ = ["csv_rows", "is_number", "keyed", "label_order", "read_text", "to_number"]

T = TypeVar("T")


#: Larger text files are refused before they are read: these files hold one value per input.
MAX_TEXT_BYTES = 512 << 20


def read_text(path: str | Path, what: str = "", suffixes: Sequence[str] = (),
              max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of a file (a BOM is dropped), or a one-line :class:`JacguiError`.

    ``suffixes``, when given, are the only accepted extensions (``what`` names the file's role
    in the messages); a file over ``max_bytes`` is refused before it is read.
    """
    path = Path(path)
    if suffixes and path.suffix.lower() not in suffixes:
        raise JacguiError(f"{printable(path.name)}: {what or 'the file'} must be a "
                          f"{' or '.join(suffixes)} file")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise JacguiError(f"{printable(path.name)} is {size >> 20} MiB, more than the "
                              f"{max_bytes >> 20} MiB {what or 'such a file'} may have")
        return path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise JacguiError(f"cannot read {path.name}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise JacguiError(f"{path.name} is not UTF-8 text") from None


def csv_rows(text: str, where: str = "the file") -> list[list[str]]:
    """Non-empty CSV rows with their cells stripped."""
    try:
        rows = list(csv.reader(io.StringIO(text), strict=True))
    except csv.Error as error:
        raise JacguiError(f"{where} is not valid CSV: {error}") from None
    return [[c.strip() for c in row] for row in rows if any(c.strip() for c in row)]


def is_number(cell: str) -> bool:
    """Whether a CSV cell parses as a float (a header cell does not)."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


def to_number(value: Any, where: str = "") -> float:
    """``value`` as a float; booleans and non-numbers are a :class:`JacguiError`."""
    prefix = f"{where}: " if where else ""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise JacguiError(f"{prefix}{str(value)[:40]!r} is not a number")
    try:
        return float(value)
    except (ValueError, OverflowError):
        raise JacguiError(f"{prefix}{str(value)[:40]!r} is not a number") from None


def label_order(names: Sequence[str], labels: Sequence[str]) -> list[int]:
    """Where each label sits among ``names``; unknown, missing or repeated names are an error."""
    unknown = [n for n in names if n not in labels]
    missing = [lab for lab in labels if lab not in names]
    if unknown or missing or len(set(names)) != len(names):
        parts = []
        if unknown:
            parts.append("unknown names " + _shown(unknown))
        if missing:
            parts.append("missing names " + _shown(missing))
        if not parts:
            parts.append("repeated names")
        raise JacguiError("; ".join(parts))
    return [list(names).index(lab) for lab in labels]


def keyed(mapping: dict[str, Any], labels: Sequence[str], convert: Callable[[Any], T]) -> list[T]:
    """Values of ``mapping`` in label order (see :func:`label_order`)."""
    names = list(mapping)
    values = list(mapping.values())
    return [convert(values[i]) for i in label_order(names, labels)]


def _shown(names: list[str]) -> str:
    # repr keeps odd names (empty, with newlines) visible and on one line.
    shown = [n if n.isprintable() and n.strip() == n and n else repr(n) for n in names[:8]]
    return ", ".join(shown) + (", …" if len(names) > 8 else "")
