"""The static defences against every attack class of :mod:`tests.attacks`, through the API and
the command line: refused with one line (exit 2 on the CLI), no canary written, no ``.pth``
dropped, no victim file changed, no crash. Each attack is also shown to be live: with trust
it does touch its canaries, so a refusal here is a refusal of a working attack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from jacgui.core.errors import JacguiError, ModelLoadError, PointError, UnsafeModelError
from jacgui.core.loading import load_model
from jacgui.core.points import read_point, read_points
from jacgui.core.spec import TensorInfo
from tests.attacks import Attack, canary_folder, keras_files, savedmodels
from tests.attacks import inputs as hostile
from tests.bad_inputs import assert_one_line

ROOT = Path(__file__).resolve().parent.parent
#: Every payload runs in a resource initializer (inside tf.saved_model.load itself); a few
#: also in the serving function, whose roots are the signatures rather than resources.
SAVEDMODEL_IDS = [
    *(f"{op}-init" for op in savedmodels.PAYLOAD_OPS),
    *(f"{op}-serve" for op in ("WriteFile", "SaveV2", "DatasetFromGraph", "PyFunc", "PrintV2")),
]
KERAS_IDS = [
    *(f"lambda-{name}" for name in keras_files.FUNCTIONS),
    "lambda-tfsmlayer-nested", "lambda-tfsmlayer-h5", "tfsmlayer-layer",
]  # fmt: skip
MODEL_IDS = [*SAVEDMODEL_IDS, "tf1-savedmodel", *KERAS_IDS]
#: Characters that must never reach a terminal raw: ESC, CSI, BEL, CR, bidi controls.
RAW_CONTROLS = ("\x1b", "\x9b", "\x07", "\r", "\u202e", "\u2066")


def _build(key: str, folder: Path) -> Attack:
    op, _, place = key.rpartition("-")
    if op in savedmodels.PAYLOAD_OPS:
        return savedmodels.build_op_attack(folder, op, place)
    if key == "tf1-savedmodel":
        return savedmodels.build_tf1_savedmodel(folder)
    if key == "tfsmlayer-layer":
        return keras_files.build_tfsmlayer_layer(folder)
    if key == "lambda-tfsmlayer-nested":
        return keras_files.build_lambda_attack(folder, "tfsmlayer", nested=True)
    if key == "lambda-tfsmlayer-h5":
        return keras_files.build_lambda_attack(folder, "tfsmlayer", suffix=".h5")
    return keras_files.build_lambda_attack(folder, key.removeprefix("lambda-"))


class _Attacks:
    """Attack files built on first use, once per session."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._built: dict[str, Attack] = {}

    def __getitem__(self, key: str) -> Attack:
        if key not in self._built:
            self._built[key] = _build(key, self._factory.mktemp(key))
        return self._built[key]


@pytest.fixture(scope="session")
def attacks(tmp_path_factory: pytest.TempPathFactory) -> _Attacks:
    return _Attacks(tmp_path_factory)


def _expected_words(key: str) -> tuple[str, ...]:
    if key in SAVEDMODEL_IDS:
        return (key.rsplit("-", 1)[0], "--unsafe / unsafe=True")
    if key == "tf1-savedmodel":
        return ("TF1 SavedModel", "--unsafe / unsafe=True")
    if "tfsmlayer" in key:
        return ("TFSMLayer", "--unsafe / unsafe=True")
    return ("Lambda layer", "--unsafe / unsafe=True")


# --- models through the API ------------------------------------------------------------------


@pytest.mark.parametrize("key", MODEL_IDS)
def test_attack_model_is_refused_by_the_api(attacks, key):
    attack = attacks[key]
    with pytest.raises(UnsafeModelError) as info:
        load_model(attack.path)
    message = str(info.value)
    assert_one_line(message)
    for word in _expected_words(key):
        assert word in message, (word, message)
    assert attack.untouched() == []


def test_a_function_attribute_naming_a_primitive_op_is_checked_as_that_op(tmp_path):
    # TensorFlow instantiates PartitionedCall(f=WriteFile) as the primitive op WriteFile.
    path = savedmodels.build_primitive_call(tmp_path)
    with pytest.raises(UnsafeModelError, match="WriteFile"):
        load_model(path)


