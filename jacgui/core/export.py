"""Writing Jacobian numbers to files (pictures are the GUI's business, kept apart as in silx)."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import write_atomically
from .errors import JacguiError
from .job import JacobianResult

DATA_FORMATS = (".npy", ".csv", ".npz", ".json")


def save_result(result: JacobianResult, path: str | os.PathLike[str]) -> Path:
    """Write ``result`` in the format named by the extension.

    ``.npy`` holds the matrix; ``.csv`` the matrix with input labels as the header row and
    output labels as the first column; ``.npz`` and ``.json`` the matrix, point, outputs,
    labels, method, steps, error estimate and timing. The file is written to a temporary name
    and renamed, so a failure leaves nothing half-written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in DATA_FORMATS:
        raise JacguiError(f"cannot export to {suffix or 'a file without extension'!r}; "
                          f"use one of {', '.join(DATA_FORMATS)}")
    writer = {".npy": _write_npy, ".csv": _write_csv, ".npz": _write_npz, ".json": _write_json}
    return write_atomically(path, lambda temporary: writer[suffix](result, temporary))


def result_metadata(result: JacobianResult) -> dict[str, Any]:
    """Everything but the matrix, as plain Python values."""
    meta: dict[str, Any] = {
        "input_name": result.input_name,
        "output_name": result.output_name,
        "input_shape": list(result.input_shape),
        "output_shape": list(result.output_shape),
        "input_labels": list(result.input_labels),
        "output_labels": list(result.output_labels),
        "method": result.method,
        "method_reason": result.method_reason,
        "seconds": result.seconds,
        "chunks": result.chunks,
        "warnings": list(result.warnings),
    }
    return meta


def result_to_text(result: JacobianResult) -> str:
    """Tab-separated matrix with labels, for the clipboard (pastes into spreadsheets)."""
    buffer = io.StringIO()
    _table(csv.writer(buffer, delimiter="\t", lineterminator="\n"), result)
    return buffer.getvalue()


def _table(writer: Any, result: JacobianResult) -> None:
    writer.writerow([f"{result.output_name} \\ {result.input_name}", *result.input_labels])
    for label, row in zip(result.output_labels, result.matrix, strict=True):
        writer.writerow([label, *(repr(float(v)) for v in row)])


def _write_npy(result: JacobianResult, path: Path) -> None:
    with open(path, "wb") as stream:
        np.save(stream, result.matrix)


def _write_csv(result: JacobianResult, path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as stream:
        _table(csv.writer(stream), result)


def _write_npz(result: JacobianResult, path: Path) -> None:
    arrays: dict[str, Any] = {
        "matrix": result.matrix, "point": result.point, "outputs": result.outputs,
        "input_labels": np.array(result.input_labels),
        "output_labels": np.array(result.output_labels),
        "metadata": np.array(json.dumps(result_metadata(result))),
    }
    if result.steps is not None:
        arrays["steps"] = result.steps
    if result.error_estimate is not None:
        arrays["error_estimate"] = result.error_estimate
    with open(path, "wb") as stream:
        np.savez_compressed(stream, **arrays)


def _jsonable(array: np.ndarray | None) -> Any:
    if array is None:
        return None
    # JSON has no NaN: non-finite cells become null rather than invalid tokens.
    values = np.asarray(array, dtype=np.float64)
    return np.where(np.isfinite(values), values, None).tolist()


def _write_json(result: JacobianResult, path: Path) -> None:
    document = result_metadata(result)
    document.update(matrix=_jsonable(result.matrix), point=_jsonable(result.point),
                    outputs=_jsonable(result.outputs), steps=_jsonable(result.steps),
                    error_estimate=_jsonable(result.error_estimate))
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(document, stream, indent=1, allow_nan=False)
