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
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jacgui.core.job import JacobianOptions
from jacgui.gui.worker import Backend
from tests.bad_inputs import ROW_IDS, ROWS, Row, assert_mentions, assert_one_line
from tests.core.conftest import loaded, models  # noqa: F401 - the session's shared test models

from .conftest import ScriptedDialogs
from .test_point_editor import type_into

LONG = 60000
ROOT = Path(__file__).resolve().parents[2]
TYPED = 1.25  # typed into row 1 of the previous model's point
PREVIOUS = "textbook"  # f(x) = x**2 + 2x + 1 with inputs u, v, w: loads and computes in ms
# The window prefixes load errors with "Could not open <name>: ".
GUI_MESSAGE_LIMIT = 320


class Events:
    """Everything the controller reports, in order, so a test can wait for the next outcome."""

    def __init__(self, window: Any) -> None:
        self.seen: list[tuple[str, Any]] = []
        self.after = 0
        c = window.controller
        c.model_loaded.connect(lambda model: self.seen.append(("loaded", model)))
        c.model_failed.connect(lambda path, text, trust: self.seen.append(("load-failed", text)))
        c.result_ready.connect(lambda result: self.seen.append(("result", result)))
        c.failed.connect(lambda text: self.seen.append(("failed", text)))
        c.cancelled.connect(lambda job: self.seen.append(("cancelled", job)))

    def mark(self) -> int:
        return len(self.seen)

    def next(self, qtbot: Any, since: int, kinds: tuple[str, ...]) -> tuple[str, Any]:
        """The first event of ``kinds`` after position ``since`` (waits for it)."""

        def found() -> int | None:
            return next((i for i in range(since, len(self.seen)) if self.seen[i][0] in kinds),
                        None)

        qtbot.waitUntil(lambda: found() is not None, timeout=LONG)
        index = found()
        assert index is not None
        self.after = index + 1  # where to look for what follows this event
        return self.seen[index]


class SharedPreviousBackend(Backend):
    """The real loader, except that the "previous" model is loaded once per session.

    Every row opens it twice (before the row and after, to see that it comes back); reusing
    its handle (and its traced functions) saves about half a second per row.
    """

    def __init__(self, previous: str, handle: Any) -> None:
        self.previous, self.handle = previous, handle

    def load_model(self, path: str, unsafe: bool) -> Any:
        return self.handle if path == self.previous else super().load_model(path, unsafe)


@pytest.fixture
def window(qtbot: Any, settings: Any, models: Any, loaded: Any) -> Any:  # noqa: F811
    from jacgui.gui.main_window import MainWindow

    backend = SharedPreviousBackend(str(models[PREVIOUS]), loaded[PREVIOUS])
    win = MainWindow(settings=settings, backend=backend, dialogs=ScriptedDialogs())
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def _open(window: Any, path: Path) -> None:
    """File > Open model… or File > Open SavedModel folder…, answered with ``path``."""
    window.dialogs.open_path = str(path)
    (window.actions.open_folder if path.is_dir() else window.actions.open).trigger()


def _status(window: Any) -> str:
    return window.statusBar().currentMessage()


