"""Reliability and safety through the API and the CLI: the bad-input matrix, faults in mid-run,
untrusted models and fuzzed model files.

The rows live in :mod:`tests.bad_inputs`; the window runs the same rows in
``tests/gui/test_bad_inputs_gui.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jacgui.cli import main
from jacgui.core.engine import jacobian, plan_job
from jacgui.core.errors import (
    JacguiError,
    JacobianCancelled,
    JacobianTooLargeError,
    ModelLoadError,
    ModelRunError,
    UnsafeModelError,
)
from jacgui.core.export import save_result
from jacgui.core.handle import ModelHandle
from jacgui.core.job import CancelToken, JacobianJob, JacobianOptions
from jacgui.core.loading import load_model
from jacgui.core.rss import PeakRSS
from jacgui.core.spec import TensorInfo
from tests.bad_inputs import (
    GUARDED_PY,
    HUGE_PY,
    ROW_IDS,
    ROWS,
    TF_LOG,
    Row,
    assert_mentions,
    assert_one_line,
    read_any_point,
)
from tests.core import model_factory as mf
from tests.core.conftest import models  # noqa: F401 - the session's shared test models

ROOT = Path(__file__).resolve().parent.parent
CLI_PREFIX = "jacgui: error: "
# Python shows these categories only to developers (default warning filters).
_HIDDEN_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


# --- the matrix through the API ---------------------------------------------------------------


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_api_row(row: Row, models, tmp_path):  # noqa: F811 - pytest fixture
    case = row.build(tmp_path, models)
    stage, model, result = "load", None, None
    try:
        model = load_model(case.model, unsafe=case.unsafe)
        stage = "point"
        point = None if case.point is None else read_any_point(case.point, model.input(case.input))
        stage = "compute"
        budget = {} if case.memory_mib is None else {"memory_budget": int(case.memory_mib * 2**20)}
        result = jacobian(model, point, method=case.method, input=case.input, output=case.output,
                          **budget)
    except JacguiError as error:
        assert row.error is not None, f"{row.id} should succeed: {error}"
        assert type(error) is row.error, f"{type(error).__name__}: {error}"
        assert stage == row.stage, f"failed while {stage}, expected while {row.stage}: {error}"
        assert_one_line(str(error))
        assert_mentions(str(error), row.message)
        return
    assert row.error is None, f"{row.id} should raise {row.error.__name__}"
    assert_mentions(" | ".join(model.notes + result.warnings), row.message)
    if row.check is not None:
        row.check(result, model)


# --- the matrix through the CLI ---------------------------------------------------------------


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_cli_row(row: Row, models, tmp_path, capfd):  # noqa: F811 - pytest fixture
    case = row.build(tmp_path, models)
    capfd.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = main(case.cli_args())
    out, err = capfd.readouterr()
    # The suite runs with TF_CPP_MIN_LOG_LEVEL=2 (tests/conftest.py) where users get 3, so
    # TensorFlow's C++ error lines are dropped here; test_cli_rows_in_fresh_processes sees them.
    err = "".join(line for line in err.splitlines(keepends=True) if not TF_LOG.match(line))
    # A warning Python would print is noise on the user's terminal, just as stray stderr is.
    shown = [f"{w.category.__name__}: {w.message}" for w in caught
             if not issubclass(w.category, _HIDDEN_WARNINGS)]
    assert not shown, shown
    if not row.cli_fails:
        assert status == 0 and err == "", err
        assert "Jacobian d " in out
        assert_mentions(out, row.cli_substrings)
        return
    assert status == 2 and out == "", (status, out)
    assert err.endswith("\n") and err.count("\n") == 1, f"stderr must be one line: {err!r}"
    line = err.rstrip("\n")
    assert line.startswith(CLI_PREFIX), line
    assert_one_line(line[len(CLI_PREFIX):])
    assert_mentions(line, row.cli_substrings)


# The rows again in one fresh process, at the user's log level, with file descriptor 2 captured
# per row: TensorFlow's start-up and C++ chatter bypasses sys.stderr and is invisible in-process,
# where TensorFlow is already running. The SavedModel row goes first: its op scan was once the
# one path that imported TensorFlow without silencing it.
_DRIVER = r"""
import contextlib, io, json, os, sys, tempfile
from jacgui.cli import main
results = {}
for row_id, args in json.load(sys.stdin):
    out = io.StringIO()
    with tempfile.TemporaryFile() as err:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(err.fileno(), 2)
        try:
            with contextlib.redirect_stdout(out):
                status = main(args)
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
        err.seek(0)
        results[row_id] = [status, out.getvalue(), err.read().decode(errors="replace")]
