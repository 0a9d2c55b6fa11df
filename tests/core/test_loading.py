"""load_model on every supported format, its error messages, sidecars and the SavedModel scan."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from jacgui.core.errors import ModelLoadError, UnsafeModelError
from jacgui.core.loading import load_model
from jacgui.core.safety import scan_savedmodel
from tests.core import model_factory as mf


def run(handle, batch):
    """forward on numpy inputs, numpy outputs."""
    return {k: v.numpy() for k, v in handle.forward(batch).items()}


def ones(handle, rows=1, seed=0):
    rng = np.random.default_rng(seed)
    return {
        s.name: (rng.normal(size=(rows, *s.shape)).astype("float32") if s.is_float
                 else rng.integers(0, 5, size=(rows, *s.shape)).astype(s.dtype))
        for s in handle.inputs
    }  # fmt: skip


# --- Keras ----------------------------------------------------------------------------------


def test_multi_io_keras_lists_inputs_and_outputs(loaded):
    h = loaded["multi"]
    assert h.format == "keras"
    expected = [("a", (3,), "float32"), ("b", (2,), "float32")]
    assert [(s.name, s.shape, s.dtype) for s in h.inputs] == expected
    assert [(s.name, s.shape) for s in h.outputs] == [("y1", (2,)), ("y2", (1,))]
    assert h.param_count == h.source.count_params() > 0
    assert h.point_source == "zeros"
    assert h.default_point["a"].shape == (3,) and not h.default_point["a"].any()


def test_forward_is_inference_mode_and_deterministic(loaded):
    h = loaded["multi"]
    x = ones(h, rows=4)
    first, second = run(h, x), run(h, x)
    np.testing.assert_array_equal(first["y1"], second["y1"])
    direct = h.source([x["a"], x["b"]], training=False)
    np.testing.assert_allclose(first["y1"], direct[0].numpy(), rtol=1e-6)
    # Rows are independent: a batch of 4 equals four batches of 1.
    for row in range(4):
        single = run(h, {k: v[row : row + 1] for k, v in x.items()})
        np.testing.assert_allclose(single["y2"][0], first["y2"][row], rtol=1e-5, atol=1e-6)


def test_forward_traces_with_unknown_batch(loaded):
    h = loaded["multi"]
    sig = {s.name: tf.TensorSpec((None, *s.shape), tf.float32) for s in h.inputs}
    traced = tf.function(h.forward, input_signature=[sig])
    x = ones(h, rows=3)
    np.testing.assert_allclose(traced(x)["y1"].numpy(), run(h, x)["y1"], rtol=1e-6)


def test_h5_matches_keras_and_float64_is_close(loaded):
    keras_h, h5_h = loaded["multi"], loaded["multi_h5"]
    assert h5_h.format == "h5" and any("compile=False" in n for n in h5_h.notes)
    x = ones(keras_h, rows=2)
    np.testing.assert_allclose(run(h5_h, x)["y1"], run(keras_h, x)["y1"], rtol=1e-6)
    f64 = keras_h.float64_forward()
    y64 = f64({k: v.astype("float64") for k, v in x.items()})
    assert y64["y1"].dtype.name == "float64"
    np.testing.assert_allclose(y64["y1"].numpy(), run(keras_h, x)["y1"], rtol=1e-5, atol=1e-6)


def test_dict_inputs_and_outputs(loaded):
    h = loaded["dict"]
    assert {s.name for s in h.inputs} == {"p", "q"}
    assert {(s.name, s.shape) for s in h.outputs} == {("sum", (1,)), ("prod", (2,))}
    out = run(h, ones(h, rows=2))
    assert out["sum"].shape == (2, 1) and out["prod"].shape == (2, 2)


def test_embedding_keeps_int_dtype(loaded):
    h = loaded["embedding"]
    assert h.inputs[0].dtype == "int32" and not h.inputs[0].is_float
    assert h.default_point["tokens"].dtype == np.int32
    assert run(h, ones(h, rows=2))[h.outputs[0].name].shape == (2, 5, 3)


def test_fixed_batch_model_is_padded(loaded):
    h = loaded["fixed"]
    assert h.inputs[0].shape == (4,) and any("batches of 8" in n for n in h.notes)
    x = np.arange(44, dtype="float32").reshape(11, 4) / 10
    reference = np.concatenate(
        [h.source(np.resize(x[i : i + 8], (8, 4)), training=False).numpy()[: len(x[i : i + 8])]
         for i in (0, 8)]
    )  # fmt: skip
    name = h.outputs[0].name
    for rows in (1, 3, 8, 11):
        np.testing.assert_allclose(run(h, {"x": x[:rows]})[name], reference[:rows], rtol=1e-5)
    traced = tf.function(h.forward, input_signature=[{"x": tf.TensorSpec((None, 4), tf.float32)}])
    np.testing.assert_allclose(traced({"x": x[:3]})[name].numpy(), reference[:3], rtol=1e-5)


def test_mixed_precision_outputs_float32(loaded):
    h = loaded["mixed"]
    assert h.outputs[0].dtype == "float32" and any("float16" in n for n in h.notes)
    out = h.forward(ones(h, rows=2))[h.outputs[0].name]
    assert out.dtype.name == "float32"
    y64 = h.float64_forward()({"x": ones(h, rows=2)["x"].astype("float64")})
    np.testing.assert_allclose(y64[h.outputs[0].name].numpy(), out.numpy(), atol=5e-3)


def test_image_labels(loaded):
    spec = loaded["image"].inputs[0]
    assert spec.shape == (4, 4, 3) and spec.is_image
    labels = spec.element_labels()
    assert labels[0] == "[0,0,0]" and labels[5] == "[0,1,2]" and labels[-1] == "[3,3,2]"


def test_lambda_needs_unsafe_and_loads_in_a_thread(models):
    with pytest.raises(UnsafeModelError, match="unsafe"):
        load_model(models["lambda"])
    box = {}
    # Keras safe mode is thread-local: loading in a worker must still honour unsafe=True.
    def load_trusted():
        box.update(h=load_model(models["lambda"], unsafe=True))

    worker = threading.Thread(target=load_trusted)
    worker.start()
    worker.join()
    h = box["h"]
    x = np.array([[1.0, -2.0, 3.0, 0.5]], "float32")
    np.testing.assert_allclose(run(h, {"x": x})[h.outputs[0].name], 2 * x)
    assert any("unsafe" in n for n in h.notes)


def test_subclassed_model_uses_its_build_shape(loaded):
    h = loaded["subclassed"]
    assert [(s.name, s.shape) for s in h.inputs] == [("x", (3,))]
    x = np.ones((4, 3), "float32")
    np.testing.assert_allclose(run(h, {"x": x})[h.outputs[0].name], h.source(x).numpy(), rtol=1e-6)
    try:  # a float64 copy must really be float64, or refuse so the engine stays in float32
        forward = h.float64_forward()
    except ModelLoadError as exc:
        assert "float32" in str(exc)
    else:
        assert forward({"x": x.astype("float64")})[h.outputs[0].name].dtype.name == "float64"


def test_unregistered_custom_class_is_named(models):
    with pytest.raises(ModelLoadError, match="'Scale'") as info:
        load_model(models["custom"])
    assert not isinstance(info.value, UnsafeModelError)


def test_keras2_h5_loads_without_compiling(models):
    # The reason compile=False is needed (keras#19330).
    with pytest.raises(ValueError, match="Could not deserialize 'keras.metrics.mse'"):
        keras.saving.load_model(models["keras2"])
    h = load_model(models["keras2"])
    assert any("Keras 2.15.0" in n and "compile=False" in n for n in h.notes)
    x = np.array([[1.0, 2.0, 3.0, 4.0]], "float32")
    kernel = np.array([[1, 0], [0, 2], [1, 1], [0, 0]], "float32")
    assert h.inputs[0].name == "dense_input"
    np.testing.assert_allclose(run(h, {"dense_input": x})["dense"], x @ kernel + [0.5, -0.5])


# --- SavedModel -----------------------------------------------------------------------------


def test_exported_savedmodel_values(models, loaded):
    h = loaded["exported"]
    assert h.format == "savedmodel" and h.make_float64 is None and h.float64_forward() is None
    assert [(s.name, s.shape) for s in h.inputs] == [("x", (4,))]
    w = np.load(models["exported"].parent / "exported_weights.npy")
    kernel, bias = w[:8].reshape(4, 2), w[8:]
    x = np.linspace(-1, 1, 12, dtype="float32").reshape(3, 4)
    out = run(h, {"x": x})
    np.testing.assert_allclose(out[h.outputs[0].name], np.tanh(x @ kernel + bias), rtol=1e-5)


def test_module_savedmodel_differentiates(loaded):
    h = loaded["module"]
    assert [(s.name, s.shape) for s in h.outputs] == [("y", (3,))]
    x = tf.constant([[1.0, 2.0, 3.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = h.forward({"x": x})["y"]
    np.testing.assert_allclose(y.numpy(), [[2.0, 8.0, 18.0]])
    np.testing.assert_allclose(tape.jacobian(y, x).numpy()[0, :, 0, :], np.diag([3.0, 6.0, 9.0]))


def test_fixed_batch_signature(loaded):
    h = loaded["module_fixed"]
    assert any("batches of 2" in n for n in h.notes)
    x = np.arange(9, dtype="float32").reshape(3, 3)
    np.testing.assert_allclose(run(h, {"x": x})["y"], x * [1, 2, 3] + x**2)


def test_scan_flags_write_file_and_refuses_the_load(models, loaded):
    assert scan_savedmodel(models["writer"]) == ["WriteFile"]
    assert scan_savedmodel(models["module"]) == [] and scan_savedmodel(models["exported"]) == []
    with pytest.raises(UnsafeModelError, match="WriteFile.*unsafe"):
        load_model(models["writer"])
    h = load_model(models["writer"], unsafe=True)
    assert any("WriteFile" in n for n in h.notes)


@pytest.mark.parametrize(
    ("kind", "found"),
    [
        ("print", ["PrintV2", "StringFormat"]),  # printing is not computing, even to stderr
        ("print_file", ["PrintV2", "StringFormat"]),
        ("py_function", ["EagerPyFunc"]),
    ],
)
def test_scan_op_samples(tmp_path_factory, kind, found):
    path = mf.build_op_sample(tmp_path_factory.mktemp(kind), kind)
    assert scan_savedmodel(path) == found


def test_savedmodel_load_in_thread_use_in_main(models):
    box = {}
    worker = threading.Thread(target=lambda: box.update(h=load_model(models["module"])))
    worker.start()
    worker.join()
    np.testing.assert_allclose(run(box["h"], {"x": np.ones((1, 3), "float32")})["y"], [[2, 3, 4]])


def test_savedmodel_errors(models, tmp_path):
    with pytest.raises(ModelLoadError, match="no serving signature"):
        load_model(models["nosig"])
    (tmp_path / "notsaved").mkdir()
    (tmp_path / "notsaved" / "readme.txt").write_text("hi")
    with pytest.raises(ModelLoadError, match="not a SavedModel"):
        load_model(tmp_path / "notsaved")
    (tmp_path / "garbage").mkdir()
    (tmp_path / "garbage" / "saved_model.pb").write_bytes(b"\xff" * 64)
    with pytest.raises(ModelLoadError, match="cannot read"):
        load_model(tmp_path / "garbage")


# --- Python files ---------------------------------------------------------------------------


def test_textbook_py(loaded):
    h = loaded["textbook"]
    assert h.format == "python" and h.point_source == "file"
    assert list(h.inputs[0].element_labels()) == ["u", "v", "w"]
    np.testing.assert_array_equal(h.default_point["x"], [1.0, -2.0, 0.5])
    x = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]], "float32")
    np.testing.assert_allclose(run(h, {"x": x})["f"], x**2 + 2 * x + 1)
    x64 = x.astype("float64") / 3
    y64 = h.float64_forward()({"x": x64})["f"]
    assert y64.dtype.name == "float64"
    np.testing.assert_allclose(y64.numpy(), x64**2 + 2 * x64 + 1, rtol=1e-14)


def test_stacked_py_scalar_input(loaded):
    h = loaded["stacked"]
    assert h.inputs[0].shape == () and h.outputs[0].shape == (3,)
    assert list(h.outputs[0].element_labels()) == ["f[0]", "f[1]", "f[2]"]
    x = np.array([0.3, -1.0, 2.0], "float32")
    expected = np.stack([x**2, np.sin(x), np.exp(x)], axis=1)
    np.testing.assert_allclose(run(h, {"x": x})["f"], expected, rtol=1e-6)


def test_py_float64_failure_is_a_load_error(tmp_path):
    # A float32 constant times a float64 x fails: the engine must get a JacguiError to fall back.
    source = "import tensorflow as tf\nPOINT=[1.0]\ndef f(x):\n    return tf.constant(2.0) * x\n"
    h = load_model(mf.write_py(tmp_path, "f32only.py", source))
    np.testing.assert_allclose(run(h, {"x": np.ones((2, 1), "float32")})["f"], 2.0)
    with pytest.raises(ModelLoadError, match="float64"):
        h.float64_forward()


BRANCHY_PY = """
import tensorflow as tf
INPUT_SHAPE = (2,)
def f(x):
    if x[0] > 0:  # a Python if on a tensor: AutoGraph makes it a tf.cond
        y = x * x
    else:
        y = 3.0 * x
    total = tf.zeros((), x.dtype)
    i = tf.constant(0)
    while i < 3:  # a Python while on a tensor: a tf.while_loop
        total += x[1] * x[1]
        i += 1
    return tf.stack([y[0], y[1], total])
