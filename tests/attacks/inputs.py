"""Hostile data files: decompression bombs, a sidecar nested past the recursion limit, names
that carry terminal escape sequences."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from jacgui.core._tf import keras

#: Shapes the bombs declare: 1.6 GB of float32 / float64, far beyond any point.
NPZ_BOMB_SHAPE = (400_000_000,)
NPY_BOMB_SHAPE = (200_000_000,)

#: Names that would clear the screen, retitle the terminal, hide text or reverse it.
HOSTILE_NAMES = {
    "input": "x\x1b[2J\x1b]0;owned\x07",
    "output": "y\r\x1b[31mfake\u202eevil",
    "feature": "a\x9b1;31m\u2066b",
}


def build_npz_bomb(folder: Path, name: str = "x") -> Path:
    """An ``.npz`` of about 1.6 MB whose member ``name`` inflates to 1.6 GB of zeros.

    Deflating 1.6 GB takes many seconds, so the stream is assembled from one compressed
    block of zeros repeated: after a full flush deflate starts afresh, so every block of the
    same input compresses to the same bytes.
    """
    header = _npy_header("<f4", NPZ_BOMB_SHAPE)
    chunk = bytes(1 << 24)
    chunks, rest = divmod(int(np.prod(NPZ_BOMB_SHAPE)) * 4, len(chunk))
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = deflate.compress(header) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(chunk) + deflate.flush(zlib.Z_FULL_FLUSH)
    last = deflate.compress(chunk[:rest]) + deflate.flush(zlib.Z_FINISH)
    crc = zlib.crc32(header)
    for _ in range(chunks):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(chunk[:rest], crc)
    data = first + block * chunks + last
    path = folder / "bomb.npz"
    path.write_bytes(_zip_one_member(f"{name}.npy".encode(), data, crc,
                                     len(header) + chunks * len(chunk) + rest))
    return path


def _zip_one_member(name: bytes, deflated: bytes, crc: int, size: int) -> bytes:
    """A zip archive of one deflated member (sizes below 4 GiB, so no zip64 records)."""
    fields = (20, 0, zipfile.ZIP_DEFLATED, 0, 0x21, crc, len(deflated), size, len(name), 0)
    local = struct.pack("<4s2H3H3L2H", b"PK\x03\x04", *fields) + name
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, *fields[:8], len(name), 0, 0, 0,
                          0, 0, 0) + name
    offset = len(local) + len(deflated)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), offset, 0)
    return local + deflated + central + end


def build_npy_bomb(folder: Path) -> Path:
    """A 1 KB ``.npy`` whose header declares 1.6 GB of float64."""
    path = folder / "bomb.npy"
    path.write_bytes(_npy_header("<f8", NPY_BOMB_SHAPE) + bytes(1024))
    return path


def build_npz_lying_header(folder: Path, name: str = "x") -> Path:
    """An ``.npz`` whose small member declares 10**12 float64 values in its npy header."""
    path = folder / "liar.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}.npy", _npy_header("<f8", (10**12,)) + bytes(64))
    return path


def build_object_npy(folder: Path) -> Path:
    """An ``.npy`` of Python objects (a pickle inside)."""
    path = folder / "objects.npy"
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    return path


def _npy_header(descr: str, shape: tuple[int, ...]) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def nested_json(depth: int = 200_000) -> str:
    """JSON text nested ``depth`` lists deep: beyond Python's recursion limit."""
    return "[" * depth + "]" * depth


def build_nested_sidecar(model_path: Path, depth: int = 200_000) -> Path:
    """A sidecar next to ``model_path`` nested beyond the recursion limit."""
    stem = model_path.name if model_path.is_dir() else model_path.stem
    sidecar = model_path.with_name(stem + ".jacgui.json")
    sidecar.write_text('{"inputs": {"x": {"point": ' + nested_json(depth) + "}}}")
    return sidecar


def build_huge_sidecar(model_path: Path, megabytes: int = 80) -> Path:
    """A sidecar of ``megabytes`` MB (a long run of spaces inside valid JSON)."""
    sidecar = model_path.with_name(model_path.stem + ".jacgui.json")
    with sidecar.open("w") as f:
        f.write('{"inputs": {}')
        f.write(" " * (megabytes << 20))
        f.write("}")
    return sidecar


def build_hostile_names(folder: Path, *, output: bool = True) -> Path:
    """A ``.keras`` model whose input, output and sidecar feature names hold escape sequences.

    Keras cannot trace a layer whose name is not a valid name scope, so ``output=False`` keeps
    the output layer's name plain for a model that must compute.
    """
    k = keras()
    x = k.Input((2,), name=HOSTILE_NAMES["input"])
    y = k.layers.Dense(1, name=HOSTILE_NAMES["output"] if output else "y")(x)
    path = folder / ("names.keras" if output else "input-names.keras")
    k.Model(x, y).save(path)
    sidecar = path.with_name(path.stem + ".jacgui.json")
    feature = HOSTILE_NAMES["feature"]
    sidecar.write_text(json.dumps({"inputs": {HOSTILE_NAMES["input"]: {
        "names": [feature, feature + "2"], "point": [0.5, -1.0]}}}))
    return path