def test_a_library_function_named_like_an_op_is_checked_as_that_op_too(tmp_path):
    # Whichever of the two the runtime picks, both the function and the op are checked.
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    meta = proto.meta_graphs.add()
    meta.object_graph_def.nodes.add().bare_concrete_function.concrete_function_name = "outer"
    library = meta.graph_def.library
    library.function.add().signature.name = "WriteFile"  # an empty body: harmless as a function
    outer = library.function.add()
    outer.signature.name = "outer"
    outer.node_def.add(name="call", op="WriteFile")
    (tmp_path / "shadow").mkdir()
    (tmp_path / "shadow" / "saved_model.pb").write_bytes(proto.SerializeToString())
    from jacgui.core.safety import scan_savedmodel

    assert scan_savedmodel(tmp_path / "shadow") == ["WriteFile"]


def test_dataset_graph_hidden_in_a_variable_is_refused_for_its_reader(attacks):
    # The globbing and writing ops live in a GraphDef stored as a string variable: invisible
    # to any scan of saved_model.pb. What is visible, and refused, is the op that rebuilds it.
    from jacgui.core.safety import inspect_savedmodel

    scan = inspect_savedmodel(attacks["DatasetFromGraph-init"].path)
    assert "DatasetFromGraph" in scan.refused
    assert not {"MatchingFiles", "WriteFile"} & scan.ops


# --- models through the CLI ------------------------------------------------------------------


_DRIVER = textwrap.dedent("""
    import contextlib, io, json, sys
    from jacgui.cli import main
    results = {}
    for path in sys.argv[1:]:
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["info", path])
        results[path] = [code, err.getvalue()]
    print(json.dumps(results))
""")


def _run(args: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_every_attack_model_is_refused_by_jacgui_info(attacks):
    # One fresh process runs `jacgui info` on every attack (a process per attack would spend
    # minutes importing TensorFlow); a crash anywhere fails the test.
    paths = {key: attacks[key] for key in MODEL_IDS}
    result = _run(["-c", _DRIVER, *(str(a.path) for a in paths.values())])
    assert result.returncode == 0, result.stderr[-2000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    for key, attack in paths.items():
        code, err = outcome[str(attack.path)]
        assert code == 2, (key, err)
        line = err.strip()
        assert line.startswith("jacgui: error: ") and "\n" not in line, (key, err)
        for word in _expected_words(key):
            assert word in line, (key, word, line)
        assert attack.untouched() == [], key


@pytest.mark.parametrize("key", ["DatasetFromGraph-init", "lambda-tfsmlayer"])
def test_jacgui_info_in_its_own_process(attacks, key):
    attack = attacks[key]
    result = _run(["-m", "jacgui", "info", str(attack.path)])
    assert result.returncode == 2, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("jacgui: error: "), result.stderr
    assert attack.untouched() == []


# --- the attacks are live: with trust they do what they were built for ----------------------


_LIVE_KEYS = ["DatasetFromGraph-init", "SaveV2-init", "MergeV2Checkpoints-serve",
              "InitializeTableFromTextFileV2-init", "DumpTensor-init", "PrintV2-serve",
              "MatchingFiles-init", "RestoreV2-init", "tf1-savedmodel", "lambda-tfsmlayer",
              "lambda-tfsmlayer-h5", "lambda-tfsmlayer-nested"]

_LIVE_DRIVER = textwrap.dedent("""
    import sys
    import keras, tensorflow as tf
    for path in sys.argv[1:]:
        try:
            if path.endswith((".keras", ".h5")):  # Keras safe mode on: the bypass needs no trust
                keras.saving.load_model(path, compile=False, safe_mode=True)
            else:
                model = tf.saved_model.load(path)
                model.signatures["serving_default"](x=tf.zeros((1, 2)))
        except Exception as exc:
            print(path, type(exc).__name__, str(exc)[:200])
""")


def test_attacks_are_live_when_trusted(tmp_path):
    # Built afresh (absolute canary paths live inside the files) and run in a child process,
    # without jacgui: each attack must do what it was built for, or its refusal proves nothing.
    live = {}
    for key in _LIVE_KEYS:
        (tmp_path / key).mkdir()
        live[key] = _build(key, tmp_path / key)
    result = _run(["-c", _LIVE_DRIVER, *(str(a.path) for a in live.values())])
    assert result.returncode == 0, result.stderr[-2000:]
    dead = [key for key, attack in live.items() if not attack.touched()]
    assert dead == [], result.stdout[-2000:]


# --- Keras config pre-scan -------------------------------------------------------------------


def _config_with(layer: dict[str, Any]) -> dict[str, Any]:
    return {"class_name": "Functional", "config": {"name": "m", "layers": [layer]}}


def _function(module: str, name: str) -> dict[str, Any]:
    return {"module": module, "class_name": "function", "config": name,
            "registered_name": "function"}


def _lambda(function: Any, **extra: Any) -> dict[str, Any]:
    return {"module": "keras.layers", "class_name": "Lambda", "name": "lam",
            "config": {"name": "lam", "function": function, **extra},
            "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {
                "shape": [None, 2], "dtype": "float32", "keras_history": ["x", 0, 0]}}],
                "kwargs": {"mask": None}}]}


