"""Frames on the engine channel: a fixed prefix, a JSON header, then raw array bytes.

Layout of one frame (integers little-endian)::

    b"JGW1"                       4 bytes, the magic
    header length   (uint32)      4 bytes
    payload length  (uint64)      8 bytes
    header          UTF-8 JSON    {"message": {...}, "arrays": [[dtype, [d0, d1, ...]], ...]}
    payload         array bytes   C order; each array starts at a multiple of ALIGNMENT

Arrays are declared in the header with a dtype from :data:`DTYPES` (numbers and booleans, in
this machine's byte order) and a shape; the payload length must equal what the declarations
add up to, and is bounded before anything is allocated. Arrays are rebuilt with
``np.frombuffer``: nothing is ever unpickled, so a hostile engine can send wrong numbers but not
code. Whatever breaks these rules raises :class:`ProtocolError`.
"""

from __future__ import annotations

import io
import json
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ALIGNMENT", "DTYPES", "FrameReader", "Limits", "ProtocolError", "encode_frame",
           "write_frame"]

MAGIC = b"JGW1"
_PREFIX = struct.Struct("<4sIQ")
#: Every array starts at a multiple of this many bytes of the payload (cache-line aligned).
ALIGNMENT = 64
MAX_DIMENSIONS = 32
MAX_EXTENT = 1 << 48

#: The dtypes that may cross the channel, by their ``dtype.str`` in this machine's byte order.
DTYPES: dict[str, np.dtype] = {
    np.dtype(name).str: np.dtype(name)
    for name in ("bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64",
                 "uint64", "float16", "float32", "float64")
}


class ProtocolError(Exception):
    """A frame or message that breaks the protocol: the peer is broken or hostile."""


@dataclass(frozen=True)
class Limits:
    """Bounds on what one frame may make the reader allocate.

    Attributes
    ----------
    max_header : int
        Bytes of JSON header (labels of a large image input take a few MiB).
    max_payload : int
        Bytes of array data in one frame.
    max_arrays : int
        Arrays in one frame.
    """

    max_header: int = 64 << 20
    max_payload: int = 16 << 30
    max_arrays: int = 4096


