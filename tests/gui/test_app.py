"""The main window end to end: launch, load, recompute, inspect, export, errors and shutdown."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from .window_driver import (
    LONG,
    choose_method,
    compute_panel,
    model_panel,
    open_from_menu,
    start,
    status,
    type_into,
    wait_result,
)

ROOT = Path(__file__).resolve().parents[2]
# TF 2.21 writes these C++ lines to stderr whatever TF_CPP_MIN_LOG_LEVEL says (tensorflow#100442).
TF_NOISE = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\)|[IWEF]\d{4} |"
                      r"To enable the following instructions)")


def test_launch_computes_without_clicks(qtbot: Any, session: Any) -> None:
    window = session.window
    assert window.placeholder.text() == "Starting the engine…"
    result = start(qtbot, session, "small.keras")
    assert result.shape == (3, 4)
    assert session.heatmap.result() is result
    assert window.stack.currentWidget() is window.tabs
    fields = session.status
    assert fields.shape.text() == "3×4"
    assert fields.method.text() == "method: reverse"
    assert "auto" in fields.method.toolTip()
    assert fields.time.text().endswith("ms")
    assert fields.memory.text().startswith("memory")
    assert fields.device.text() == "CPU"
    assert model_panel(session).selection() == ("x", "y")
    assert "small" in window.windowTitle()
    assert session.settings.recent_models()[0].endswith("small.keras")
    assert session.actions.recent.actions()[0].data().endswith("small.keras")


def test_bad_model_keeps_previous_and_shows_error(qtbot: Any, session: Any) -> None:
    start(qtbot, session, "small.keras")
    wait_result(qtbot, session, lambda: type_into(qtbot, session.point_editor, 1, "1.25"))
    before = session.state.result
    with qtbot.waitSignal(session.runner.model_failed, timeout=LONG):
        open_from_menu(session, "broken.keras")
    state = session.state
    assert state.model.path == "memory://small" and state.model_path == "small.keras"
    assert "broken.keras" in state.last_error and "not a zip file" in state.last_error
    assert session.window.banner.isVisible()
    assert session.point_editor.values()[1] == 1.25  # what the user typed survives
    assert session.heatmap.result() is before


def test_unsafe_model_asks_before_trusting(qtbot: Any, session: Any, engine: Any) -> None:
    start(qtbot, session, "small.keras")
    session.dialogs.trust = False
    with qtbot.waitSignal(session.runner.model_failed, timeout=LONG):
        session.models.open("lambda.keras")
    assert session.dialogs.trust_questions == ["lambda.keras"]
    assert "Lambda" in session.state.last_error
    session.dialogs.trust = True
    with qtbot.waitSignal(session.runner.model_opened, timeout=LONG):
        session.models.open("lambda.keras")
    assert engine.loads[-1] == ("lambda.keras", True)


def test_point_edit_recomputes_and_auto_recompute_off_waits_for_f5(qtbot: Any, session: Any,
                                                                   engine: Any) -> None:
    start(qtbot, session, "small.keras")
    state = session.state
    type_into(qtbot, session.point_editor, 0, "-2")
    type_into(qtbot, session.point_editor, 1, "3")
    qtbot.waitUntil(lambda: state.result.point.tolist() == [-2, 3, 0.5, 0.5], timeout=LONG)
    # Auto-recompute off: edits do not compute until F5.
    compute_panel(session).auto.setChecked(False)
    assert not session.actions.auto.isChecked()  # the Compute menu follows the state
    jobs = len(engine.received)
    with qtbot.assertNotEmitted(state.result_changed, wait=400):  # > the 150 ms debounce
        type_into(qtbot, session.point_editor, 2, "4")
    assert len(engine.received) == jobs
    result = wait_result(qtbot, session, session.actions.compute.trigger)
    assert result.point[2] == 4


def test_method_change_recomputes_with_step(qtbot: Any, session: Any, engine: Any) -> None:
    start(qtbot, session, "small.keras")
    step = compute_panel(session).step
    assert not step.isEnabled()
    result = wait_result(qtbot, session, lambda: choose_method(session, "fd-central"))
    assert result.method == "fd-central"
    assert step.isEnabled()

    def type_step() -> None:
        step.setFocus()
        qtbot.keyClicks(step, "1e-3")
        qtbot.keyClick(step, Qt.Key.Key_Return)

    wait_result(qtbot, session, type_step)
    assert session.state.step == 1e-3
    op, args = engine.received[-1]
    assert op == "jacobian" and args["method"] == "fd-central" and args["step"] == 1e-3


def test_cell_selection_shows_inspector_and_cross_check(qtbot: Any, session: Any) -> None:
    result = start(qtbot, session, "small.keras")
    state = session.state
    with qtbot.waitSignal(state.cross_check_changed, timeout=LONG,
                          check_params_cb=lambda: state.cross_check is not None):
        session.heatmap.select_cell(2, 1)
    assert state.cell == (2, 1)
    check = state.cross_check
    assert check.method == "fd-central"
    # Central differences in float32 carry ~1e-3 relative error (stack-facts §1).
    assert check.value == pytest.approx(result.matrix[2, 1], rel=1e-3, abs=1e-5)
    assert check.relative_difference < 1e-2
    inspector = session.inspector
    assert inspector.text("title") == f"∂ {result.output_labels[2]} / ∂ {result.input_labels[1]}"
    assert "central finite differences" in inspector.text("check")


def test_exports_and_clipboard(qtbot: Any, session: Any, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from jacgui.gui.actions import export as export_actions

    result = start(qtbot, session, "small.keras")
    state = session.state
    assert export_actions.save_data(state, str(tmp_path / "j.npy"))
    np.testing.assert_allclose(np.load(tmp_path / "j.npy"), result.matrix)
    session.dialogs.save_answer = (str(tmp_path / "j"), "CSV (*.csv)")
    session.actions.export_data.trigger()
    assert (tmp_path / "j.csv").exists()
    session.dialogs.save_answer = (str(tmp_path / "h.png"), "PNG image, 2× (*.png)")
    session.actions.export_heatmap.trigger()
    assert (tmp_path / "h.png").stat().st_size > 1000
    assert not export_actions.save_data(state, str(tmp_path / "j.npy" / "inside-a-file.npy"))
    assert state.last_error.startswith("Could not export the data")
    assert "\n" not in state.last_error
    session.actions.copy_values.trigger()
    assert QApplication.clipboard().text().count("\n") >= 3


def test_image_input_enables_sensitivity_tab(qtbot: Any, session: Any) -> None:
    start(qtbot, session, "image.keras")
    assert session.window.tabs.isTabEnabled(1)
    assert session.point_editor.image.isVisible()


def test_unexpected_exception_becomes_one_line(qtbot: Any, session: Any) -> None:
    from jacgui.gui.app import install_excepthook

    old = sys.excepthook
    install_excepthook(session.state)
    try:
        try:
            raise RuntimeError("boom\nsecond line")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook = old
    assert session.state.last_error == ("Internal error: RuntimeError: boom "
                                        "(set JACGUI_DEBUG=1 for details)")
    assert session.window.banner.isVisible()


def _run(script: str, tmp_path: Path, *args: str,
         timeout: int = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TF_CPP_MIN_LOG_LEVEL": "3",
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "PYTHONPATH": str(ROOT)}
    env.pop("JACGUI_DEBUG", None)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=timeout)


def _stderr(proc: subprocess.CompletedProcess) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.strip() and not TF_NOISE.match(line)]


SLOW_PY_MODEL = """
import numpy as np
import tensorflow as tf