print(json.dumps(results))
"""


def test_cli_rows_in_one_fresh_process(models, tmp_path_factory):  # noqa: F811 - pytest fixture
    order = sorted(ROWS, key=lambda row: row.id != "savedmodel-writefile")
    jobs = [(row.id, row.build(tmp_path_factory.mktemp(row.id), models).cli_args())
            for row in order]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as a user's shell has it
    proc = subprocess.run([sys.executable, "-c", _DRIVER], input=json.dumps(jobs), cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr[-3000:]
    results = json.loads(proc.stdout.splitlines()[-1])
    for row in order:
        status, out, err = results[row.id]
        if row.cli_fails:
            assert status == 2 and out == "", (row.id, status, out)
            assert err.count("\n") == 1 and err.startswith(CLI_PREFIX), (row.id, err)
            assert_mentions(err, row.cli_substrings)
        else:
            assert status == 0 and err == "", (row.id, err)
            assert_mentions(out, row.cli_substrings)


# --- size: refused before anything big is allocated -------------------------------------------


def test_too_large_jacobian_is_refused_before_allocating(tmp_path):
    model = load_model(mf.write_py(tmp_path, "huge.py", HUGE_PY))
    assert (model.input().size, model.output().size) == (100_000, 1_000_000)
    with PeakRSS() as quiet:
        for method in ("auto", "reverse", "forward", "fd-forward", "fd-central"):
            with pytest.raises(JacobianTooLargeError, match="memory budget of 1.0 GiB"):
                jacobian(model, method=method)
            with pytest.raises(JacobianTooLargeError):
                plan_job(JacobianJob(model, {}, method))
    assert quiet.growth < 200 * 2**20, f"grew by {quiet.growth / 2**20:.0f} MiB"
    # The probe can fail: a 300 MiB allocation inside the same kind of block is seen.
    with PeakRSS() as loud:
        block = np.ones(300 * 2**20 // 8)
        del block
    assert loud.growth > 250 * 2**20


def test_too_large_is_computable_for_a_small_slice(tmp_path):
    # The message's alternative works: a smaller problem of the same kind goes through.
    source = HUGE_PY.replace("(100000,)", "(1000,)").replace("[10]", "[2]")
    model = load_model(mf.write_py(tmp_path, "slice.py", source))
    result = jacobian(model, method="reverse")
    np.testing.assert_array_equal(result.matrix, np.vstack([np.eye(1000)] * 2))


# --- faults in mid-run ------------------------------------------------------------------------


def _mlp(n: int = 48, m: int = 40) -> ModelHandle:
    import tensorflow as tf

    rng = np.random.default_rng(5)
    w1 = tf.constant(rng.normal(0, 0.3, (n, 64)).astype("float32"))
    w2 = tf.constant(rng.normal(0, 0.3, (64, m)).astype("float32"))

    def forward(inputs):
        x = tf.cast(inputs["x"], tf.float32)
        return {"y": tf.matmul(tf.tanh(tf.matmul(x, tf.cast(w1, x.dtype))), tf.cast(w2, x.dtype))}

    return ModelHandle("memory://mlp", "python", (TensorInfo("x", (n,)),),
                       (TensorInfo("y", (m,)),), forward, {"x": np.linspace(-1, 1, n)})


@pytest.fixture(scope="module")
def mlp() -> ModelHandle:
    return _mlp()


SMALL_BUDGET = 80_000  # bytes: every method needs several chunks on the 48 -> 40 MLP


@pytest.mark.parametrize("method", ["reverse", "forward", "fd-forward", "fd-central"])
def test_cancel_in_the_middle_of_every_method(mlp, tmp_path, method):
    options = JacobianOptions(memory_budget=SMALL_BUDGET)
    plan = plan_job(JacobianJob(mlp, {}, method, options=options))
    assert plan.n_chunks >= 3, plan
    token, seen = CancelToken(), []

    def progress(p):
        seen.append(p.done)
        if p.done == 1:
            token.cancel()

    reference = jacobian(mlp, method=method, memory_budget=SMALL_BUDGET)
    out = tmp_path / "j.npy"
    with pytest.raises(JacobianCancelled):
        result = jacobian(mlp, method=method, memory_budget=SMALL_BUDGET, progress=progress,
                          cancel=token)
        save_result(result, out)  # what the CLI and the window do with a result
    assert seen == [0, 1], f"chunks ran after the cancel: {seen} of {plan.n_chunks}"
    assert list(tmp_path.iterdir()) == []
    # The cancelled run left nothing behind in the model's caches: the next run is whole.
    again = jacobian(mlp, method=method, memory_budget=SMALL_BUDGET)
    np.testing.assert_array_equal(again.matrix, reference.matrix)


@pytest.mark.parametrize("failure", [OSError, RuntimeError, KeyboardInterrupt])
def test_save_result_leaves_nothing_half_written(mlp, tmp_path, monkeypatch, failure):
    from jacgui.core import export

    result = jacobian(mlp)

    def broken(res, path):
        path.write_bytes(b"\x93NUMPY half of a matrix")
        raise failure("disk full" if failure is OSError else "interrupted")

    monkeypatch.setattr(export, "_write_npy", broken)
    with pytest.raises(JacguiError if failure is OSError else failure):
        save_result(result, tmp_path / "j.npy")
    assert list(tmp_path.iterdir()) == [], "a partial file was left behind"


def test_model_error_is_one_line_and_the_next_run_works(mlp, tmp_path):
    guarded = load_model(mf.write_py(tmp_path, "guarded.py", GUARDED_PY))
    with pytest.raises(ModelRunError, match="only accepts inputs below 10") as info:
        jacobian(guarded, np.array([1.0, 20.0]))
    assert_one_line(str(info.value))
    np.testing.assert_allclose(jacobian(guarded, np.array([1.0, 3.0])).matrix, np.diag([2.0, 6.0]))
    assert jacobian(mlp).shape == (40, 48)


@pytest.mark.parametrize("raised", [
    SystemExit(3),  # a model calling sys.exit() or exit() must not end the program
    RuntimeError("boom\nsecond line\nthird line"),
    ValueError("x" * 5000),
    KeyError("missing"),
])
def test_python_exception_inside_the_model_is_a_model_run_error(raised):
    def forward(inputs):
        raise raised

    model = ModelHandle("memory://bad", "python", (TensorInfo("x", (3,)),),
                        (TensorInfo("y", (3,)),), forward, {"x": np.ones(3)})
    for method in ("reverse", "fd-central"):
        with pytest.raises(ModelRunError) as info:
            jacobian(model, method=method)
        assert_one_line(str(info.value))
        assert type(raised).__name__ in str(info.value)


# --- untrusted models -------------------------------------------------------------------------


def test_keras_is_at_least_3_15_1_and_pinned():
    import keras

    release = tuple(int(part) for part in keras.__version__.split(".")[:3])
    assert release >= (3, 15, 1), keras.__version__
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "keras>=3.15.1" in [d.replace(" ", "") for d in project["project"]["dependencies"]]


def _lambda_pair(models, folder: Path) -> tuple[Path, Path]:  # noqa: F811 - fixture value
    a, b = folder / "trusted.keras", folder / "stranger.keras"
    shutil.copy(models["lambda"], a)
    shutil.copy(models["lambda"], b)
    return a, b


def test_trust_is_per_file(models, tmp_path):  # noqa: F811 - pytest fixture
    a, b = _lambda_pair(models, tmp_path)
    assert load_model(a, unsafe=True).output().size == 4
    with pytest.raises(UnsafeModelError, match="stranger.keras"):
        load_model(b)
    # Trusting A again, then B without trust, in the other order and in float64 too.
    trusted = load_model(a, unsafe=True)
    assert trusted.float64_forward() is not None
    with pytest.raises(UnsafeModelError):
        load_model(b)


def test_trust_is_per_file_across_threads(models, tmp_path):  # noqa: F811 - pytest fixture
    a, b = _lambda_pair(models, tmp_path)
    outcomes: dict[str, list[str]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def load(key: str, path: Path, unsafe: bool) -> None:
        for _ in range(3):
            barrier.wait(timeout=60)
            try:
                load_model(path, unsafe=unsafe)
                outcomes[key].append("loaded")
            except UnsafeModelError:
                outcomes[key].append("refused")
            except Exception as error:  # noqa: BLE001 - recorded for the assertion message
                outcomes[key].append(repr(error))

    threads = [threading.Thread(target=load, args=("a", a, True)),
               threading.Thread(target=load, args=("b", b, False))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes == {"a": ["loaded"] * 3, "b": ["refused"] * 3}
    # And a thread that trusted A refuses B afterwards.
    box = {}

    def sequential() -> None:
        load_model(a, unsafe=True)
        try:
            load_model(b)
            box["b"] = "loaded"
        except UnsafeModelError:
            box["b"] = "refused"

    worker = threading.Thread(target=sequential)
    worker.start()
    worker.join(timeout=120)
    assert box == {"b": "refused"}


def test_savedmodel_with_write_file_is_refused_and_writes_nothing(tmp_path, capfd):
    writer = mf.build_module(tmp_path, write_file=True)
    leak = tmp_path / "leak.txt"
    with pytest.raises(UnsafeModelError) as info:
        load_model(writer)
    assert_mentions(str(info.value), ("WriteFile", "unsafe=True"))
    capfd.readouterr()
    assert main(["compute", str(writer)]) == 2
    assert "WriteFile" in capfd.readouterr().err and "--unsafe" in str(info.value)
    assert main(["info", str(writer)]) == 2
    assert not leak.exists()
    # The proof can fail: with trust, the model's first call writes the file.
    model = load_model(writer, unsafe=True)
    assert not leak.exists(), "the op ran at load time"
    jacobian(model)
    assert leak.read_text() == "pwned"


def test_py_model_runs_on_load(tmp_path):
    # .py models are code: there is no safe mode for them (documented in docs/safety.md).
    marker = tmp_path / "ran.txt"
    source = (f"open({str(marker)!r}, 'w').write('ran')\n"
              "INPUT_SHAPE = (1,)\ndef f(x):\n    return x\n")
    load_model(mf.write_py(tmp_path, "code.py", source))
    assert marker.read_text() == "ran"


# --- fuzzing load_model -----------------------------------------------------------------------

_FUZZ_SEEDS = {".keras": "multi", ".h5": "multi_h5", ".hdf5": "multi_h5", ".py": "textbook",
               "savedmodel": "module"}


def _seed_bytes(models, suffix: str) -> bytes:  # noqa: F811 - fixture value
    path = Path(models[_FUZZ_SEEDS[suffix]])
    return (path / "saved_model.pb" if suffix == "savedmodel" else path).read_bytes()


def _load_with_deadline(path: Path, seconds: float = 120) -> BaseException | None:
    box: dict[str, BaseException | None] = {}

    def target() -> None:
        try:
            load_model(path)
            box["error"] = None
        except BaseException as error:  # noqa: BLE001 - the assertion looks at the type
            box["error"] = error

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    assert "error" in box, f"load_model({path.name}) hung for {seconds} s"
    return box["error"]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(suffix=st.sampled_from(sorted(_FUZZ_SEEDS)),
       mode=st.sampled_from(["random", "truncate", "flip"]), data=st.data())
def test_fuzz_load_model(models, tmp_path_factory, suffix, mode, data):  # noqa: F811
    if mode == "random":
        content = data.draw(st.binary(max_size=2048), label="bytes")
    else:
        seed = _seed_bytes(models, suffix)
        if mode == "truncate":
            content = seed[: data.draw(st.integers(0, len(seed) - 1), label="cut")]
        else:
            content = bytearray(seed)
            for position in data.draw(st.lists(st.integers(0, len(seed) - 1), min_size=1,
                                               max_size=8), label="positions"):
                content[position] ^= 0xFF
            content = bytes(content)
    folder = tmp_path_factory.mktemp("fuzz")
    if suffix == "savedmodel":
        path = folder / "model"
        shutil.copytree(models[_FUZZ_SEEDS[suffix]], path)
        (path / "saved_model.pb").write_bytes(content)
    else:
        path = folder / f"model{suffix}"
        path.write_bytes(content)
    error = _load_with_deadline(path)
    if error is not None:
        assert isinstance(error, JacguiError), f"{type(error).__name__}: {error}"
        assert isinstance(error, ModelLoadError)
        assert_one_line(str(error), 320)
