"""Exporting analyses: CSV rows with labels, JSON with metadata (NaN becomes null), NumPy files.

Every analysis dataclass offers ``to_rows()`` (a header row, then data rows) and ``to_dict()``
(JSON-ready metadata plus arrays); :func:`save_analysis` writes either, chosen by extension.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..atomic import write_atomically
from ..errors import JacguiError

ANALYSIS_FORMATS = (".csv", ".json", ".npz", ".npy")


class Exportable(Protocol):
    """What :func:`save_analysis` needs from an analysis result."""

    def to_rows(self) -> list[list[Any]]:
        """The table: a header row, then one row per record."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """Arrays and metadata; ``primary`` names the main array."""
        ...


def json_safe(value: Any) -> Any:
    """``value`` as plain JSON types: arrays become lists and non-finite floats ``None``."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


def cell_text(value: Any) -> str:
    """One CSV cell: floats by ``repr`` (round-trips), NaN/inf as ``nan``/``inf``."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return "" if value is None else str(value)


def matrix_rows(matrix: np.ndarray, row_labels: Sequence[str], col_labels: Sequence[str],
                corner: str = "") -> list[list[Any]]:
    """A labelled table: header of column labels, then one row per matrix row."""
    rows: list[list[Any]] = [[corner, *col_labels]]
    rows += [[label, *values] for label, values in zip(row_labels, np.asarray(matrix), strict=True)]
    return rows


def to_csv_text(rows: list[list[Any]]) -> str:
    """Rows as CSV text."""
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([cell_text(v) for v in row])
    return buffer.getvalue()


def to_json_text(document: dict[str, Any]) -> str:
    """A JSON document with NaN/inf written as ``null``."""
    return json.dumps(json_safe(document), indent=1, allow_nan=False)


def save_analysis(analysis: Exportable, path: str | os.PathLike[str]) -> Path:
    """Write ``analysis`` in the format its suffix names, whole or not at all.

    ``.csv`` holds its table, ``.json`` everything, ``.npz`` its arrays and metadata and
    ``.npy`` its main array.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in ANALYSIS_FORMATS:
        raise JacguiError(f"cannot export to {suffix or 'a file without extension'!r}; "
                          f"use one of {', '.join(ANALYSIS_FORMATS)}")
    return write_atomically(path, lambda temporary: _write(analysis, temporary, suffix))


def _write(analysis: Exportable, path: Path, suffix: str) -> None:
    if suffix == ".csv":
        path.write_text(to_csv_text(analysis.to_rows()), encoding="utf-8")
        return
    document = analysis.to_dict()
    if suffix == ".json":
        path.write_text(to_json_text(document) + "\n", encoding="utf-8")
        return
    arrays = {k: np.asarray(v) for k, v in document.items()
              if isinstance(v, np.ndarray) and v.dtype != object}
    meta = {k: v for k, v in document.items() if k not in arrays}
    with open(path, "wb") as stream:
        if suffix == ".npy":
            np.save(stream, arrays[document["primary"]], allow_pickle=False)
        else:
            np.savez_compressed(stream, metadata=np.array(to_json_text(meta)), **arrays)
