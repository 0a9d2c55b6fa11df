"""The bad-input matrix: every odd file, model, point and size a user can throw at jacgui.

Each :class:`Row` is defined once here and run three times: through the Python API
(``tests/test_bad_inputs.py``), the command line (same file) and the window
(``tests/gui/test_bad_inputs_gui.py``). A row says how to build its case, which exception the
API must raise (``None`` for rows that must succeed), at which stage (loading the model,
reading the point, computing) and substrings that the one-line message must contain.

Builders take a folder to write into and the session's lazy ``models`` (paths of the test
models of :mod:`tests.core.model_factory`), so the expensive Keras/SavedModel files are built
once per session and shared.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from jacgui.core.errors import (
    JacobianTooLargeError,
    ModelLoadError,
    ModelRunError,
    NotDifferentiableError,
    PointError,
    UnsafeModelError,
)

#: Longest message a user should have to read on one line.
MAX_MESSAGE = 250

#: A line of TensorFlow's C++ log (absl format), e.g. ``E0000 00:00:1795662988.195129  2806
#: cuda_platform.cc:52] failed call to cuInit``. The suite runs with TF_CPP_MIN_LOG_LEVEL=2
#: (tests/conftest.py) where jacgui gives users 3; tests in fresh processes see no such line.
TF_LOG = re.compile(r"^[IWEF]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] ")

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class Case:
    """What a row asks jacgui to do: load ``model``, maybe read ``point``, compute."""

    model: Path
    point: Path | None = None
    unsafe: bool = False
    method: str = "auto"
    input: str | None = None
    output: str | None = None
    memory_mib: float | None = None

    def cli_args(self) -> list[str]:
        """``jacgui compute`` arguments for this case."""
        args = ["compute", str(self.model)]
        if self.point is not None:
            args += ["--point", str(self.point)]
        if self.unsafe:
            args.append("--unsafe")
        if self.method != "auto":
            args += ["--method", self.method]
        if self.input is not None:
            args += ["--input", self.input]
        if self.output is not None:
            args += ["--output", self.output]
        if self.memory_mib is not None:
            args += ["--memory", str(self.memory_mib)]
        return args


@dataclass(frozen=True)
class Row:
    """One line of the matrix.

    Attributes
    ----------
    id : str
        Test id.
    group : str
        ``"file"``, ``"model"``, ``"point"`` or ``"size"``.
    build : callable
        ``build(folder, models) -> Case``.
    error : type or None
        Exception class the API raises; ``None`` when the row must succeed.
    stage : str
        Where the error arises: ``"load"`` (load_model), ``"point"`` (reading the point file)
        or ``"compute"`` (the engine). For success rows: ``"compute"``.
    message : tuple of str
        Substrings of the error message (success rows: of the notes + warnings).
    cli_message : tuple of str or None
        For error rows: substrings of the CLI's stderr line when they differ from ``message``
        (the CLI reads no images, for instance; ``cli_error`` then says whether the CLI
        fails). For success rows: substrings of the CLI's standard output.
    check : callable or None
        Extra assertions for success rows: ``check(result, model)``.
    gui_message : tuple of str or None
        Substrings of the window's error when it differs from ``message`` (the window does not
        offer integer inputs at all, for instance).
    """

    id: str
    group: str
    build: Callable[[Path, Any], Case]
    error: type[Exception] | None
    stage: str
    message: tuple[str, ...] = ()
    cli_message: tuple[str, ...] | None = None
    cli_error: bool | None = None
    check: Callable[[Any, Any], None] | None = field(default=None, compare=False)
    gui_message: tuple[str, ...] | None = None

    @property
    def cli_fails(self) -> bool:
        return self.error is not None if self.cli_error is None else self.cli_error

    @property
    def cli_substrings(self) -> tuple[str, ...]:
        if self.cli_message is not None:
            return self.cli_message
        return self.message if self.error is not None else ()


# --- helpers used by the three test files ---------------------------------------------------


def assert_one_line(message: str, limit: int = MAX_MESSAGE) -> None:
    """A message a user can read: one line, no traceback, not too long, not empty."""
    assert message.strip(), "empty message"
    assert "\n" not in message and "\r" not in message, repr(message)
    assert "Traceback" not in message and 'File "' not in message, message
    assert len(message) <= limit, f"{len(message)} chars: {message}"


def assert_mentions(message: str, parts: tuple[str, ...]) -> None:
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"


def read_any_point(path: Path, spec: Any) -> np.ndarray:
    """A point from a data file or an image, as the window's "Load point" does."""
    from jacgui.core.points import point_from_image, read_point

    if path.suffix.lower() in IMAGE_SUFFIXES:
        return point_from_image(path, spec)
    return read_point(path, spec)