"""


@pytest.mark.parametrize("method", ["reverse", "forward", "fd-central"])
@pytest.mark.parametrize("first", [1.5, -1.5])
def test_py_control_flow_on_tensors_works_in_the_engines_graphs(tmp_path, method, first):
    # The engine traces without AutoGraph; the loader converts the file's f itself, so Python
    # control flow on tensors still branches by the point's value, not by tracing once.
    import jacgui

    h = load_model(mf.write_py(tmp_path, "branchy.py", BRANCHY_PY))
    x = np.array([first, 2.0])
    expected = np.array([
        [2 * first if first > 0 else 3.0, 0.0],
        [0.0, 2 * 2.0 if first > 0 else 3.0],
        [0.0, 3 * 2 * 2.0],
    ])
    # AD in float32: round-off of a few ulps; fd-central in float64 with Richardson: 1e-9.
    tol = 1e-9 if method.startswith("fd") else 1e-5
    np.testing.assert_allclose(jacgui.jacobian(h, x, method=method).matrix, expected, atol=tol)


PY_ERRORS = {
    "raises.py": ("x = 1 / 0\n", "ZeroDivisionError"),
    "nof.py": ("INPUT_SHAPE = (2,)\n", "no function f"),
    "notcallable.py": ("f = 3\nINPUT_SHAPE = (2,)\n", "not a function"),
    "syntax.py": ("def f(x) return x\n", "SyntaxError"),
    "noshape.py": ("def f(x):\n    return x\n", "INPUT_SHAPE"),
    "exits.py": ("import sys\nsys.exit(3)\n", "SystemExit"),
    "numpy.py": ("import numpy as np\nPOINT=[1.0]\ndef f(x):\n    return np.sin(x)\n", "traced"),
    "badpoint.py": ("INPUT_SHAPE=(3,)\nPOINT=[1, 2]\ndef f(x):\n    return x\n", "POINT"),
}


@pytest.mark.parametrize("name", sorted(PY_ERRORS))
def test_py_errors(tmp_path, name):
    source, expected = PY_ERRORS[name]
    with pytest.raises(ModelLoadError, match=expected) as info:
        load_model(mf.write_py(tmp_path, name, source))
    assert "\n" not in str(info.value) and "Traceback" not in str(info.value)


# --- Bad files ------------------------------------------------------------------------------


def _bad_files(directory: Path, keras_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(1)
    files = {}
    for suffix in (".keras", ".h5", ".hdf5", ".py", ".onnx", ".txt", ""):
        files[f"random{suffix}"] = directory / f"random{suffix or '_noext'}"
        files[f"random{suffix}"].write_bytes(rng.bytes(512))
        files[f"empty{suffix}"] = directory / f"empty{suffix or '_noext'}"
        files[f"empty{suffix}"].write_bytes(b"")
    data = keras_path.read_bytes()
    files["truncated.keras"] = directory / "truncated.keras"
    files["truncated.keras"].write_bytes(data[: len(data) // 2])
    files["zip-not-keras.keras"] = directory / "zip.keras"
    shutil.make_archive(str(directory / "z"), "zip", root_dir=str(directory), base_dir="empty.h5")
    (directory / "z.zip").rename(files["zip-not-keras.keras"])
    files["missing"] = directory / "missing.keras"
    return files


def test_bad_files_give_one_line_load_errors(models, tmp_path):
    for label, path in _bad_files(tmp_path, models["multi"]).items():
        with pytest.raises(ModelLoadError) as info:
            load_model(path)
        message = str(info.value)
        assert "\n" not in message and len(message) < 320, (label, message)
        assert "Traceback" not in message and not isinstance(info.value, UnsafeModelError), label


# --- Sidecar --------------------------------------------------------------------------------


def test_sidecar_names_and_point(models, tmp_path):
    path = tmp_path / "borehole.keras"
    shutil.copy(models["multi"], path)
    mf.write_sidecar(path, {
        "inputs": {"a": {"names": ["rw", "r", "Tu"], "point": [0.1, 500, 63000]}},
        "outputs": {"y2": {"names": ["flow"]}},
    })  # fmt: skip
    h = load_model(path)
    assert h.point_source == "sidecar" and h.notes == ()
    assert list(h.input("a").element_labels()) == ["rw", "r", "Tu"]
    assert list(h.output("y2").element_labels()) == ["flow"]
    assert h.input("b").feature_names is None
    np.testing.assert_array_equal(h.default_point["a"], [0.1, 500, 63000])
    assert not h.default_point["b"].any()


@pytest.mark.parametrize(
    ("content", "note"),
    [
        ("{not json", "ignored"),
        ("[1, 2]", "ignored"),
        (json.dumps({"inputs": {"a": {"point": [1, 2]}}}), "point for 'a' ignored"),
        (json.dumps({"inputs": {"a": {"names": ["only"]}}}), "names ignored"),
        (json.dumps({"inputs": {"zz": {"point": [1]}}}), "unknown inputs"),
        (json.dumps({"inputs": {"a": {"point": [1, "NaN", 2]}}}), "point for 'a' ignored"),
    ],
)
def test_bad_sidecar_is_a_note(models, tmp_path, content, note):
    path = tmp_path / "m.keras"
    shutil.copy(models["multi"], path)
    (tmp_path / "m.jacgui.json").write_text(content)
    h = load_model(path)
    assert h.point_source == "zeros" and not h.default_point["a"].any()
    assert any(note in n for n in h.notes), h.notes


def test_savedmodel_sidecar_beside_and_inside(models, tmp_path):
    beside = tmp_path / "mydir"
    shutil.copytree(models["module"], beside)
    mf.write_sidecar(beside, {"inputs": {"x": {"point": [1, 2, 3]}}})
    assert load_model(beside).point_source == "sidecar"
    inside = tmp_path / "other"
    shutil.copytree(models["module"], inside)
    (inside / "jacgui.json").write_text(json.dumps({"outputs": {"y": {"names": ["p", "q", "r"]}}}))
    assert list(load_model(inside).output("y").element_labels()) == ["p", "q", "r"]


def test_core_imports_neither_qt_nor_tensorflow():
    code = (
        "import sys, jacgui.core.loading, jacgui.core.points, jacgui.core.safety;"
        "bad = [m for m in ('PySide6', 'tensorflow', 'keras') if m in sys.modules];"
        "sys.exit(str(bad) if bad else 0)"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(root)})  # fmt: skip
    assert result.returncode == 0, result.stderr[-500:]
