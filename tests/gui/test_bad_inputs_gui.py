"""The bad-input matrix through the real window, and faults while a computation runs.

Every row of :mod:`tests.bad_inputs` is played like a user would: a good model is open and a
value has been typed into the point editor; then the row's model is opened from the File menu
(its method and input/output chosen in the panels, its point loaded with File > Load point).
The window must show the error on one line without blocking, keep the previous model, result
and typed values, and still compute afterwards. The real loader and engine run on the worker
thread; nothing is faked.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.bad_inputs import ROW_IDS, ROWS, Row, assert_mentions, assert_one_line
from tests.core.conftest import loaded, models  # noqa: F401 - the session's shared test models

from .conftest import real_loader
from .local_engine import LocalEngine
from .window_driver import (
    LONG,
    Events,
    choose,
    choose_method,
    model_panel,
    open_from_menu,
    status,
    type_into,
)

ROOT = Path(__file__).resolve().parents[2]
TYPED = 1.25  # typed into row 1 of the previous model's point
PREVIOUS = "textbook"  # f(x) = x**2 + 2x + 1 with inputs u, v, w: loads and computes in ms
# The window prefixes load errors with "Could not open <name>: ".
GUI_MESSAGE_LIMIT = 320


@pytest.fixture
def window(make_session: Any, models: Any, loaded: Any) -> Any:  # noqa: F811
    """The window over the real loader and engine.

    The "previous" model is loaded once per session: every row opens it twice (before the row
    and after, to see that it comes back); reusing its handle (and its traced functions) saves
    about half a second per row.
    """
    engine = LocalEngine({str(models[PREVIOUS]): loaded[PREVIOUS]}, loader=real_loader)
    session = make_session(engine)
    session.test_engine = engine  # the checks read the weights of the engine's own model
    return session


def _assert_responsive(qtbot: Any, window: Any, events: Events) -> Any:
    """F5 still computes: the engine and the event loop are alive."""
    mark = events.mark()
    window.actions.compute.trigger()
    kind, result = events.next(qtbot, mark, ("result", "failed"))
    assert kind == "result", result
    return result


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_gui_row(row: Row, models: Any, tmp_path: Path, qtbot: Any,  # noqa: F811
                 window: Any) -> None:
    case = row.build(tmp_path, models)
    previous = str(models[PREVIOUS])
    state, dialogs = window.state, window.dialogs
    events = Events(window)
    # A .py model is code: the window asks before running it; the scripted user says yes.
    is_code = case.model.suffix == ".py"
    dialogs.trust = case.unsafe or is_code

    # A good model with a typed value, as the user had it before trying the row.
    mark = events.mark()
    window.models.start(previous, unsafe=True)  # our own .py test model: trusted up front
    assert events.next(qtbot, mark, ("result", "failed"))[0] == "result"
    mark = events.mark()
    type_into(qtbot, window.point_editor, 1, str(TYPED))
    kind, before = events.next(qtbot, mark, ("result", "failed"))
    assert kind == "result" and before.point[1] == TYPED
    state.last_error = ""

    mark = events.mark()
    open_from_menu(window, case.model)
    kind, payload = events.next(qtbot, mark, ("loaded", "load-failed"))
    if kind == "load-failed" and case.unsafe:
        # The window asked whether to trust the file; the scripted user said yes.
        assert dialogs.trust_questions[-1:] == [str(case.model)], payload
        kind, payload = events.next(qtbot, events.after, ("loaded", "load-failed"))
    if kind == "load-failed":
        _check_load_error(row, case, window, payload)
        assert state.model_path == previous
        assert window.heatmap.result() is before and state.result is before
        assert window.point_editor.values()[1] == TYPED
        assert _assert_responsive(qtbot, window, events).point[1] == TYPED
        return
    assert row.stage != "load", f"{row.id}: loaded, but loading should fail"
    model = payload
    outcome = ("none", None)
    if any(spec.is_float for spec in model.inputs):
        outcome = events.next(qtbot, mark, ("result", "failed"))
    if case.method != "auto":
        # A new model starts from "auto"; the user then picks the row's method.
        state.last_error = ""
        mark = events.mark()
        choose_method(window, case.method)
        outcome = events.next(qtbot, mark, ("result", "failed"))
    if case.input is not None or case.output is not None:
        mark = events.mark()
        choose(window, input=case.input, output=case.output)
        outcome = events.next(qtbot, mark, ("result", "failed"))
    if case.point is not None:
        if outcome[0] == "result" and row.stage == "point":
            # Something the user typed for this model, which a bad point file must not erase.
            mark = events.mark()
            type_into(qtbot, window.point_editor, 2, "0.75")
            outcome = events.next(qtbot, mark, ("result", "failed"))
        typed = window.point_editor.values().copy()
        mark = events.mark()
        dialogs.open_path = str(case.point)
        window.actions.load_point.trigger()
        if row.stage == "point":
            message = status(window)
            assert message.startswith("Could not load the point: "), message
            assert_one_line(message, GUI_MESSAGE_LIMIT)
            assert_mentions(message, row.gui_message or row.message)
            np.testing.assert_array_equal(window.point_editor.values(), typed)
            assert state.model is model
            _assert_responsive(qtbot, window, events)
            _assert_previous_comes_back(qtbot, window, events, previous)
            return
        outcome = events.next(qtbot, mark, ("result", "failed"))
    assert row.stage != "point", f"{row.id}: the point was accepted"
    if row.error is None:
        kind, result = outcome
        assert kind == "result", f"{row.id}: {result}"
        assert state.last_error == "" and window.heatmap.result() is result
        shown = model_panel(window).details.text() + " | " + " | ".join(result.warnings)
        assert_mentions(shown, row.message)
        if row.check is not None:
            # The window holds a description; the check reads the weights of the engine's model.
            row.check(result, window.test_engine.model)
    else:
        assert outcome[0] != "result", f"{row.id}: computed, but should fail"
        message = state.last_error
        assert_one_line(message, GUI_MESSAGE_LIMIT)
        assert_mentions(message, row.gui_message or row.message)
        assert window.window.banner.isVisible() and status(window) == message
    _assert_previous_comes_back(qtbot, window, events, previous)


def _check_load_error(row: Row, case: Any, window: Any, message: str) -> None:
    assert row.stage == "load", f"{row.id}: loading failed, expected at {row.stage}: {message}"
    shown = window.state.last_error
    assert shown == f"Could not open {case.model.name}: {message}", shown
    assert_one_line(shown, GUI_MESSAGE_LIMIT)
    assert_mentions(shown, row.gui_message or row.message)
    assert window.window.banner.isVisible() and status(window) == shown
    asked = window.dialogs.trust_questions
    expected = [str(case.model)] if case.model.suffix == ".py" else []
    if row.error.__name__ == "UnsafeModelError":
        expected.append(str(case.model))
    assert asked == expected, asked


def _assert_previous_comes_back(qtbot: Any, window: Any, events: Events, previous: str) -> None:
    """Reopening the earlier model works and brings back the value typed for it."""
    mark = events.mark()
    open_from_menu(window, Path(previous))
    kind, result = events.next(qtbot, mark, ("result", "failed"))
    assert kind == "result", result
    assert window.point_editor.values()[1] == TYPED and result.point[1] == TYPED


# --- typing text into a numeric cell ----------------------------------------------------------


def test_text_typed_into_a_cell_is_refused_and_the_value_kept(qtbot: Any, window: Any,
                                                             models: Any) -> None:  # noqa: F811
    events = Events(window)
    mark = events.mark()
    window.models.start(str(models[PREVIOUS]), unsafe=True)  # our own .py test model
    events.next(qtbot, mark, ("result",))
    mark = events.mark()
    type_into(qtbot, window.point_editor, 1, str(TYPED))
    events.next(qtbot, mark, ("result",))
    for text, reason in (("abc", "'abc' is not a number"), ("nan", "finite"), ("1e999", "finite"),
                         ("", "empty")):
        type_into(qtbot, window.point_editor, 1, text)
        message = status(window)
        assert message.startswith("v: ") and reason in message, message
        assert_one_line(message)
        assert window.point_editor.values()[1] == TYPED
        assert window.state.point.value(window.state.input_name)[1] == TYPED
        assert 1 in window.point_editor.table_model.bad_rows()
    _assert_responsive(qtbot, window, events)


# --- faults while a computation runs ----------------------------------------------------------

# Twelve chunks at an 8 MiB budget; each takes milliseconds once traced, so the tests hold the
# engine after the first chunk instead of hoping that it is still busy.
SLOW_PY = """
import numpy as np
import tensorflow as tf