def run_api(case: Case) -> tuple[Any, Any]:
    """Load, read the point and compute through the public API; returns (result, model)."""
    from jacgui.core.engine import jacobian
    from jacgui.core.job import DEFAULT_MEMORY_BUDGET
    from jacgui.core.loading import load_model

    model = load_model(case.model, unsafe=case.unsafe)
    point = None
    if case.point is not None:
        point = read_any_point(case.point, model.input(case.input))
    budget = DEFAULT_MEMORY_BUDGET if case.memory_mib is None else int(case.memory_mib * (1 << 20))
    result = jacobian(model, point, method=case.method, input=case.input, output=case.output,
                      memory_budget=budget)
    return result, model


# --- builders -------------------------------------------------------------------------------


def _write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    if isinstance(data, str):
        path.write_text(textwrap.dedent(data), encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def _random_bytes(seed: int, size: int = 512) -> bytes:
    return np.random.default_rng(seed).bytes(size)


def _py(name: str, source: str, **case: Any) -> Callable[[Path, Any], Case]:
    return lambda folder, models: Case(_write(folder, name, source), **case)


def _random_file(suffix: str) -> Callable[[Path, Any], Case]:
    def build(folder: Path, models: Any) -> Case:
        return Case(_write(folder, f"random{suffix}", _random_bytes(len(suffix))))

    return build


def _random_folder(folder: Path, models: Any) -> Case:
    target = folder / "randomdir"
    target.mkdir()
    _write(target, "saved_model.pb", _random_bytes(9))
    return Case(target)


def _not_savedmodel(folder: Path, models: Any) -> Case:
    target = folder / "photos"
    target.mkdir()
    _write(target, "readme.txt", "holiday pictures\n")
    return Case(target)


def _truncated_keras(folder: Path, models: Any) -> Case:
    data = Path(models["multi"]).read_bytes()
    return Case(_write(folder, "truncated.keras", data[: len(data) // 2]))


def _model(key: str, **case: Any) -> Callable[[Path, Any], Case]:
    return lambda folder, models: Case(Path(models[key]), **case)


def _model_with_point(key: str, point_name: str, data: bytes | str | Callable[[Path], None],
                      **case: Any) -> Callable[[Path, Any], Case]:
    def build(folder: Path, models: Any) -> Case:
        if callable(data):
            point = folder / point_name
            data(point)
        else:
            point = _write(folder, point_name, data)
        return Case(Path(models[key]), point=point, **case)

    return build


def _model_with_point_file(name: str, source: str, point_name: str,
                           point: str) -> Callable[[Path, Any], Case]:
    return lambda folder, models: Case(_write(folder, name, source),
                                       point=_write(folder, point_name, point))


def _argmax_keras(folder: Path, models: Any) -> Case:
    """A functional .keras model whose output is the argmax of a Dense layer (no Lambda)."""
    from jacgui.core._tf import keras

    k = keras()
    k.utils.set_random_seed(3)
    x = k.Input((4,), name="x")
    scores = k.layers.Dense(3, name="scores")(x)
    label = k.ops.cast(k.ops.argmax(scores, axis=-1), "float32")
    model = k.Model(x, k.ops.expand_dims(label, -1))
    path = folder / "classifier.keras"
    model.save(path)
    return Case(path)


def _gray_png(path: Path) -> None:
    from PIL import Image

    Image.new("L", (9, 7), 51).save(path)


def _wrong_shape_npy(path: Path) -> None:
    np.save(path, np.zeros((3, 4, 4)))  # channels-first for a (4, 4, 3) input


TEXTBOOK = "textbook"  # tests.core.conftest key: inputs u, v, w of f(x) = x**2 + 2x + 1

ROUND_PY = """
    import tensorflow as tf

    POINT = [0.33, 1.44, -2.22]


    def f(x):
        return tf.round(10.0 * x) / 10.0
    """

# x**2 that refuses (inside TensorFlow) inputs of 10 or more.
GUARDED_PY = """
    import tensorflow as tf

    POINT = [1.0, 2.0]


    def f(x):
        tf.debugging.assert_less(x, 10.0, message="this model only accepts inputs below 10")
        return x ** 2
    """

NAN_PY = """
    import tensorflow as tf

    POINT = [-1.0, 4.0]


    def f(x):
        return tf.sqrt(x)
    """

HUGE_PY = """
    import tensorflow as tf

    INPUT_SHAPE = (100000,)


    def f(x):
        return tf.tile(x, [10])
    """


def _dense_weights(model: Any) -> list[np.ndarray]:
    return [w.astype(np.float64) for w in model.source.get_weights()]


def _check_fixed(result: Any, model: Any) -> None:
    # y_r = h[2r]^2 + h[2r+1]^2 with h = x W + b, so dy_r/dx_j = 2 sum_c h[2r+c] W[j, 2r+c].
    w, b = _dense_weights(model)
    h = result.point @ w + b
    truth = np.stack([2 * (h[2 * r:2 * r + 2] * w[:, 2 * r:2 * r + 2]).sum(axis=1)
                      for r in range(2)])
    # float32 AD: round-off, about 1e-7 of max|J| (1e-5 as in the engine tests).
    np.testing.assert_allclose(result.matrix, truth, atol=1e-5 * np.abs(truth).max())


def _check_dict(result: Any, model: Any) -> None:
    assert (result.input_name, result.output_name, result.shape) == ("q", "prod", (2, 3))


def _check_mixed(result: Any, model: Any) -> None:
    # Dense(3, tanh) then Dense(2): J = W2^T diag(1 - h^2) W1^T, worked out in float64. The
    # model computes in float16 (eps ~ 1e-3): allow ten of its ulps of max|J|.
    w1, b1, w2, _ = _dense_weights(model)
    hidden = np.tanh(result.point @ w1 + b1)
    truth = (w2.T * (1 - hidden**2)) @ w1.T
    assert np.abs(truth).max() > 0
    np.testing.assert_allclose(result.matrix, truth, atol=1e-2 * np.abs(truth).max())


def _check_round_fd(result: Any, model: Any) -> None:
    # Away from its jumps round() is flat: finite differences give its true slope, 0.
    assert result.method == "fd-central" and np.all(result.matrix == 0)


def _check_nan(result: Any, model: Any) -> None:
    assert np.isnan(result.matrix[0, 0]) and result.matrix[1, 1] == 0.25
    assert int(np.sum(~np.isfinite(result.matrix))) == 1


def _check_keras2(result: Any, model: Any) -> None:
    kernel = np.array([[1, 0], [0, 2], [1, 1], [0, 0]], "float32")
    np.testing.assert_allclose(result.matrix, kernel.T)


def _check_lambda(result: Any, model: Any) -> None:
    np.testing.assert_allclose(result.matrix, 2 * np.eye(4))


def _check_gray(result: Any, model: Any) -> None:
    np.testing.assert_allclose(result.point, 0.2)  # gray 51/255 copied into all 3 channels


ROWS: tuple[Row, ...] = (
    # --- files ----------------------------------------------------------------------------
    Row("missing-file", "file", lambda d, m: Case(d / "nowhere" / "model.keras"),
        ModelLoadError, "load", ("no such file or folder", "model.keras")),
    Row("empty-file", "file", lambda d, m: Case(_write(d, "empty.keras", b"")),
        ModelLoadError, "load", ("empty.keras is empty",)),
    Row("random-bytes.keras", "file", _random_file(".keras"),
        ModelLoadError, "load", ("random.keras", "not a valid .keras file")),
    Row("random-bytes.h5", "file", _random_file(".h5"),
        ModelLoadError, "load", ("random.h5", "not a valid HDF5 file")),
    Row("random-bytes.hdf5", "file", _random_file(".hdf5"),
        ModelLoadError, "load", ("random.hdf5", "not a valid HDF5 file")),
    Row("random-bytes.py", "file", _random_file(".py"),
        ModelLoadError, "load", ("running random.py raised",)),
    Row("random-bytes-folder", "file", _random_folder,
        ModelLoadError, "load", ("cannot read randomdir/saved_model.pb",)),
    Row("unsupported-extension", "file", lambda d, m: Case(_write(d, "model.onnx", b"\x08\x07")),
        ModelLoadError, "load", ("unsupported model type .onnx",)),
    Row("truncated.keras", "file", _truncated_keras,
        ModelLoadError, "load", ("truncated.keras", "truncated or corrupt")),
    Row("folder-not-savedmodel", "file", _not_savedmodel,
        ModelLoadError, "load", ("photos is not a SavedModel",)),
    Row("savedmodel-no-signature", "file", _model("nosig"),
        ModelLoadError, "load", ("no serving signature",)),
    Row("savedmodel-writefile", "file", _model("writer"),
        UnsafeModelError, "load", ("WriteFile", "--unsafe / unsafe=True")),
    Row("py-raises", "file", _py("raises.py", "x = 1 / 0\n"),
        ModelLoadError, "load", ("running raises.py raised ZeroDivisionError",)),
    Row("py-without-f", "file", _py("nof.py", "INPUT_SHAPE = (2,)\ndef g(x):\n    return x\n"),
        ModelLoadError, "load", ("nof.py defines no function f(x)",)),
    Row("py-f-calls-sys-exit", "file",
        _py("exits.py", "import sys\nINPUT_SHAPE = (2,)\ndef f(x):\n    sys.exit(3)\n"),
        ModelLoadError, "load", ("exits.py", "SystemExit")),
    Row("py-round-autodiff", "file", _py("rounding.py", ROUND_PY, method="reverse"),
        NotDifferentiableError, "compute", ("Round", "fd-central")),
    Row("py-round-fd-central", "file", _py("rounding.py", ROUND_PY, method="fd-central"),
        None, "compute", check=_check_round_fd),
    Row("keras2.h5", "file", _model("keras2"),
        None, "compute", ("Keras 2.15.0 HDF5 file loaded with compile=False",),
        check=_check_keras2),
    Row("unregistered-custom-layer", "file", _model("custom"),
        ModelLoadError, "load", ("'Scale'", "register_keras_serializable")),
    Row("lambda-safe-mode", "file", _model("lambda"),
        UnsafeModelError, "load", ("Lambda layer", "--unsafe / unsafe=True")),
    Row("lambda-unsafe", "file", _model("lambda", unsafe=True),
        None, "compute", ("safe_mode off",), check=_check_lambda),
    # --- models ---------------------------------------------------------------------------
    Row("integer-input-embedding", "model", _model("embedding"),
        NotDifferentiableError, "compute", ("'tokens'", "integer inputs cannot be differentiated"),
        gui_message=("no floating-point input to differentiate",)),
    Row("argmax-model", "model", _argmax_keras,
        NotDifferentiableError, "compute", ("ArgMax", "fd-central")),
    Row("fixed-batch-8", "model", _model("fixed"),
        None, "compute", ("batches of 8",), check=_check_fixed),
    Row("dict-inputs-outputs", "model", _model("dict", input="q", output="prod"),
        None, "compute", check=_check_dict),
    Row("mixed-float16", "model", _model("mixed", method="reverse"),
        None, "compute", ("float16",), check=_check_mixed),
    Row("nan-at-point", "model", _py("nan.py", NAN_PY),
        None, "compute", ("1 of 4 Jacobian cells are NaN or infinite", "f(x) has 1 non-finite"),
        check=_check_nan,
        cli_message=("warning: 1 of 4 Jacobian cells are NaN", "warning: f(x) has 1 non-finite")),
    Row("model-raises-at-point", "model",
        _model_with_point_file("guarded.py", GUARDED_PY, "far.json", "[1.0, 20.0]"),
        ModelRunError, "compute", ("the model failed while computing",
                                   "only accepts inputs below 10")),
    # --- points ---------------------------------------------------------------------------
    Row("point-wrong-length", "point", _model_with_point(TEXTBOOK, "short.json", "[1.0, 2.0]"),
        PointError, "point", ("point has 2 values", "expects shape (3,)")),
    Row("point-wrong-shape", "point", _model_with_point("image", "chw.npy", _wrong_shape_npy),
        PointError, "point", ("point has shape (3, 4, 4)", "expects shape (4, 4, 3)")),
    Row("point-nan", "point", _model_with_point(TEXTBOOK, "nan.csv", "1.0,nan,3.0\n"),
        PointError, "point", ("NaN/Inf values at v",)),
    Row("point-inf", "point", _model_with_point(TEXTBOOK, "inf.json", "[1.0, 2.0, Infinity]"),
        PointError, "point", ("NaN/Inf values at w",)),
    Row("point-text-in-cell", "point", _model_with_point(TEXTBOOK, "text.csv", "1.0,abc,3.0\n"),
        PointError, "point", ("'abc' is not a number",)),
    Row("point-empty-csv", "point", _model_with_point(TEXTBOOK, "empty.csv", ""),
        PointError, "point", ("empty.csv is empty",)),
    Row("point-csv-wrong-header", "point",
        _model_with_point(TEXTBOOK, "header.csv", "a,b,c\n1,2,3\n"),
        PointError, "point", ("header does not match", "unknown names a, b, c")),
    Row("point-json-missing-names", "point",
        _model_with_point(TEXTBOOK, "names.json", '{"u": 1.0, "v": 2.0}'),
        PointError, "point", ("missing names w",)),
    # The window converts an image to the input's channel count (Pillow's convert); the CLI
    # reads no images at all and says so.
    Row("point-image-wrong-channels", "point", _model_with_point("image", "gray.png", _gray_png),
        None, "compute", check=_check_gray,
        cli_message=("unsupported point file type .png",), cli_error=True),
    # --- size -----------------------------------------------------------------------------
    Row("jacobian-too-large", "size", _py("huge.py", HUGE_PY),
        JacobianTooLargeError, "compute",
        ("1000000x100000 Jacobian needs about", "GiB", "memory budget of 1.0 GiB",
         "choose one output or fewer inputs")),
)

ROW_IDS = [row.id for row in ROWS]
ERROR_ROWS = [row for row in ROWS if row.error is not None]
