"""Point validation, point files, clipboard text and images; parsers fuzzed with hypothesis."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from jacgui.core.errors import PointError
from jacgui.core.points import (
    parse_point_text,
    point_from_image,
    read_point,
    read_points,
    validate_point,
    write_point,
)
from jacgui.core.spec import TensorInfo

X8 = TensorInfo("x", (8,))
IMG = TensorInfo("img", (4, 4, 3))
GRAY = TensorInfo("g", (4, 4, 1))
NAMED = TensorInfo("x", (3,), feature_names=("rw", "r", "Tu"))
INTS = TensorInfo("ids", (3,), "int32")


# --- validate_point -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values", [np.arange(8), np.arange(8).reshape(1, 8), list(range(8)), np.arange(8.0)[None, :]]
)
def test_validate_accepts_batch_of_one_and_flat(values):
    out = validate_point(values, X8)
    assert out.dtype == np.float64 and out.shape == (8,)
    np.testing.assert_array_equal(out, np.arange(8))


def test_validate_reshapes_flat_and_missing_channel():
    assert validate_point(np.zeros(48), IMG).shape == (4, 4, 3)
    assert validate_point(np.zeros((4, 4)), GRAY).shape == (4, 4, 1)
    assert validate_point(np.zeros((1, 4, 4, 3)), IMG).shape == (4, 4, 3)
    assert validate_point(2.5, TensorInfo("s", ())).shape == ()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (np.zeros(7), "point has 7 values, input 'x' expects shape (8,) = 8 values"),
        (np.zeros((2, 4)), "point has shape (2, 4), input 'x' expects shape (8,) = 8 values"),
        ([0, 1, 2, np.nan, 4, 5, np.inf, 7], "NaN/Inf values at x[3], x[6]"),
        (["a"] * 8, "non-numeric"),
        ([[1, 2], [3]], "non-numeric"),
        ([None] * 8, "non-numeric"),
        (np.zeros(8, complex), "complex"),
    ],
)
def test_validate_errors(values, message):
    with pytest.raises(PointError) as info:
        validate_point(values, X8)
    assert message in str(info.value)


def test_validate_int_input():
    np.testing.assert_array_equal(validate_point([1, 2, 3], INTS), [1, 2, 3])
    with pytest.raises(PointError, match="integers"):
        validate_point([1, 2.5, 3], INTS)


# --- files ----------------------------------------------------------------------------------

TRICKY = np.array([1 / 3, -0.0, 1e-300, 1.7976931348623157e308, -2.5e-8, 0.1, 7.0, -123456.789])


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".csv", ".json"])
@pytest.mark.parametrize("spec", [X8, TensorInfo("img", (2, 2, 2)), TensorInfo("x", (8,), feature_names=tuple("abcdefgh"))])
def test_write_read_round_trip_is_exact(tmp_path, suffix, spec):
    path = tmp_path / f"p{suffix}"
    write_point(path, TRICKY.reshape(spec.shape), spec)
    back = read_point(path, spec)
    assert back.shape == spec.shape
    np.testing.assert_array_equal(back, TRICKY.reshape(spec.shape))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=3, max_size=3))
def test_round_trip_property(tmp_path_factory, values):
    folder = tmp_path_factory.mktemp("rt", numbered=True)
    for suffix in (".csv", ".json"):
        write_point(folder / f"p{suffix}", values, NAMED)
        assert read_point(folder / f"p{suffix}", NAMED).tolist() == [float(v) for v in values]


def test_csv_header_is_reordered_by_name(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("Tu,rw,r\n3,1,2\n")
    np.testing.assert_array_equal(read_point(path, NAMED), [1, 2, 3])
    path.write_text("x[2], x[0] ,x[1]\n3,1,2\n")
    np.testing.assert_array_equal(read_point(path, TensorInfo("x", (3,))), [1, 2, 3])
    path.write_text("1,2,3\n")
    np.testing.assert_array_equal(read_point(path, NAMED), [1, 2, 3])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("\n \n", "empty"),
        ("rw,r,TU\n1,2,3\n", "unknown names TU; missing names Tu"),
        ("rw,r\n1,2\n", "missing names Tu"),
        ("rw,r,Tu\n1,2\n", "2 values under 3 names"),
        ("1,2,abc\n", "'abc' is not a number"),
        ("1,,3\n", "'' is not a number"),
        ("1,2,3\n4,5,6\n", "2 data rows"),
        ("rw,r,Tu\n", "0 data rows"),
        ("1,2\n", "point has 2 values"),
        ('1,2,"3\n', "not valid CSV"),
    ],
)
def test_csv_errors(tmp_path, text, message):
    path = tmp_path / "p.csv"
    path.write_text(text)
    with pytest.raises(PointError) as info:
        read_point(path, NAMED)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "data",
    [[1, 2, 3], [[1, 2, 3]], {"rw": 1, "Tu": 3, "r": 2}, {"x": [1, 2, 3]}, {"x": [[1, 2, 3]]}],
)
def test_json_forms(tmp_path, data):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    np.testing.assert_array_equal(read_point(path, NAMED), [1, 2, 3])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rw": 1}, "missing names r, Tu"),
        ({"rw": 1, "r": 2, "Tu": 3, "extra": 4}, "unknown names extra"),
        ([1, "2", 3], "is not a number"),
        ([1, True, 3], "is not a number"),
        ([1, None, 3], "is not a number"),
        ({"x": "abc"}, "is not a number"),
        ([1, 2], "point has 2 values"),
    ],
)
def test_json_errors(tmp_path, data, message):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    with pytest.raises(PointError) as info:
        read_point(path, NAMED)
    assert message in str(info.value)


def test_json_nan_and_bad_syntax(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("[1, NaN, 3]")
    with pytest.raises(PointError, match="NaN/Inf values at r"):
        read_point(path, NAMED)
    path.write_text("[1, 2,")
    with pytest.raises(PointError, match="not valid JSON"):
        read_point(path, NAMED)


def test_npz_picks_the_named_or_only_array(tmp_path):
    np.savez(tmp_path / "a.npz", x=np.arange(3), other=np.zeros(5))
    np.testing.assert_array_equal(read_point(tmp_path / "a.npz", NAMED), [0, 1, 2])
    np.savez(tmp_path / "b.npz", whatever=np.arange(3))
    np.testing.assert_array_equal(read_point(tmp_path / "b.npz", NAMED), [0, 1, 2])
    np.savez(tmp_path / "c.npz", u=np.arange(3), v=np.arange(3))
    with pytest.raises(PointError, match="no array named 'x' \\(found: u, v\\)"):
        read_point(tmp_path / "c.npz", NAMED)


def test_file_errors(tmp_path):
    with pytest.raises(PointError, match="unsupported point file type .txt"):
        read_point(tmp_path / "p.txt", NAMED)
    for suffix in (".npy", ".npz", ".csv", ".json"):
        with pytest.raises(PointError, match="cannot read"):
            read_point(tmp_path / f"missing{suffix}", NAMED)
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(PointError, match="cannot read obj.npy"):
        read_point(tmp_path / "obj.npy", NAMED)
    (tmp_path / "latin.csv").write_bytes(b"\xe9\xff,1\n")
    with pytest.raises(PointError, match="not UTF-8"):
        read_point(tmp_path / "latin.csv", NAMED)


def test_read_points(tmp_path):
    many = np.arange(12.0).reshape(4, 3)
    np.save(tmp_path / "m.npy", many)
    np.testing.assert_array_equal(read_points(tmp_path / "m.npy", NAMED), many)
    np.save(tmp_path / "img.npy", np.zeros((5, 48)))
    assert read_points(tmp_path / "img.npy", IMG).shape == (5, 4, 4, 3)
    (tmp_path / "m.csv").write_text("Tu,r,rw\n" + "\n".join(f"{c},{b},{a}" for a, b, c in many))
    np.testing.assert_array_equal(read_points(tmp_path / "m.csv", NAMED), many)
    (tmp_path / "bad.csv").write_text("1,2,3\n4,5,nan\n")
    with pytest.raises(PointError, match="point 2: .*NaN/Inf values at Tu"):
        read_points(tmp_path / "bad.csv", NAMED)
    np.save(tmp_path / "odd.npy", np.zeros(7))
    with pytest.raises(PointError, match="not N points"):
        read_points(tmp_path / "odd.npy", NAMED)
    with pytest.raises(PointError, match="unsupported"):
        read_points(tmp_path / "m.json", NAMED)


# --- clipboard text and images --------------------------------------------------------------


@pytest.mark.parametrize("text", ["1 2 3", "1,2,3", "1\t2\t3\n", "1\n2\n3", " 1, 2;3 ", "[1,2,3]", '{"rw":1,"r":2,"Tu":3}'])
def test_parse_point_text(text):
    np.testing.assert_array_equal(parse_point_text(text, NAMED), [1, 2, 3])


@pytest.mark.parametrize(("text", "message"), [("", "empty"), ("1 2 x", "'x' is not a number"), ("1 2", "2 values"), ("[1,2", "not valid JSON")])
def test_parse_point_text_errors(text, message):
    with pytest.raises(PointError, match=message):
        parse_point_text(text, NAMED)


def _image(path: Path, mode: str = "RGB", size: tuple[int, int] = (8, 6)) -> Path:
    rng = np.random.default_rng(0)
    bands = len(mode) if mode != "L" else 1
    data = rng.integers(0, 256, size=(size[1], size[0], bands), dtype=np.uint8)
    Image.fromarray(data.squeeze() if bands == 1 else data, mode).save(path)
    return path


@pytest.mark.parametrize("spec", [IMG, GRAY, TensorInfo("g", (4, 4)), TensorInfo("r", (5, 4, 4))])
def test_point_from_image(tmp_path, spec):
    for name in ("a.png", "a.jpg"):
        out = point_from_image(_image(tmp_path / name, "RGB"), spec)
        assert out.shape == spec.shape and out.dtype == np.float64
        assert 0.0 <= out.min() and out.max() <= 1.0 and out.std() > 0
    # A uniform image gives exactly its value / 255 whatever the resampling.
    Image.new("RGB", (7, 3), (51, 51, 51)).save(tmp_path / "flat.png")
    flat = point_from_image(tmp_path / "flat.png", spec)
    if len(spec.shape) == 3 and spec.shape[2] == 4:
        np.testing.assert_array_equal(flat[..., 3], 1.0)  # opaque alpha
        flat = flat[..., :3]
    np.testing.assert_allclose(flat, 0.2)


def test_point_from_image_errors(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not an image at all")
    with pytest.raises(PointError, match="cannot read image bad.png"):
        point_from_image(tmp_path / "bad.png", IMG)
    with pytest.raises(PointError, match="cannot read image"):
        point_from_image(tmp_path / "missing.png", IMG)
    with pytest.raises(PointError, match="is not an image"):
        point_from_image(_image(tmp_path / "ok.png"), X8)


# --- fuzzing: every failure is a PointError -------------------------------------------------

FUZZ = settings(max_examples=200, deadline=None)


def _only_point_errors(path: Path, spec: TensorInfo, reader=read_point) -> None:
    try:
        out = reader(path, spec)
    except PointError as exc:
        assert "\n" not in str(exc)
        return
    assert np.all(np.isfinite(out))


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("0123456789.,-+eE \n\t\"'abnNiIfx[]:;")), max_size=60))
def test_fuzz_csv(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("csv") / "p.csv"
    path.write_text(text)
    _only_point_errors(path, NAMED)
    _only_point_errors(path, NAMED, read_points)


@FUZZ
@given(st.one_of(st.text(max_size=60), st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=3),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.sampled_from(["x", "rw", "r", "Tu", "q"]), kids, max_size=4),
    max_leaves=12,
).map(lambda d: json.dumps(d))))  # fmt: skip
def test_fuzz_json(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("json") / "p.json"
    path.write_text(text)
    _only_point_errors(path, NAMED)
    try:
        parse_point_text(text, NAMED)
    except PointError:
        pass


def _npy_bytes() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.arange(3.0))
    return buffer.getvalue()


@FUZZ
@given(st.binary(max_size=200), st.integers(0, 140), st.booleans())
def test_fuzz_npy(tmp_path_factory, noise, cut, keep_header):
    valid = _npy_bytes()
    data = valid[:cut] + noise if keep_header else noise
    folder = tmp_path_factory.mktemp("npy")
    for name in ("p.npy", "p.npz"):
        (folder / name).write_bytes(data)
        _only_point_errors(folder / name, NAMED)
        _only_point_errors(folder / name, NAMED, read_points)


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_image(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("img") / "p.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + data)
    try:
        assert point_from_image(path, IMG).shape == IMG.shape
    except PointError:
        pass