def _assert_responsive(qtbot: Any, window: Any, events: Events) -> Any:
    """F5 still computes: the worker thread and the event loop are alive."""
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
    events = Events(window)
    if case.method != "auto":
        window.compute_panel.set_method(case.method)
    # A .py model is code: the window asks before running it; the scripted user says yes.
    is_code = case.model.suffix == ".py"
    window.dialogs.trust = case.unsafe or is_code

    # A good model with a typed value, as the user had it before trying the row.
    mark = events.mark()
    window.start(previous, unsafe=True)  # our own .py test model: trusted up front
    assert events.next(qtbot, mark, ("result", "failed"))[0] == "result"
    mark = events.mark()
    type_into(qtbot, window.point_editor, 1, str(TYPED))
    kind, before = events.next(qtbot, mark, ("result", "failed"))
    assert kind == "result" and before.point[1] == TYPED
    window.last_error = ""

    mark = events.mark()
    _open(window, case.model)
    kind, payload = events.next(qtbot, mark, ("loaded", "load-failed"))
    if kind == "load-failed" and case.unsafe:
        # The window asked whether to trust the file; the scripted user said yes.
        assert window.dialogs.trust_questions[-1:] == [str(case.model)], payload
        kind, payload = events.next(qtbot, events.after, ("loaded", "load-failed"))
    if kind == "load-failed":
        _check_load_error(row, case, window, payload, before)
        assert window.controller.model.path == previous
        assert window.heatmap.result() is before
        assert window.point_editor.values()[1] == TYPED
        assert _assert_responsive(qtbot, window, events).point[1] == TYPED
        return
    assert row.stage != "load", f"{row.id}: loaded, but loading should fail"
    model = payload
    outcome = ("none", None)
    if any(spec.is_float for spec in model.inputs):
        outcome = events.next(qtbot, mark, ("result", "failed"))
    if case.input is not None or case.output is not None:
        mark = events.mark()
        window.model_panel.select(input=case.input, output=case.output)
        outcome = events.next(qtbot, mark, ("result", "failed"))
    if case.point is not None:
        if outcome[0] == "result" and row.stage == "point":
            # Something the user typed for this model, which a bad point file must not erase.
            mark = events.mark()
            type_into(qtbot, window.point_editor, 2, "0.75")
            outcome = events.next(qtbot, mark, ("result", "failed"))
        typed = window.point_editor.values().copy()
        mark = events.mark()
        window.dialogs.open_path = str(case.point)
        window.actions.load_point.trigger()
        if row.stage == "point":
            message = _status(window)
            assert message.startswith("Could not load the point: "), message
            assert_one_line(message, GUI_MESSAGE_LIMIT)
            assert_mentions(message, row.gui_message or row.message)
            np.testing.assert_array_equal(window.point_editor.values(), typed)
            assert window.controller.model is model
            _assert_responsive(qtbot, window, events)
            _assert_previous_comes_back(qtbot, window, events, previous)
            return
        outcome = events.next(qtbot, mark, ("result", "failed"))
    assert row.stage != "point", f"{row.id}: the point was accepted"
    if row.error is None:
        kind, result = outcome
        assert kind == "result", f"{row.id}: {result}"
        assert window.last_error == "" and window.heatmap.result() is result
        shown = window.model_panel.details.text() + " | " + " | ".join(result.warnings)
        assert_mentions(shown, row.message)
        if row.check is not None:
            row.check(result, model)
    else:
        assert outcome[0] != "result", f"{row.id}: computed, but should fail"
        message = window.last_error
        assert_one_line(message, GUI_MESSAGE_LIMIT)
        assert_mentions(message, row.gui_message or row.message)
        assert window.banner.isVisible() and _status(window) == message
    _assert_previous_comes_back(qtbot, window, events, previous)


def _check_load_error(row: Row, case: Any, window: Any, message: str, before: Any) -> None:
    assert row.stage == "load", f"{row.id}: loading failed, expected at {row.stage}: {message}"
    shown = window.last_error
    assert shown == f"Could not open {case.model.name}: {message}", shown
    assert_one_line(shown, GUI_MESSAGE_LIMIT)
    assert_mentions(shown, row.gui_message or row.message)
    assert window.banner.isVisible() and _status(window) == shown
    asked = window.dialogs.trust_questions
    expected = [str(case.model)] if case.model.suffix == ".py" else []
    if row.error.__name__ == "UnsafeModelError":
        expected.append(str(case.model))
    assert asked == expected, asked


def _assert_previous_comes_back(qtbot: Any, window: Any, events: Events, previous: str) -> None:
    """Reopening the earlier model works and brings back the value typed for it."""
    mark = events.mark()
    _open(window, Path(previous))
    kind, result = events.next(qtbot, mark, ("result", "failed"))
    assert kind == "result", result
    assert window.point_editor.values()[1] == TYPED and result.point[1] == TYPED


# --- typing text into a numeric cell ----------------------------------------------------------


def test_text_typed_into_a_cell_is_refused_and_the_value_kept(qtbot: Any, window: Any,
                                                             models: Any) -> None:  # noqa: F811
    events = Events(window)
    mark = events.mark()
    window.start(str(models[PREVIOUS]), unsafe=True)  # our own .py test model
    events.next(qtbot, mark, ("result",))
    mark = events.mark()
    type_into(qtbot, window.point_editor, 1, str(TYPED))
    events.next(qtbot, mark, ("result",))
    for text, reason in (("abc", "'abc' is not a number"), ("nan", "finite"), ("1e999", "finite"),
                         ("", "empty")):
        type_into(qtbot, window.point_editor, 1, text)
        message = _status(window)
        assert message.startswith("v: ") and reason in message, message
        assert_one_line(message)
        assert window.point_editor.values()[1] == TYPED
        assert 1 in window.point_editor.table_model.bad_rows()
    _assert_responsive(qtbot, window, events)


# --- faults while a computation runs ----------------------------------------------------------

# Twelve chunks at an 8 MiB budget; each takes milliseconds once traced, so the tests hold the
# worker after the first chunk (GatedBackend) instead of hoping that it is still busy.
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
HOLD_S = 60  # the longest the worker is held; a test that gets this far has failed anyway


class GatedBackend(Backend):
    """The real loader and engine; the first multi-chunk job pauses after its first chunk.

    It resumes when the test sets ``gate`` or when the job is cancelled, so "in the middle of a
    computation" is a state the test controls, not a race it hopes to win.
    """

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.holding = threading.Event()
        self._armed = True

    def run_job(self, job: Any, progress: Any, cancel: Any) -> Any:
        def gated(p: Any) -> None:
            progress(p)
            if self._armed and p.done == 1 and p.total > 1:
                self._armed = False
                self.holding.set()
                for _ in range(HOLD_S * 20):  # bounded: 50 ms polls of the gate and the token
                    if self.gate.wait(0.05) or cancel.cancelled:
                        break

        return super().run_job(job, gated, cancel)


