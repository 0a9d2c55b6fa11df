"""Frames and messages: malformed input is a ProtocolError before anything large is allocated."""

from __future__ import annotations

import io
import json
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jacgui.core.process import protocol
from jacgui.core.process.wire import ALIGNMENT, FrameReader, Limits, ProtocolError, encode_frame


def _frame(header: bytes | dict, payload: bytes = b"", magic: bytes = b"JGW1",
           header_size: int | None = None, payload_size: int | None = None) -> bytes:
    if isinstance(header, dict):
        header = json.dumps(header).encode()
    prefix = struct.pack("<4sIQ", magic, len(header) if header_size is None else header_size,
                         len(payload) if payload_size is None else payload_size)
    return prefix + header + payload


def _read(data: bytes, limits: Limits | None = None):
    return FrameReader(io.BytesIO(data), limits or Limits()).read()


def _encoded(message, arrays=()):
    return b"".join(bytes(piece) for piece in encode_frame(message, list(arrays)))


def test_a_frame_round_trips_and_the_stream_ends_cleanly():
    arrays = [np.arange(5, dtype=np.int16), np.ones((2, 3), np.float32), np.zeros(0)]
    stream = io.BytesIO(_encoded({"type": "x", "n": 1}, arrays) * 2)
    reader = FrameReader(stream)
    for _ in range(2):
        message, got = reader.read()
        assert message == {"type": "x", "n": 1}
        for a, b in zip(arrays, got, strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    assert reader.read() is None


def test_arrays_start_aligned_in_the_payload():
    data = _encoded({}, [np.ones(3, np.int8), np.ones(3)])
    header_size, payload_size = struct.unpack("<IQ", data[4:16])
    assert payload_size == ALIGNMENT + 24  # 3 bytes padded to the alignment, then 24


MALFORMED = {
    "bad magic": _frame({"message": {}, "arrays": []}, magic=b"PKL\x80"),
    "header over the limit": _frame(b"{}", header_size=(64 << 20) + 1),
    "payload over the limit": _frame({"message": {}, "arrays": []}, payload_size=(16 << 30) + 1),
    "ends inside the prefix": b"JGW1\x00",
    "ends inside the header": _frame({"message": {}, "arrays": []})[:-3],
    "ends inside the payload": _frame({"message": {}, "arrays": [["<f8", [4]]]}, bytes(16),
                                      payload_size=32),
    "not JSON": _frame(b"\x80\x04\x95 pickle"),
    "not UTF-8": _frame(b'{"message": {"a": "\xff"}, "arrays": []}'),
    "nesting bomb": _frame(b"[" * 200_000 + b"]" * 200_000),
    "header not an object": _frame(b"[1, 2]"),
    "extra header key": _frame({"message": {}, "arrays": [], "pickle": "x"}),
    "message not an object": _frame({"message": [1], "arrays": []}),
    "object dtype": _frame({"message": {}, "arrays": [["|O", [1]]]}, bytes(8)),
    "unicode dtype": _frame({"message": {}, "arrays": [["<U4", [1]]]}, bytes(16)),
    "big-endian dtype": _frame({"message": {}, "arrays": [[">f8", [1]]]}, bytes(8)),
    "void dtype": _frame({"message": {}, "arrays": [["|V8", [1]]]}, bytes(8)),
    "negative dimension": _frame({"message": {}, "arrays": [["<f8", [-1]]]}),
    "float dimension": _frame({"message": {}, "arrays": [["<f8", [1.0]]]}, bytes(8)),
    "bool dimension": _frame({"message": {}, "arrays": [["<f8", [True]]]}, bytes(8)),
    "33 dimensions": _frame({"message": {}, "arrays": [["<f8", [1] * 33]]}, bytes(8)),
    "declaration not a pair": _frame({"message": {}, "arrays": [["<f8"]]}),
    "more bytes than declared": _frame({"message": {}, "arrays": [["<f8", [1]]]}, bytes(16)),
    "fewer bytes than declared": _frame({"message": {}, "arrays": [["<f8", [4]]]}, bytes(8)),
    "huge shape, tiny payload": _frame({"message": {}, "arrays": [["<f8", [1 << 40, 1 << 40]]]},
                                       bytes(8)),
    "too many arrays": _frame({"message": {}, "arrays": [["<f8", [0]]] * 5000}),
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_frames_are_protocol_errors(data):
    with pytest.raises(ProtocolError):
        _read(data)


def test_sizes_are_checked_before_allocating():
    # A prefix announcing 15 GiB of payload under a 16 GiB limit, then nothing: the reader must
    # refuse on the declarations (they do not add up) without allocating the buffer.
    data = _frame({"message": {}, "arrays": [["<f8", [1]]]}, payload_size=15 << 30)
    with pytest.raises(ProtocolError, match="payload has"):
        _read(data)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_are_a_frame_or_a_protocol_error(data):
    try:
        _read(data, Limits(max_header=1 << 16, max_payload=1 << 16))
    except ProtocolError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_corrupting_a_valid_frame_is_a_protocol_error_or_a_frame(noise):
    data = bytearray(_encoded({"type": "result", "id": 1}, [np.arange(4.0)]))
    data[: len(noise)] = noise
    try:
        _read(bytes(data), Limits(max_header=1 << 16, max_payload=1 << 16))
    except ProtocolError:
        pass


GOOD_ERROR = {"type": "error", "id": 3, "kind": "user", "error_class": "PointError",
              "message": "bad", "traceback": ""}


@pytest.mark.parametrize("message, fragment", [
    ({"type": "pickle"}, "unknown message type"),
    ({"id": 1}, "unknown message type"),
    ({"type": ["result"]}, "unknown message type"),
    ({"type": "result", "id": 1}, "missing keys"),
    ({"type": "result", "id": 1, "value": 0, "finished": 1.0, "code": "x"}, "extra keys"),
    ({"type": "activity", "id": True, "what": "x"}, "must be int"),
    ({"type": "activity", "id": 1.0, "what": "x"}, "must be int"),
    ({"type": "activity", "id": 1, "what": 3}, "must be str"),
    ({"type": "activity", "id": 1, "what": "x" * ((1 << 20) + 1)}, "longer than"),
    (dict(GOOD_ERROR, kind="fatal"), "unknown error kind"),
    (dict(GOOD_ERROR, error_class="SystemExit"), "not a user error"),
    (dict(GOOD_ERROR, error_class="KeyboardInterrupt"), "not a user error"),
])
def test_messages_are_checked_against_their_schema(message, fragment):
    with pytest.raises(ProtocolError, match=fragment):
        protocol.validate(message, protocol.FROM_ENGINE)


def test_well_formed_messages_pass():
    assert protocol.validate(dict(GOOD_ERROR), protocol.FROM_ENGINE)["id"] == 3
    load = {"type": "load", "id": 1, "path": "/m.keras", "unsafe": False, "memory_limit": 0}
    assert protocol.validate(load, protocol.TO_ENGINE) is load
    with pytest.raises(ProtocolError):  # the parent's messages are not the engine's
        protocol.validate(load, protocol.FROM_ENGINE)