@pytest.mark.parametrize(
    ("layer", "finding"),
    [
        (_lambda(_function("keras.layers", "TFSMLayer")), "the class keras.layers.TFSMLayer"),
        (_lambda(_function("keras.ops", "cond")), "not a plain keras.ops"),
        (_lambda(_function("keras.utils", "get_file")), "not a plain keras.ops"),
        (_lambda(_function("builtins", "Zeros")), "the class Zeros"),
        (_lambda(_function("builtins", "exec")), "not a plain keras.ops"),
        (_lambda({"class_name": "__lambda__", "config": {"code": "..."}}), "Python bytecode"),
        (_lambda(["4wEAAAAAAAAA", None, None]), "Python bytecode"),
        (_lambda(_function("keras.activations", "relu"),
                 output_shape=_function("keras.layers", "TFSMLayer")), "output_shape is the class"),
        (_lambda(_function("keras.activations", "relu"),
                 arguments={"x": {"class_name": "TFSMLayer", "config": {}}}), "TFSMLayer"),
        (_lambda(_function("keras.activations", "relu"),
                 arguments={"x": {"class_name": "Dense", "config": {}}}), "arguments hold"),
        ({"class_name": "TimeDistributed", "config": {"layer": {
            "class_name": "TorchModuleWrapper", "config": {}}}}, "TorchModuleWrapper"),
        ({"class_name": "Bidirectional", "config": {"layer": {
            "class_name": "X", "registered_name": "my_pkg>JaxLayer", "config": {}}}}, "JaxLayer"),
        ({"class_name": "Functional", "config": {"layers": [{
            "class_name": "TFSMLayer", "config": {"filepath": "/x"}}]}}, "TFSMLayer"),
        ({"class_name": "Dense", "name": "d", "config": {"name": "d"},
          "inbound_nodes": [{"args": [], "kwargs": {"inputs": "/tmp/model"}}]},
         "plain string where layer 'd'"),
        ({"class_name": "Dense", "name": "d", "config": {"name": "d"},
          "inbound_nodes": [[["x", 0, 0, {"inputs": "/tmp/model"}]]]},
         "plain string where layer 'd'"),
    ],
)
def test_prescan_findings(layer, finding):
    from jacgui.core.keras_prescan import find_untrusted

    found = find_untrusted(_config_with(layer))
    assert any(finding in f for f in found), found


@pytest.mark.parametrize(
    "layer",
    [
        _lambda(_function("keras.activations", "relu")),
        _lambda(_function("builtins", "tanh")),
        _lambda(_function("keras.ops", "square"), arguments={"axis": -1}),
        _lambda(_function("keras.ops.nn", "softmax"), output_shape=[None, 2]),
        # Keras-2 node format: references to tensors are [layer name, node, tensor, kwargs].
        {"class_name": "Dense", "name": "d", "config": {"name": "d"},
         "inbound_nodes": [[["x", 0, 0, {"mask": ["m", 0, 0]}]]]},
    ],
)
def test_prescan_passes_plain_math(layer):
    from jacgui.core.keras_prescan import find_untrusted

    assert find_untrusted(_config_with(layer)) == []