INPUT_SHAPE = (512,)
_rng = np.random.default_rng(0)
_W = [tf.constant(_rng.normal(0, 0.04, s).astype("float32"))
      for s in [(512, 2048), (2048, 2048), (2048, 512)]]


def f(x):
    h = x[None]
    for w in _W:
        h = tf.tanh(h @ w)
    return h[0]
"""
TWELVE_CHUNKS = 8 << 20  # the memory budget that splits SLOW_PY's Jacobian into 12 chunks


@pytest.fixture
def gated(make_session: Any) -> Any:
    """The window over the real loader and engine; its next job holds after its first chunk.

    It goes on when the test sets ``engine.release`` or when the job is cancelled, so "in the
    middle of a computation" is a state the test controls, not a race it hopes to win.
    """
    engine = LocalEngine({}, loader=real_loader)
    engine.hold_after_chunk = 1
    return make_session(engine, memory_budget=TWELVE_CHUNKS), engine


def _start_held(qtbot: Any, window: Any, engine: LocalEngine, tmp_path: Path) -> Events:
    """Open the 12-chunk model; returns while the engine holds it after chunk 1."""
    slow = tmp_path / "slow.py"
    slow.write_text(SLOW_PY)
    events = Events(window)
    window.models.start(str(slow), unsafe=True)  # our own test model: trusted, no question
    qtbot.waitUntil(engine.holding.is_set, timeout=LONG)
    assert window.runner.is_busy("jacobian") and window.state.job.busy
    return events


def test_open_another_model_while_computing(qtbot: Any, gated: Any, tmp_path: Path,
                                            models: Any) -> None:  # noqa: F811
    """Opening stops the old model's Jacobian: the new model does not wait for it."""
    window, engine = gated
    events = _start_held(qtbot, window, engine, tmp_path)
    mark = events.mark()
    window.dialogs.trust = True  # PREVIOUS is a .py model: the user agrees to run it
    open_from_menu(window, Path(models[PREVIOUS]))
    engine.release.set()  # let the old job go on, if opening did not stop it
    kind, result = events.next(qtbot, mark, ("result", "failed"))
    assert kind == "result" and result.shape == (3, 3), f"{kind}: {result}"
    qtbot.waitUntil(lambda: not window.runner.is_busy("jacobian"), timeout=LONG)
    assert window.heatmap.result() is result and window.state.last_error == ""
    assert [r.shape for r in events.of("result", mark)] == [(3, 3)]


