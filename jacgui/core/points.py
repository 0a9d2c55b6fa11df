"""Input points: validation, files (.npy, .npz, .csv, .json), clipboard text and images.

Pure NumPy and the standard library (Pillow for images). Every failure is a :class:`PointError`
with a one-line message that says what was expected and what was found.

File formats for one point (``read_point`` / ``write_point``):

- ``.npy``: the array; ``.npz``: the array named like the input, or the only array;
- ``.csv``: one row of numbers, optionally under a header row of element labels (``x[0]``,
  ``img[0,1,2]`` or feature names) in any order;
- ``.json``: a number, a (nested) list, ``{label: value}`` for every element, or
  ``{"<input name>": <list>}``.

``read_points`` reads many points, one per row, from ``.npy``/``.npz`` (shape ``(N, *shape)``
or ``(N, size)``) or ``.csv`` (optional header).

Files are sized before they are read: an ``.npy`` header or an ``.npz`` member's declared size
is checked against :data:`MAX_ARRAY_BYTES` (and, for one point, against the input's size)
before anything is inflated, so a 1.5 MB archive that would inflate to gigabytes is refused
in microseconds; text files above :data:`MAX_FILE_BYTES` and images above
:data:`MAX_IMAGE_PIXELS` are refused too.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import write_atomically
from .errors import JacguiError, PointError
from .images import image_layout
from .labelled import csv_rows, is_number, label_order, read_text, to_number
from .spec import TensorInfo
from .text import printable

POINT_SUFFIXES = (".npy", ".npz", ".csv", ".json")
#: Largest array a point file may hold (many points included): 64 M float64 values.
MAX_ARRAY_BYTES = 512 << 20
#: Largest text (CSV, JSON) point file.
MAX_FILE_BYTES = 512 << 20
#: Largest image read as a point; Pillow's own bomb guard only warns below twice its limit.
MAX_IMAGE_PIXELS = 64 << 20
_SPLIT = re.compile(r"[\s,;]+")


def validate_point(values: Any, spec: TensorInfo) -> np.ndarray:
    """Check a point against an input and return it as float64 of shape ``spec.shape``.

    Accepted: exactly ``spec.shape``, any shape that differs only by size-1 axes (a leading
    batch of 1, a missing channel axis of 1) or a flat array of ``spec.size`` values.
    """
    try:
        array = np.asarray(values)
        if array.dtype.kind == "c":
            raise PointError(f"the point for input {spec.name!r} holds complex values")
        if array.dtype.kind == "O" and any(v is None for v in array.ravel()):
            raise TypeError  # numpy would turn None into NaN
        array = array.astype("float64")
    except (TypeError, ValueError, OverflowError):
        raise PointError(f"the point for input {spec.name!r} holds non-numeric values") from None
    expected = _expected(spec)
    if array.size != spec.size:
        raise PointError(f"point has {array.size} values, {expected}")
    squeezed = tuple(d for d in array.shape if d != 1)
    if array.ndim > 1 and squeezed != tuple(d for d in spec.shape if d != 1):
        raise PointError(f"point has shape {array.shape}, {expected}")
    array = array.reshape(spec.shape)
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        labels = spec.element_labels()
        where = ", ".join(labels[i] for i in bad[:5]) + (", …" if bad.size > 5 else "")
        raise PointError(f"the point for input {spec.name!r} has NaN/Inf values at {where}")
    if not spec.is_float and not np.all(array == np.round(array)):
        raise PointError(
            f"input {spec.name!r} takes integers ({spec.dtype}); the point has fractions"
        )
    return array


def read_point(path: str | Path, spec: TensorInfo) -> np.ndarray:
    """Read one point for ``spec`` from a ``.npy``, ``.npz``, ``.csv`` or ``.json`` file."""
    path = Path(path)
    suffix = _suffix(path, POINT_SUFFIXES)
    if suffix in (".npy", ".npz"):
        return validate_point(_load_array(path, spec, single=True), spec)
    text = _read_text(path)
    if suffix == ".csv":
        rows = _csv_points(text, spec, path.name)
        if len(rows) != 1:
            raise PointError(f"{path.name} has {len(rows)} data rows; a point file holds one row")
        return validate_point(rows[0], spec)
    return _json_point(text, spec, path.name)


def write_point(path: str | Path, values: Any, spec: TensorInfo) -> None:
    """Write one point so that :func:`read_point` gives back exactly the same values."""
    path = Path(path)
    suffix = _suffix(path, POINT_SUFFIXES)
    array = validate_point(values, spec)
    labels = spec.element_labels()

    def write(temporary: Path) -> None:
        if suffix == ".npy":
            with open(temporary, "wb") as stream:
                np.save(stream, array, allow_pickle=False)
        elif suffix == ".npz":
            with open(temporary, "wb") as stream:
                np.savez(stream, **{spec.name: array})
        elif suffix == ".csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(labels)
            # repr() is the shortest text that parses back to the same float64.
            writer.writerow([repr(float(v)) for v in array.ravel()])
            temporary.write_text(buffer.getvalue(), encoding="utf-8")
        else:
            data = {label: float(v) for label, v in zip(labels, array.ravel(), strict=True)}
            temporary.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    try:
        write_atomically(path, write)
    except JacguiError as exc:
        raise PointError(str(exc)) from None


def read_points(path: str | Path, spec: TensorInfo) -> np.ndarray:
    """Read many points, one per row, as float64 of shape ``(N, *spec.shape)``."""
    path = Path(path)
    suffix = _suffix(path, (".npy", ".npz", ".csv"))
    if suffix == ".csv":
        rows = _csv_points(_read_text(path), spec, path.name)
    else:
        array = np.asarray(_load_array(path, spec, single=False))
        if array.size == spec.size:
            array = array.reshape((1, spec.size))
        if array.ndim == 0 or array.size % max(spec.size, 1):
            raise PointError(
                f"{path.name} holds shape {array.shape}, not N points of input "
                f"{spec.name!r} with shape {spec.shape}"
            )
        rows = list(array.reshape((-1, spec.size)))
    if not rows:
        raise PointError(f"{path.name} holds no points")
    out = []
    for number, row in enumerate(rows, start=1):
        try:
            out.append(validate_point(row, spec))
        except PointError as exc:
            raise PointError(f"{path.name}, point {number}: {exc}") from None
    return np.stack(out)


def parse_point_text(text: str, spec: TensorInfo) -> np.ndarray:
    """A point from clipboard text: numbers separated by spaces/commas/tabs/newlines, or JSON."""
    stripped = text.strip()
    if not stripped:
        raise PointError("the pasted text is empty")
    if stripped[0] in "[{":
        return _json_point(stripped, spec, "the pasted text")
    values = [_number(cell, "the pasted text") for cell in _SPLIT.split(stripped) if cell]
    return validate_point(values, spec)


def point_from_image(path: str | Path, spec: TensorInfo) -> np.ndarray:
    """An image file resized to the input's height and width, in its channels, scaled to [0, 1].

    Works for every image layout (:mod:`jacgui.core.images`), channels first or last.
    """
    layout = image_layout(spec.shape)
    if layout is None or not spec.is_float:
        raise PointError(
            f"input {spec.name!r} with shape {spec.shape} is not an image: jacgui reads pictures "
            "into float inputs shaped (H, W), (H, W, C) or (C, H, W) with C up to 4"
        )
    from PIL import Image

    mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[layout.channels]
    try:
        with Image.open(path) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise PointError(
                    f"{printable(Path(path).name)} is {image.width} x {image.height} pixels, "
                    f"more than the {MAX_IMAGE_PIXELS >> 20} M pixels an image point may have"
                )
            image = image.convert(mode).resize((layout.width, layout.height),
                                               Image.Resampling.BILINEAR)
            array = np.asarray(image, dtype="float64") / 255.0
    except PointError:
        raise
    except Exception as exc:  # Pillow raises many types for bad files
        raise PointError(f"cannot read image {Path(path).name}: {_reason(exc)}") from None
    return validate_point(layout.from_hwc(array), spec)


# ---------------------------------------------------------------------------------------------


def _suffix(path: Path, allowed: Sequence[str]) -> str:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise PointError(
            f"{path.name}: unsupported point file type {suffix or '(none)'}; "
            f"use {', '.join(allowed)}"
        )
    return suffix


def _reason(exc: BaseException) -> str:
    text = (str(exc).splitlines() or [""])[0][:160]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _expected(spec: TensorInfo) -> str:
    return f"input {spec.name!r} expects shape {spec.shape} = {spec.size} values"


def _read_text(path: Path) -> str:
    try:
        return read_text(path, max_bytes=MAX_FILE_BYTES, what="a point file")
    except JacguiError as exc:
        raise PointError(str(exc)) from None


def _load_array(path: Path, spec: TensorInfo, *, single: bool) -> np.ndarray:
    """The array of a ``.npy`` file or the right member of an ``.npz``, sized before reading.

    ``single``: the file holds one point, so it must hold exactly ``spec.size`` values.
    """
    name = printable(path.name)
    try:
        if path.suffix.lower() == ".npy":
            with path.open("rb") as stream:
                stored = path.stat().st_size
                return _read_sized(stream, stored, name, spec, single)
        with zipfile.ZipFile(path) as archive:
            members = {m[: -len(".npy")]: m for m in archive.namelist() if m.endswith(".npy")}
            key = spec.name if spec.name in members else None
            if key is None and len(members) == 1:
                key = next(iter(members))
            if key is None:
                found = ", ".join(printable(m) for m in members) or "none"
                raise PointError(
                    f"{name} has no array named {spec.name!r} (found: {found})"
                )
            info = archive.getinfo(members[key])
            if info.file_size > MAX_ARRAY_BYTES + (1 << 16):
                raise PointError(
                    f"{name}: member {printable(info.filename)!r} inflates to "
                    f"{info.file_size >> 20} MiB, more than the {MAX_ARRAY_BYTES >> 20} MiB a "
                    "point file may hold"
                )
            with archive.open(info) as stream:
                return _read_sized(stream, info.file_size, name, spec, single)
    except PointError:
        raise
    except Exception as exc:  # numpy, zipfile and zlib raise ValueError, OSError, EOFError...
        raise PointError(f"cannot read {name}: {_reason(exc)}") from None


def _read_sized(
    stream: Any, stored: int, name: str, spec: TensorInfo, single: bool
) -> np.ndarray:
    """Read one ``.npy`` array from ``stream`` after checking its header against the limits."""
    fmt = np.lib.format
    version = fmt.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = fmt.read_array_header_1_0(stream)
    elif version == (2, 0):
        shape, fortran, dtype = fmt.read_array_header_2_0(stream)
    else:
        raise PointError(f"{name}: unsupported .npy format version {version}")
    if dtype.hasobject:
        raise PointError(f"cannot read {name}: it holds pickled Python objects, not numbers")
    count = math.prod(shape)
    needed = count * dtype.itemsize
    if needed > MAX_ARRAY_BYTES:
        raise PointError(
            f"{name} declares an array of shape {shape} ({needed >> 20} MiB), more than the "
            f"{MAX_ARRAY_BYTES >> 20} MiB a point file may hold"
        )
    if single and count != spec.size:
        raise PointError(f"point has {count} values, {_expected(spec)}")
    if needed > stored:
        raise PointError(f"{name} is truncated: its header declares {needed} bytes of data")
    data = stream.read(needed)
    if len(data) != needed:
        raise PointError(f"{name} is truncated: its header declares {needed} bytes of data")
    order = "F" if fortran else "C"
    return np.frombuffer(data, dtype=dtype).reshape(shape, order=order)


def _number(cell: Any, where: str) -> float:
    try:
        return to_number(cell, where)
    except JacguiError as exc:
        raise PointError(str(exc)) from None


def _csv_points(text: str, spec: TensorInfo, where: str) -> list[list[float]]:
    try:
        rows = csv_rows(text, where)
    except JacguiError as exc:
        raise PointError(str(exc)) from None
    if not rows:
        raise PointError(f"{where} is empty")
    order = None
    # A header holds no number at all; "1,2,abc" is a data row with a bad cell.
    if not any(is_number(c) for c in rows[0]):
        order = _header_order(rows[0], spec, where)
        rows = rows[1:]
    points = []
    for number, row in enumerate(rows, start=2 if order else 1):
        values = [_number(c, f"{where} row {number}") for c in row]
        if order is not None:
            if len(values) != len(order):
                raise PointError(
                    f"{where} row {number} has {len(values)} values under {len(order)} names"
                )
            values = [values[i] for i in order]
        points.append(values)
    return points


def _header_order(header: list[str], spec: TensorInfo, where: str) -> list[int]:
    """Column index of each element label, after checking the header names the elements."""
    try:
        return label_order(header, spec.element_labels())
    except JacguiError as exc:
        raise PointError(f"{where} header does not match input {spec.name!r}: {exc}") from None


def _json_point(text: str, spec: TensorInfo, where: str) -> np.ndarray:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise PointError(f"{where} is not valid JSON: {_reason(exc)}") from None
    if isinstance(data, dict):
        if spec.name in data and not isinstance(data[spec.name], dict):
            data = data[spec.name]
        else:
            order = _header_order([str(k) for k in data], spec, where)
            values = list(data.values())
            data = [_number(values[i], where) for i in order]
    _check_json_numbers(data, where)
    return validate_point(data, spec)


def _check_json_numbers(data: Any, where: str, depth: int = 0) -> None:
    # numpy would turn strings, booleans and None into numbers or objects; refuse them here.
    if isinstance(data, list):
        if depth > 32:
            raise PointError(f"{where} nests lists too deeply")
        for item in data:
            _check_json_numbers(item, where, depth + 1)
    elif isinstance(data, bool) or not isinstance(data, (int, float)):
        raise PointError(f"{where}: {json.dumps(data)[:40]} is not a number")