INPUT_SHAPE = (768,)
_rng = np.random.default_rng(0)
_W = [tf.constant(_rng.normal(0, 0.03, s).astype("float32"))
      for s in [(768, 3072), (3072, 3072), (3072, 3072), (3072, 768)]]


def f(x):
    h = x[None]
    for w in _W:
        h = tf.tanh(h @ w)
    return h[0]
"""


def test_close_mid_computation_exits_cleanly(tmp_path: Path) -> None:
    """Run the real ``main()`` on a slow model and close the window at the first progress.

    The engine is the in-process one with the real loader: closing must stop a job that runs
    in this very process (the harder case for a clean exit).
    """
    model = tmp_path / "slow_model.py"
    model.write_text(SLOW_PY_MODEL)
    driver = """
        import sys
        from PySide6.QtCore import QTimer
        from jacgui.gui import app
        from tests.gui.conftest import real_loader
        from tests.gui.local_engine import LocalEngine

        def hook():
            session = app.current_session

            def close(kind, done, total):
                if kind == "jacobian" and session.window.isVisible():
                    busy = session.runner.is_busy("jacobian")
                    print(f"closing busy={busy}", flush=True)
                    session.window.close()

            session.runner.progress.connect(close)

        app.create_application()
        QTimer.singleShot(0, hook)
        sys.exit(app.main(sys.argv[1:], link=LocalEngine({}, loader=real_loader)))
    """
    proc = _run(driver, tmp_path, str(model), "--unsafe")  # .py: trusted up front, no question
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "closing busy=True" in proc.stdout
    assert _stderr(proc) == []


def test_window_appears_before_the_engine(tmp_path: Path) -> None:
    """The window is on screen, saying so, while the engine has not answered; no TensorFlow.

    How soon it is painted is measured by benchmarks/startup.py (target < 1 s), not here.
    """
    script = """
        import sys
        from jacgui.gui import app
        qapp = app.create_application()

        class SilentEngine:  # an engine that has not answered yet
            def start(self, on_ready): pass
            def open_model(self, path, unsafe, done): pass
            def submit(self, op, args, progress, done): return 0
            def cancel(self, job_id): pass
            def close(self): pass

        session = app.build(SilentEngine())
        session.window.show()
        session.models.start(None)
        qapp.processEvents()
        print("tf" if "tensorflow" in sys.modules else "no-tf",
              session.window.isVisible(), session.window.placeholder.text(), flush=True)
        session.window.close()
    """
    proc = _run(script, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    flag, visible, *text = proc.stdout.split()
    assert flag == "no-tf" and visible == "True"
    assert " ".join(text) == "Starting the engine…"


def test_real_demo_loads_and_computes(qtbot: Any, make_session: Any, real_engine: Any) -> None:
    """No fakes: the bundled demo through the real loader and engine on the engine's thread."""
    session = make_session(real_engine)
    result = start(qtbot, session, None)
    assert result.shape == (20, 5)
    assert session.actions.examples.actions(), "the Examples menu lists the bundled models"
    assert session.settings.recent_models() == []  # bundled examples are not "recent"
    state = session.state
    with qtbot.waitSignal(state.cross_check_changed, timeout=LONG,
                          check_params_cb=lambda: state.cross_check is not None):
        session.heatmap.select_cell(6, 2)
    assert state.cross_check.relative_difference < 1e-3


