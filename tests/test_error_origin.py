"""Whose failure is it: the user's model (exit 2, one line) or a bug in jacgui (exit 1).

Bugs are injected into jacgui's own code by replacing a module global it uses (``np``) with
``None``, so the exception is raised inside a jacgui function, exactly like a real slip in our
numpy post-processing. Model failures come from models that raise by themselves.
"""

from __future__ import annotations

import linecache
import os
import subprocess
import sys
import textwrap
import traceback
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import jacgui
from jacgui.core import engine
from jacgui.core.errors import JacguiError, ModelLoadError, ModelRunError, is_model_failure
from jacgui.core.loaders import pyfile
from tests.bad_inputs import GUARDED_PY, assert_one_line
from tests.core import model_factory as mf
from tests.core.analytic import tanh_mlp

ROOT = Path(__file__).resolve().parent.parent
JACGUI_DIR = Path(jacgui.__file__).resolve().parent
QUADRATIC = ROOT / "resources" / "models" / "quadratic.py"


def _raised_by(filename: Path | str, body: str, *args: object) -> BaseException:
    """The exception of ``boom(*args)`` defined in a module that claims to live at ``filename``.

    The source is registered with linecache, so AutoGraph can read and convert it like any
    file on disk.
    """
    source = "def boom(*args):\n" + textwrap.indent(textwrap.dedent(body), "    ")
    name = str(filename)
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    namespace: dict = {"np": np, "tf": tf}
    exec(compile(source, name, "exec"), namespace)
    with pytest.raises(BaseException) as info:
        namespace["boom"](*args)
    return info.value


# --- the rule, on exceptions raised from chosen places ------------------------------------------


def test_raised_in_jacgui_code_is_ours(tmp_path):
    assert not is_model_failure(_raised_by(JACGUI_DIR / "core" / "fake.py", "{}['missing']"))
    # numpy raises, but from a call in jacgui: still ours.
    error = _raised_by(JACGUI_DIR / "core" / "fake.py", "np.reshape(np.arange(3), (2, 2))")
    assert isinstance(error, ValueError) and not is_model_failure(error)


def test_raised_in_user_code_tensorflow_or_keras_is_the_models(tmp_path):
    user_file = tmp_path / "my_model.py"
    assert is_model_failure(_raised_by(user_file, "raise RuntimeError('mine')"))
    # numpy raises from a call in the user's code: the model's.
    assert is_model_failure(_raised_by(user_file, "np.reshape(np.arange(3), (2, 2))"))
    # TensorFlow raises, even when jacgui made the call: TF errors are the model's.
    error = _raised_by(JACGUI_DIR / "core" / "fake.py", "tf.reshape(tf.zeros(3), (2, 2))")
    assert is_model_failure(error)
    op_error = tf.errors.InvalidArgumentError(None, None, "assertion failed")
    assert is_model_failure(op_error)  # never raised: no frames at all, still the model's
    assert is_model_failure(_raised_by(JACGUI_DIR / "core" / "fake.py", "raise SystemExit(3)"))


def test_jacgui_code_traced_by_autograph_is_still_ours(tmp_path):
    # AutoGraph runs a converted copy from a generated file; the rule must see through it.
    # (AutoGraph caches conversions by code, which ignores the file name: the two bodies
    # differ so that each gets its own.)
    body = """
    @tf.function
    def traced(x):
        return {"a": x}["KEY"]
    return traced(tf.ones(2))
    """
    error = _raised_by(JACGUI_DIR / "core" / "fake_traced.py", body.replace("KEY", "ours"))
    frames = [frame.filename for frame in traceback.extract_tb(error.__traceback__)]
    assert any("__autograph_generated_file" in name for name in frames), frames
    assert isinstance(error, KeyError) and not is_model_failure(error)
    assert is_model_failure(_raised_by(tmp_path / "user_traced.py", body.replace("KEY", "user")))


# --- through the API ----------------------------------------------------------------------------