def test_a_lambda_of_a_keras_activation_loads_without_trust(tmp_path):
    from jacgui.core._tf import keras

    k = keras()
    x = k.Input((3,), name="x")
    path = tmp_path / "relu.keras"
    k.Model(x, k.layers.Lambda(k.activations.relu)(x)).save(path)
    model = load_model(path)
    out = model.forward({"x": [[-1.0, 0.5, 2.0]]})[model.outputs[0].name]
    assert out.numpy().tolist() == [[0.0, 0.5, 2.0]]


def test_prescan_is_skipped_only_by_trust(attacks):
    # unsafe=True lets the pre-scan through with a note; Keras itself then decides.
    from jacgui.core.keras_prescan import prescan_keras

    notes = prescan_keras(attacks["lambda-popen"].path, unsafe=True)
    assert len(notes) == 1 and "subprocess.Popen" in notes[0]


def _keras_archive(path: Path, config: bytes, *, compress: bool = False) -> Path:
    import zipfile

    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        archive.writestr("config.json", config)
        archive.writestr("metadata.json", "{}")
    return path


@pytest.mark.parametrize(
    ("config", "compress", "message"),
    [
        (hostile.nested_json().encode(), False, "nests too deeply"),
        (b'{"class_name": ' * 300 + b"1" + b"}" * 300, False, "nests"),
        (b"\xff\xfe not json", False, "not JSON"),
        (b" " * (65 << 20), True, "config.json inflates to 65 MiB"),
    ],
    ids=["recursion", "deep-but-parseable", "not-json", "oversized"],
)
def test_unreadable_keras_configs_are_one_line_load_errors(tmp_path, config, compress, message):
    path = _keras_archive(tmp_path / "bad.keras", config, compress=compress)
    with pytest.raises(ModelLoadError) as info:
        load_model(path)
    assert not isinstance(info.value, UnsafeModelError)
    assert_one_line(str(info.value))
    assert message in str(info.value)


# --- point files -----------------------------------------------------------------------------

SPEC = TensorInfo("x", (3,))


def test_npz_bomb_is_refused_before_inflating(tmp_path):
    import tracemalloc

    path = hostile.build_npz_bomb(tmp_path)
    assert path.stat().st_size < 2 << 20  # 1.5 MB on disk for 1.6 GB inflated
    tracemalloc.start()
    try:
        for read in (read_point, read_points):
            with pytest.raises(PointError, match="inflates to 1525 MiB") as info:
                read(path, SPEC)
            assert_one_line(str(info.value))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Inflating even a tenth of the member would show here (numpy and zlib report to it).
    assert peak < 16 << 20, peak


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (hostile.build_npy_bomb, "(1525 MiB), more than the 512 MiB"),
        (hostile.build_npz_lying_header, "more than the 512 MiB"),
        (hostile.build_object_npy, "pickled Python objects"),
    ],
)
def test_hostile_arrays_are_one_line_point_errors(tmp_path, build, message):
    path = build(tmp_path)
    for read in (read_point, read_points):
        with pytest.raises(PointError) as info:
            read(path, SPEC)
        assert_one_line(str(info.value))
        assert message in str(info.value)


def test_one_point_must_declare_the_input_size(tmp_path):
    import numpy as np

    np.save(tmp_path / "many.npy", np.zeros(4000))
    with pytest.raises(PointError, match="point has 4000 values, input 'x' expects shape"):
        read_point(tmp_path / "many.npy", SPEC)
    np.savez_compressed(tmp_path / "ok.npz", x=np.arange(3.0))
    assert read_point(tmp_path / "ok.npz", SPEC).tolist() == [0.0, 1.0, 2.0]
    np.save(tmp_path / "fortran.npy", np.asfortranarray(np.arange(6.0).reshape(2, 3)))
    assert read_points(tmp_path / "fortran.npy", SPEC).tolist() == [[0, 1, 2], [3, 4, 5]]