def test_drop_opens_models_and_points(qtbot: Any, session: Any, tmp_path: Path) -> None:
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    start(qtbot, session, "small.keras")

    def drop(path: str) -> None:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(path)])
        event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                           Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        session.window.dropEvent(event)

    point = tmp_path / "point.npy"
    np.save(point, np.array([1.0, 2.0, 3.0, 4.0]))
    drop(str(point))
    assert session.point_editor.values().tolist() == [1, 2, 3, 4]
    with qtbot.waitSignal(session.runner.model_failed, timeout=LONG):
        drop(str(tmp_path / "elsewhere.keras"))
    assert "elsewhere.keras" in session.state.last_error


def test_integer_inputs_are_listed_but_not_selectable(qtbot: Any) -> None:
    from jacgui.core.handle import ModelHandle
    from jacgui.core.spec import TensorInfo
    from jacgui.gui.model_panel import ModelPanel
    from jacgui.gui.state import WindowState

    handle = ModelHandle(
        "memory://mixed", "keras",
        (TensorInfo("tokens", (5,), "int32"), TensorInfo("scale", (2,))),
        (TensorInfo("y", (3,)),), forward=lambda d: d, default_point={},
    )
    state = WindowState()
    panel = ModelPanel(state)
    qtbot.addWidget(panel)
    state.set_model(handle, "mixed.keras")
    assert panel.tree.topLevelItemCount() == 3
    assert panel.selection() == ("scale", "y")
    item = panel.input_combo.model().item(0)
    assert not item.isEnabled() and "cannot be differentiated" in item.toolTip()
    state.select(input_name="tokens")
    assert state.input_name == "scale" and panel.selection()[0] == "scale"