def _padded(size: int) -> int:
    return -(-size // ALIGNMENT) * ALIGNMENT


def encode_frame(message: dict[str, Any], arrays: Sequence[np.ndarray]) -> list[Any]:
    """The pieces of one frame (bytes and memoryviews), ready to be written in order.

    ``message`` must be JSON-serialisable (NaN and infinities are allowed); every array must
    have a dtype of :data:`DTYPES` (native byte order).
    """
    declared, pieces, payload = [], [], 0
    for array in arrays:
        if not array.flags.c_contiguous:  # (ascontiguousarray would turn 0-d into 1-d)
            array = array.copy(order="C")
        if array.dtype.str not in DTYPES:
            raise TypeError(f"arrays of dtype {array.dtype} cannot cross the engine channel")
        declared.append([array.dtype.str, list(array.shape)])
        if array.nbytes:
            start = _padded(payload)
            if start > payload:
                pieces.append(bytes(start - payload))
            pieces.append(memoryview(array.reshape(-1).view(np.uint8)))
            payload = start + array.nbytes
    header = json.dumps({"message": message, "arrays": declared},
                        separators=(",", ":")).encode("utf-8")
    return [_PREFIX.pack(MAGIC, len(header), payload), header, *pieces]


def write_frame(stream: io.RawIOBase, message: dict[str, Any],
                arrays: Sequence[np.ndarray] = ()) -> None:
    """Write one frame to a raw binary stream (a pipe), completely."""
    for piece in encode_frame(message, arrays):
        view = memoryview(piece)
        while view.nbytes:
            written = stream.write(view)
            if written is None:  # a non-blocking stream that is full: not how the channel is used
                raise BlockingIOError("the engine channel is non-blocking")
            view = view[written:]


class FrameReader:
    """Reads frames from a raw binary stream, checking every declared size first.

    Parameters
    ----------
    stream : io.RawIOBase
        The reading end of the channel.
    limits : Limits
        Bounds on one frame.
    """

    def __init__(self, stream: io.RawIOBase, limits: Limits = Limits()) -> None:
        self._stream = stream
        self.limits = limits

    def read(self) -> tuple[dict[str, Any], list[np.ndarray]] | None:
        """The next frame's message and arrays; ``None`` at a clean end of the stream.

        Raises
        ------
        ProtocolError
            For a stream that ends inside a frame, a bad magic, sizes over the limits, a header
            that is not the expected JSON, an undeclared dtype or a payload whose length does
            not match the declared arrays.
        """
        prefix = self._read_exactly(_PREFIX.size, allow_eof=True)
        if prefix is None:
            return None
        magic, header_size, payload_size = _PREFIX.unpack(prefix)
        if magic != MAGIC:
            raise ProtocolError(f"bad frame magic {bytes(magic)!r}")
        if header_size > self.limits.max_header:
            raise ProtocolError(f"a {header_size}-byte header is over the limit of "
                                f"{self.limits.max_header}")
        if payload_size > self.limits.max_payload:
            raise ProtocolError(f"a {payload_size}-byte payload is over the limit of "
                                f"{self.limits.max_payload}")
        header = self._read_exactly(header_size)
        try:
            document = json.loads(header)
        except (ValueError, RecursionError) as error:
            raise ProtocolError(f"the header is not valid JSON: {str(error)[:80]}") from None
        if not isinstance(document, dict) or set(document) != {"message", "arrays"}:
            raise ProtocolError("the header must be an object with 'message' and 'arrays'")
        message, declared = document["message"], document["arrays"]
        if not isinstance(message, dict):
            raise ProtocolError("the message must be a JSON object")
        layout = self._layout(declared, payload_size)
        buffer = bytearray(payload_size)
        self._read_into(memoryview(buffer))
        arrays = []
        for dtype, shape, offset in layout:
            count = math.prod(shape)
            if count == 0:
                arrays.append(np.empty(shape, dtype))
            else:
                arrays.append(np.frombuffer(buffer, dtype, count, offset).reshape(shape))
        return message, arrays

    def _layout(self, declared: Any, payload_size: int) -> list[tuple[np.dtype, tuple, int]]:
        if not isinstance(declared, list) or len(declared) > self.limits.max_arrays:
            raise ProtocolError("'arrays' must be a list of at most "
                                f"{self.limits.max_arrays} declarations")
        layout, end = [], 0
        for entry in declared:
            if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)
                    and isinstance(entry[1], list)):
                raise ProtocolError("an array declaration must be [dtype, shape]")
            dtype = DTYPES.get(entry[0])
            if dtype is None:
                raise ProtocolError(f"dtype {entry[0][:20]!r} is not allowed on the channel")
            shape = entry[1]
            if len(shape) > MAX_DIMENSIONS or not all(
                    type(d) is int and 0 <= d <= MAX_EXTENT for d in shape):
                raise ProtocolError("an array shape must be at most 32 non-negative integers")
            nbytes = math.prod(shape) * dtype.itemsize
            if nbytes:
                start = _padded(end)
                if start + nbytes > payload_size:
                    raise ProtocolError("the declared arrays are larger than the payload")
                layout.append((dtype, tuple(shape), start))
                end = start + nbytes
            else:
                layout.append((dtype, tuple(shape), 0))
        if end != payload_size:
            raise ProtocolError(f"the payload has {payload_size} bytes but the arrays declare "
                                f"{end}")
        return layout

    def _read_exactly(self, size: int, allow_eof: bool = False) -> bytearray | None:
        buffer = bytearray(size)
        got = self._read_into(memoryview(buffer), allow_eof)
        return None if got == 0 and allow_eof and size else buffer

    def _read_into(self, view: memoryview, allow_eof: bool = False) -> int:
        got = 0
        while got < view.nbytes:
            count = self._stream.readinto(view[got:])
            if not count:
                if got == 0 and allow_eof:
                    return 0
                raise ProtocolError("the channel ended inside a frame")
            got += count
        return got