def test_truncated_npy_is_a_point_error(tmp_path):
    import numpy as np

    np.save(tmp_path / "p.npy", np.arange(3.0))
    data = (tmp_path / "p.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[:-8])
    with pytest.raises(PointError, match="truncated"):
        read_point(tmp_path / "cut.npy", SPEC)


# --- sidecars and names ----------------------------------------------------------------------


def _small_model(folder: Path) -> Path:
    from jacgui.core._tf import keras

    k = keras()
    x = k.Input((2,), name="x")
    path = folder / "small.keras"
    k.Model(x, k.layers.Dense(1, name="y")(x)).save(path)
    return path


@pytest.mark.parametrize(
    ("write", "note"),
    [
        (lambda p: hostile.build_nested_sidecar(p), "nests too deeply"),
        (lambda p: hostile.build_huge_sidecar(p), "more than 64 MiB"),
        (lambda p: p.with_name("small.jacgui.json").write_text(
            '{"inputs": {"x": {"point": ' + "[" * 900 + "1" + "]" * 900 + "}}}"), "ignored"),
        (lambda p: p.with_name("small.jacgui.json").write_text(
            '{"inputs": {"x": {"names": [{"a": 1}, [2]]}}}'), "must be strings"),
        (lambda p: p.with_name("small.jacgui.json").write_bytes(b"\xff\xfe\x00"), "ignored"),
    ],
    ids=["recursion", "huge", "deep-point", "names-not-strings", "not-utf8"],
)
def test_hostile_sidecar_is_a_note(tmp_path, write, note):
    path = _small_model(tmp_path)
    write(path)
    model = load_model(path)
    assert model.point_source == "zeros"
    assert any(note in n for n in model.notes), model.notes
    for text in model.notes:
        assert_one_line(text, limit=400)


def test_hostile_names_are_escaped_wherever_shown_and_still_select(tmp_path):
    path = hostile.build_hostile_names(tmp_path)
    model = load_model(path)
    raw_in = hostile.HOSTILE_NAMES["input"]
    assert model.inputs[0].name == raw_in  # lookups keep the real name
    shown = model.summary() + " ".join(model.inputs[0].element_labels())
    assert not any(c in shown for c in RAW_CONTROLS), repr(shown)
    escaped = "x\\x1b[2J\\x1b]0;owned\\x07"
    assert escaped in model.summary()
    assert model.input(escaped) is model.inputs[0] and model.input(raw_in) is model.inputs[0]
    with pytest.raises(JacguiError) as info:
        model.input("x\x1b[0m")
    assert "\x1b" not in str(info.value)
    computable = hostile.build_hostile_names(tmp_path, output=False)
    for args in (["info", str(path)], ["compute", str(computable), "--input", escaped]):
        result = _run(["-m", "jacgui", *args])
        assert result.returncode == 0, result.stderr[-1000:]
        assert not any(c in result.stdout + result.stderr for c in RAW_CONTROLS), result.stdout
        assert escaped in result.stdout or "a\\x9b1;31m\\u2066b" in result.stdout


_ARGS_DRIVER = textwrap.dedent("""
    import contextlib, io, json, sys
    from jacgui.cli import main
    results = []
    for args in json.loads(sys.argv[1]):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main(args)
        results.append([code, out.getvalue(), err.getvalue()])
    print(json.dumps(results))
""")


def test_hostile_inputs_through_the_cli(tmp_path):
    model = _small_model(tmp_path)
    hostile.build_nested_sidecar(model)
    (tmp_path / "bombs").mkdir()
    npz = hostile.build_npz_bomb(tmp_path / "bombs")
    npy = hostile.build_npy_bomb(tmp_path / "bombs")
    runs = [["compute", str(model), "--point", str(npz)],
            ["compute", str(model), "--point", str(npy)],
            ["info", str(model)]]
    result = _run(["-c", _ARGS_DRIVER, json.dumps(runs)])
    assert result.returncode == 0, result.stderr[-2000:]
    (npz_code, _, npz_err), (npy_code, _, npy_err), (info_code, info_out, _) = json.loads(
        result.stdout.strip().splitlines()[-1])
    assert (npz_code, npy_code) == (2, 2)
    assert "inflates to 1525 MiB" in npz_err and "more than the 512 MiB" in npy_err
    for err in (npz_err, npy_err):
        assert_one_line(err.strip())
    assert info_code == 0 and "nests too deeply" in info_out


def test_a_clean_savedmodel_still_loads_in_a_canary_world(tmp_path):
    # The canary folder itself is harmless: only the ops decide.
    canary_folder(tmp_path)
    from tests.core import model_factory as mf

    model = load_model(mf.build_module(tmp_path))
    assert [s.name for s in model.inputs] == ["x"]