def test_change_the_point_while_computing(qtbot: Any, gated: Any, tmp_path: Path) -> None:
    window, engine = gated
    events = _start_held(qtbot, window, engine, tmp_path)
    submitted = len(engine.received)
    dropped = window.runner.dropped
    mark = events.mark()
    type_into(qtbot, window.point_editor, 3, "0.5")
    # The edit submits a new job (after the debounce), which cancels the held one.
    qtbot.waitUntil(lambda: len(engine.received) > submitted, timeout=LONG)
    engine.release.set()
    kind, result = events.next(qtbot, mark, ("result", "failed"))
    assert kind == "result", result
    assert result.point[3] == 0.5 and window.heatmap.result() is result
    assert window.point_editor.values()[3] == 0.5
    assert [r.point[3] for r in events.of("result")] == [0.5]
    # The held job's answer (its cancellation) was the only one superseded.
    assert window.state.last_error == "" and window.runner.dropped == dropped + 1


def test_cancel_while_computing_keeps_the_last_result(qtbot: Any, gated: Any,
                                                      tmp_path: Path) -> None:
    window, engine = gated
    events = _start_held(qtbot, window, engine, tmp_path)
    mark = events.mark()
    window.actions.cancel.trigger()
    kind, _ = events.next(qtbot, mark, ("result", "failed", "cancelled"))
    assert kind == "cancelled"
    assert window.heatmap.result() is None and window.state.last_error == ""
    assert status(window) == "Computation cancelled"
    assert _assert_responsive(qtbot, window, events).shape == (512, 512)


_CLOSE_DRIVER = """
    import sys
    from PySide6.QtCore import QTimer
    from jacgui.gui import app
    from tests.gui.conftest import real_loader
    from tests.gui.local_engine import LocalEngine

    # Hold the job after its first chunk until it is cancelled: the quit is surely mid-run.
    engine = LocalEngine({}, loader=real_loader)
    engine.hold_after_chunk = 1

    def hook():
        session = app.current_session
        session.state.memory_budget = 8 << 20  # twelve chunks

        def quit_mid_run(kind, done, total):
            if kind == "jacobian" and done == 1 and session.window.isVisible():
                busy = session.runner.is_busy("jacobian")
                print(f"quitting at {done}/{total} busy={busy}", flush=True)
                session.actions.quit.trigger()

        session.runner.progress.connect(quit_mid_run)

    app.create_application()
    QTimer.singleShot(0, hook)
    sys.exit(app.main(sys.argv[1:], link=engine))
"""


def _run_app(driver: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    for name in ("TF_CPP_MIN_LOG_LEVEL", "JACGUI_DEBUG", "CUDA_VISIBLE_DEVICES"):
        env.pop(name, None)  # as a user's shell has them
    return subprocess.run([sys.executable, "-c", textwrap.dedent(driver), *args], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)


def test_quit_while_computing_exits_cleanly(tmp_path: Path) -> None:
    """The real app, quit from its File menu mid-run: status 0 and not one byte on stderr.

    Run as a user would (no TF_CPP_MIN_LOG_LEVEL, no CUDA_VISIBLE_DEVICES): TensorFlow's
    "failed call to cuInit" line once reached stderr on every machine without a GPU. The
    engine is the in-process one: the job runs in the very process that quits.
    """
    slow = tmp_path / "slow.py"
    slow.write_text(SLOW_PY)
    proc = _run_app(_CLOSE_DRIVER, tmp_path, str(slow), "--unsafe")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "quitting at 1/12 busy=True" in proc.stdout, proc.stdout
    assert proc.stderr == ""