def test_point_option_is_applied_before_the_first_result(qtbot: Any, session: Any,
                                                          tmp_path: Path) -> None:
    point = tmp_path / "start.json"
    point.write_text("[0.1, 0.2, 0.3, 0.4]")
    results: list[Any] = []
    session.state.result_changed.connect(lambda: results.append(session.state.result))
    start(qtbot, session, "small.keras", point=str(point))
    np.testing.assert_allclose(results[0].point, [0.1, 0.2, 0.3, 0.4], rtol=1e-6)


def test_with_a_sandbox_python_models_open_without_a_question(qtbot: Any, make_session: Any,
                                                             real_engine: Any, tmp_path: Path,
                                                             monkeypatch: Any) -> None:
    """Where the engine is sandboxed a .py model runs confined, so nobody needs to be asked."""
    monkeypatch.setattr("jacgui.gui.model_flow.sandbox_available", lambda: True)
    session = make_session(real_engine)
    model = tmp_path / "mine.py"
    model.write_text("INPUT_SHAPE = (2,)\ndef f(x):\n    return x * 3.0\n")
    result = wait_result(qtbot, session, lambda: session.models.open(str(model)))
    assert result.shape == (2, 2) and session.dialogs.trust_questions == []


def test_python_models_run_only_after_the_user_trusts_them(qtbot: Any, make_session: Any,
                                                           real_engine: Any,
                                                           tmp_path: Path) -> None:
    """A .py model is code: the window asks once per file; bundled examples are not asked."""
    from jacgui._resources import resource_path

    session = make_session(real_engine)  # the real loader, no sandbox: .py files are asked
    dialogs, state = session.dialogs, session.state
    start(qtbot, session, str(resource_path("models", "quadratic.py")))
    assert dialogs.trust_questions == []  # bundled example: no question
    model = tmp_path / "mine.py"
    model.write_text("INPUT_SHAPE = (2,)\ndef f(x):\n    return x * 3.0\n")
    session.models.open(str(model))
    assert dialogs.trust_questions == [str(model)]
    assert "not opened" in status(session)
    assert not state.loading
    assert state.model.path.endswith("quadratic.py")
    assert [path for path, _ in real_engine.loads if path == str(model)] == []  # never ran

    dialogs.trust = True
    result = wait_result(qtbot, session, lambda: session.models.open(str(model)))
    assert result.shape == (2, 2)
    wait_result(qtbot, session, lambda: session.models.open(str(model)))  # no second question
    assert dialogs.trust_questions == [str(model), str(model)]


STUCK_PY_MODEL = """
import os
import threading

INPUT_SHAPE = (3,)


def f(x):
    if os.path.exists({flag!r}):  # created once the model is loaded
        threading.Event().wait()  # an endless loop inside the model: no cancel can reach it
    return x * 2.0
"""


def test_close_with_a_chunk_that_never_ends_exits_instead_of_hanging(tmp_path: Path) -> None:
    """A model stuck inside one chunk cannot be cancelled: closing stops its engine and exits 0.

    This is the application as users run it: ``main()`` starts its engine process. The model
    loads normally and gets stuck in its first Jacobian: the flag that makes it hang is
    created when loading has ended, before the window submits that Jacobian.
    """
    flag = tmp_path / "stuck.flag"
    model = tmp_path / "stuck.py"
    model.write_text(STUCK_PY_MODEL.format(flag=str(flag)))
    driver = """
        import sys
        from pathlib import Path
        from PySide6.QtCore import QTimer
        from jacgui.gui import app

        def hook():
            session = app.current_session

            def loaded(loading):
                if not loading:
                    Path(sys.argv[-1]).touch()

            def close():
                print("closing", session.window.close(), flush=True)

            def on_started(kind):
                if kind == "jacobian":
                    print("stuck", flush=True)
                    QTimer.singleShot(200, close)

            session.state.loading_changed.connect(loaded)
            session.runner.started.connect(on_started)

        app.create_application()
        QTimer.singleShot(0, hook)
        sys.exit(app.main(sys.argv[1:-1]))
    """
    proc = _run(driver, tmp_path, str(model), "--unsafe", str(flag), timeout=120)
    assert "stuck" in proc.stdout and "closing True" in proc.stdout
    assert proc.returncode == 0, proc.stderr[-2000:]
    # The engine process is stopped at once (it cannot hold the window up): a clean exit.
    assert _stderr(proc) == []