@pytest.fixture
def gated(qtbot: Any, settings: Any) -> Any:
    from jacgui.gui.main_window import MainWindow

    backend = GatedBackend()
    win = MainWindow(settings=settings, backend=backend, dialogs=ScriptedDialogs(),
                     options=JacobianOptions(memory_budget=8 << 20))
    qtbot.addWidget(win)
    win.show()
    yield win, backend
    backend.gate.set()
    win.close()


def _start_held(qtbot: Any, window: Any, backend: GatedBackend, tmp_path: Path) -> Events:
    """Open the 12-chunk model; returns while the worker holds it after chunk 1."""
    slow = tmp_path / "slow.py"
    slow.write_text(SLOW_PY)
    events = Events(window)
    window.start(str(slow), unsafe=True)  # our own test model: trusted, no question
    qtbot.waitUntil(backend.holding.is_set, timeout=LONG)
    assert window.controller.is_busy
    return events


def test_open_another_model_while_computing(qtbot: Any, gated: Any, tmp_path: Path,
                                            models: Any) -> None:  # noqa: F811
    """Opening stops the old model's Jacobian: the new model does not wait for it."""
    window, backend = gated
    events = _start_held(qtbot, window, backend, tmp_path)
    mark = events.mark()
    window.dialogs.trust = True  # PREVIOUS is a .py model: the user agrees to run it
    _open(window, Path(models[PREVIOUS]))
    backend.gate.set()  # let the old job go on, if opening did not stop it
    kind, result = events.next(qtbot, mark, ("result", "failed"))
    assert kind == "result" and result.shape == (3, 3), f"{kind}: {result}"
    qtbot.waitUntil(lambda: not window.controller.is_busy, timeout=LONG)
    assert window.heatmap.result() is result and window.last_error == ""
    assert [e[1].shape for e in events.seen[mark:] if e[0] == "result"] == [(3, 3)]


def test_change_the_point_while_computing(qtbot: Any, gated: Any, tmp_path: Path) -> None:
    window, backend = gated
    events = _start_held(qtbot, window, backend, tmp_path)
    held_job = window.controller.current_job_id
    mark = events.mark()
    type_into(qtbot, window.point_editor, 3, "0.5")
    # The edit submits a new job (after the debounce), which cancels the held one.
    qtbot.waitUntil(lambda: window.controller.current_job_id > held_job, timeout=LONG)
    backend.gate.set()
    kind, result = events.next(qtbot, mark, ("result", "failed"))
    assert kind == "result", result
    assert result.point[3] == 0.5 and window.heatmap.result() is result
    assert window.point_editor.values()[3] == 0.5
    assert [e[1].point[3] for e in events.seen if e[0] == "result"] == [0.5]
    assert window.last_error == "" and window.controller.dropped_results == 0


def test_cancel_while_computing_keeps_the_last_result(qtbot: Any, gated: Any,
                                                      tmp_path: Path) -> None:
    window, backend = gated
    events = _start_held(qtbot, window, backend, tmp_path)
    mark = events.mark()
    window.actions.cancel.trigger()
    kind, _ = events.next(qtbot, mark, ("result", "failed", "cancelled"))
    assert kind == "cancelled"
    assert window.heatmap.result() is None and window.last_error == ""
    assert _status(window) == "Computation cancelled"
    assert _assert_responsive(qtbot, window, events).shape == (512, 512)


_CLOSE_DRIVER = """
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from jacgui.core import engine
    from jacgui.core.job import JacobianOptions
    from jacgui.gui import app
    from jacgui.gui.main_window import MainWindow

    # Hold the job after its first chunk until it is cancelled: the quit is surely mid-run.
    real_run_job = engine.run_job

    def held_run_job(job, progress=None, cancel=None):
        def gated(p):
            progress(p)
            if p.done == 1 and p.total > 1:
                for _ in range(1200):
                    if cancel._event.wait(0.05):
                        break
        return real_run_job(job, gated, cancel)

    engine.run_job = held_run_job

    def hook():
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
        window.base_options = JacobianOptions(memory_budget=8 << 20)  # twelve chunks

        def quit_mid_run(done, total):
            if done == 1 and window.isVisible():
                print(f"quitting at {done}/{total} busy={window.controller.is_busy}", flush=True)
                window.actions.quit.trigger()

        window.controller.progress.connect(quit_mid_run)

    app.create_application()
    QTimer.singleShot(0, hook)
    sys.exit(app.main(sys.argv[1:]))
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
    "failed call to cuInit" line once reached stderr on every machine without a GPU.
    """
    slow = tmp_path / "slow.py"
    slow.write_text(SLOW_PY)
    proc = _run_app(_CLOSE_DRIVER, tmp_path, str(slow), "--unsafe")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "quitting at 1/12 busy=True" in proc.stdout, proc.stdout
    assert proc.stderr == ""
