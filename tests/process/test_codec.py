"""The codec: every registered type round-trips exactly; anything else is refused.

Truth here is the original object: a decoded value must equal it field by field (same types,
same array dtypes and shapes, NaN where NaN was), after a real trip through a pipe.
"""

from __future__ import annotations

import io
import os
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jacgui.core.process import codec, protocol
from jacgui.core.process.operations import OPERATIONS
from jacgui.core.process.wire import FrameReader, ProtocolError, write_frame
from tests.process.samples import SAMPLES, assert_same, sample_of


def _through_pipe(value):
    """Encode, frame, write to a real pipe, read back and decode."""
    document, arrays = codec.encode(value)
    read_fd, write_fd = os.pipe()
    with io.FileIO(read_fd, "rb") as reader, io.FileIO(write_fd, "wb") as writer:
        # A writer thread: frames larger than the pipe buffer must not deadlock the test.
        thread = threading.Thread(target=write_frame, args=(writer, {"value": document}, arrays))
        thread.start()
        message, received = FrameReader(reader).read()
        thread.join()
    return codec.decode(message["value"], received)


def test_every_registered_type_has_a_sample():
    assert set(codec.REGISTERED) == set(SAMPLES)
    names = [cls.__name__ for cls in codec.REGISTERED]
    assert len(names) == len(set(names)), "class names identify types on the channel"


def test_every_operation_answers_a_registered_type():
    assert all(operation.result in codec.REGISTERED for operation in OPERATIONS.values())


@pytest.mark.parametrize("cls", codec.REGISTERED, ids=lambda cls: cls.__name__)
def test_registered_types_round_trip_exactly(cls):
    original = sample_of(cls)
    assert_same(original, _through_pipe(original))


def test_plain_values_round_trip_exactly():
    value = {"none": None, "flags": [True, False], "big": 2**62, "tiny": 5e-324,
             "nan": float("nan"), "inf": -float("inf"), "text": "α\x00\n", "empty": (),
             "nested": ((1, [2.5, ()]), {"k": np.zeros((0, 3), np.float32)}),
             "dtypes": [np.arange(3).astype(d) for d in
                        ("bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64",
                         "uint64", "float16", "float32", "float64")],
             "scalar": np.float32(1.5), "zero_d": np.array(2.0)}
    decoded = _through_pipe(value)
    expected = dict(value, scalar=1.5)  # NumPy scalars travel as Python numbers
    assert_same(expected, decoded)


def test_decoded_arrays_are_aligned_and_writable():
    result = _through_pipe([np.arange(3, dtype=np.int8), np.ones((5, 7)), np.ones(3, np.float32)])
    for array in result:
        assert array.flags.aligned and array.flags.writeable


@pytest.mark.parametrize("value, fragment", [
    (np.array([object()]), "dtype object"),
    (np.array(["text"]), "dtype <U4"),
    (np.array([1 + 2j]), "dtype complex128"),
    (np.zeros(3, dtype=">f8"), "dtype >f8"),
    (lambda x: x, "function"),
    ({1: "a"}, "string keys"),
    ({1, 2}, "set"),
    (object(), "object"),
    (b"bytes", "bytes"),
])
def test_unsendable_values_are_refused(value, fragment):
    with pytest.raises(TypeError, match=fragment):
        codec.encode({"x": value})


def test_nesting_deeper_than_the_limit_is_refused_both_ways():
    deep = []
    for _ in range(codec.MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(TypeError, match="nested deeper"):
        codec.encode(deep)
    document = []
    for _ in range(codec.MAX_DEPTH + 2):
        document = {"$t": [document]}
    with pytest.raises(ProtocolError, match="nested deeper"):
        codec.decode(document, [])


def _fields(cls):
    document, arrays = codec.encode(sample_of(cls))
    return document, arrays


@pytest.mark.parametrize("mutate, fragment", [
    (lambda d: d.update({"$c": "Popen"}), "may not cross"),
    (lambda d: d.update({"$c": ["Plan"]}), "may not cross"),
    (lambda d: d["$f"].update({"evil": 1}), "unknown fields"),
    (lambda d: d["$f"].pop("method"), "missing fields"),
    (lambda d: d["$f"].update({"chunk": "2"}), "Plan.chunk holds a str"),
    (lambda d: d["$f"].update({"chunk": True}), "Plan.chunk holds a bool"),
    (lambda d: d["$f"].update({"method": None}), "Plan.method holds a NoneType"),
    (lambda d: d.update({"$x": 1}), "tagged object"),
    (lambda d: d.update({"$f": []}), "tagged object"),
])
def test_malformed_objects_are_protocol_errors(mutate, fragment):
    document, arrays = _fields(type(SAMPLES[codec.REGISTERED[5]]))
    assert document["$c"] == "Plan"
    mutate(document)
    with pytest.raises(ProtocolError, match=fragment):
        codec.decode(document, arrays)


@pytest.mark.parametrize("field, bad", [
    ("matrix", {"$t": [1.0]}),          # an array field holding a tuple
    ("input_labels", {"$t": ["a", 3]}),  # tuple[str, ...] with an int
    ("input_shape", {"$t": [2.5]}),      # tuple[int, ...] with a float
    ("steps", "none"),                   # ndarray | None with a str
    ("warnings", ["a list, not a tuple"]),
])
def test_field_values_are_checked_against_annotations(field, bad):
    from jacgui.core.job import JacobianResult

    document, arrays = _fields(JacobianResult)
    document["$f"][field] = bad
    with pytest.raises(ProtocolError, match=f"JacobianResult.{field}"):
        codec.decode(document, arrays)


@pytest.mark.parametrize("document", [
    {"$a": 5}, {"$a": -1}, {"$a": True}, {"$a": "0"}, {"$t": "abc"}, {"$d": []},
    {"plain": "dict"}, {"$t": [], "$d": {}}, {"$c": "Plan", "$f": {}, "$x": 0},
])
def test_malformed_tags_are_protocol_errors(document):
    with pytest.raises(ProtocolError):
        codec.decode(document, [np.zeros(2)])


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["$a", "$t", "$d", "$c", "$f", "x"]), children,
                      max_size=3),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(_json)
def test_decoding_arbitrary_json_never_fails_otherwise(document):
    try:
        codec.decode(document, [np.zeros(3)])
    except ProtocolError:
        pass


def test_user_errors_are_only_jacgui_errors():
    from jacgui.core.errors import JacguiError

    assert protocol.USER_ERRORS["UnsafeModelError"].__name__ == "UnsafeModelError"
    assert all(issubclass(cls, JacguiError) for cls in protocol.USER_ERRORS.values())
    assert "SystemExit" not in protocol.USER_ERRORS and "JacobianCancelled" not in \
        protocol.USER_ERRORS