def test_a_bug_in_the_engine_propagates_as_itself(monkeypatch):
    model, _ = tanh_mlp()
    monkeypatch.setattr(engine, "np", None)
    with pytest.raises(AttributeError) as info:
        jacgui.jacobian(model)
    assert not isinstance(info.value, JacguiError)
    innermost = traceback.extract_tb(info.tb)[-1].filename
    assert Path(innermost).resolve().is_relative_to(JACGUI_DIR), innermost


def test_a_bug_in_a_loader_propagates_as_itself(monkeypatch):
    monkeypatch.setattr(pyfile, "np", None)
    with pytest.raises(AttributeError) as info:
        jacgui.load_model(QUADRATIC)
    assert not isinstance(info.value, JacguiError)


def test_a_model_that_raises_is_still_a_model_error(tmp_path):
    guarded = jacgui.load_model(mf.write_py(tmp_path, "guarded.py", GUARDED_PY))
    with pytest.raises(ModelRunError, match="only accepts inputs below 10") as info:
        jacgui.jacobian(guarded, np.array([1.0, 20.0]))
    assert_one_line(str(info.value))
    assert info.value.__cause__ is not None  # the real cause is kept
    broken = mf.write_py(tmp_path, "broken.py", "import tensorflow as tf\nPOINT = [1.0]\n"
                         "def f(x):\n    return tf.reshape(x, (2, 2))\n")
    with pytest.raises(ModelLoadError) as load_info:
        jacgui.load_model(broken)
    assert_one_line(str(load_info.value))


# --- through the command line, in fresh processes -----------------------------------------------

# Imported at start-up by every Python process that has it on PYTHONPATH (a child engine
# process too), so the injected bug is wherever the engine runs.
INJECT = """
import os
if os.environ.get("JACGUI_TEST_INJECT_BUG"):
    import jacgui.core.engine
    jacgui.core.engine.np = None
"""


def _cli(tmp_path: Path, args: list[str], *, bug: bool, debug: bool) -> subprocess.CompletedProcess:
    hook = tmp_path / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(INJECT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hook), str(ROOT)])}
    env.pop("JACGUI_DEBUG", None)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as a user's shell has it
    if bug:
        env["JACGUI_TEST_INJECT_BUG"] = "1"
    if debug:
        env["JACGUI_DEBUG"] = "1"
    return subprocess.run([sys.executable, "-m", "jacgui", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


def _last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1] if stderr.strip() else ""


def test_cli_internal_error_exits_1_with_the_traceback_only_in_debug(tmp_path):
    quiet = _cli(tmp_path, ["compute", str(QUADRATIC)], bug=True, debug=False)
    assert quiet.returncode == 1, quiet.stderr
    assert quiet.stdout == "" and quiet.stderr.count("\n") == 1, quiet.stderr
    assert quiet.stderr.startswith("jacgui: internal error: AttributeError")
    assert "JACGUI_DEBUG=1" in quiet.stderr and "Traceback" not in quiet.stderr
    loud = _cli(tmp_path, ["compute", str(QUADRATIC)], bug=True, debug=True)
    assert loud.returncode == 1, loud.stderr
    assert "Traceback (most recent call last)" in loud.stderr
    assert str(Path("jacgui", "core", "engine.py")) in loud.stderr
    assert _last_line(loud.stderr).startswith("jacgui: internal error: AttributeError")


def test_cli_model_error_exits_2_with_one_line_even_in_debug(tmp_path):
    model = mf.write_py(tmp_path, "guarded.py", GUARDED_PY)
    point = tmp_path / "far.json"
    point.write_text("[1.0, 20.0]", encoding="utf-8")
    for debug in (False, True):
        proc = _cli(tmp_path, ["compute", str(model), "--point", str(point)], bug=False,
                    debug=debug)
        assert proc.returncode == 2, proc.stderr
        # With JACGUI_DEBUG=1 TensorFlow's own start-up notices are not silenced; the
        # verdict is still exactly one line of ours and no Python traceback.
        ours = [line for line in proc.stderr.splitlines() if line.startswith("jacgui:")]
        assert len(ours) == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert ours[0].startswith("jacgui: error: the model failed while computing")
        assert "only accepts inputs below 10" in ours[0]
        if not debug:
            assert proc.stderr.count("\n") == 1, proc.stderr
