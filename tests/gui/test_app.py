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

from .conftest import ScriptedDialogs
from .test_point_editor import type_into

LONG = 60000
ROOT = Path(__file__).resolve().parents[2]
# TF 2.21 writes these C++ lines to stderr whatever TF_CPP_MIN_LOG_LEVEL says (tensorflow#100442).
TF_NOISE = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\)|[IWEF]\d{4} |"
                      r"To enable the following instructions)")


@pytest.fixture
def window(qtbot: Any, backend: Any, settings: Any) -> Any:
    from jacgui.gui.main_window import MainWindow

    win = MainWindow(settings=settings, backend=backend, dialogs=ScriptedDialogs())
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def start(qtbot: Any, window: Any, model: str | None) -> Any:
    with qtbot.waitSignal(window.controller.result_ready, timeout=LONG) as blocker:
        window.start(model)
    return blocker.args[0]


def test_launch_computes_without_clicks(qtbot: Any, window: Any) -> None:
    assert window.placeholder.text() == "Loading TensorFlow…"
    result = start(qtbot, window, "small.keras")
    assert result.shape == (3, 4)
    assert window.heatmap.result() is result
    assert window.stack.currentWidget() is window.tabs
    assert window.status.shape.text() == "3×4"
    assert window.status.method.text() == "method: reverse"
    assert "auto" in window.status.method.toolTip()
    assert window.status.time.text().endswith("ms")
    assert window.status.memory.text().startswith("memory")
    assert window.status.device.text() == "CPU"
    assert window.model_panel.selection() == ("x", "y")
    assert "small" in window.windowTitle()
    assert window.settings.recent_models()[0].endswith("small.keras")
    assert window.actions.recent.actions()[0].data().endswith("small.keras")


def test_bad_model_keeps_previous_and_shows_error(qtbot: Any, window: Any) -> None:
    start(qtbot, window, "small.keras")
    type_into(qtbot, window.point_editor, 1, "1.25")
    with qtbot.waitSignal(window.controller.model_failed, timeout=LONG):
        window.dialogs.open_path = "broken.keras"
        window.actions.open.trigger()
    assert window.controller.model.path == "memory://small"
    assert "broken.keras" in window.last_error and "not a zip file" in window.last_error
    assert window.banner.isVisible()
    assert window.point_editor.values()[1] == 1.25  # what the user typed survives
    assert window.heatmap.result() is not None


def test_unsafe_model_asks_before_trusting(qtbot: Any, window: Any, backend: Any) -> None:
    start(qtbot, window, "small.keras")
    window.dialogs.trust = False
    with qtbot.waitSignal(window.controller.model_failed, timeout=LONG):
        window.open_model("lambda.keras")
    assert window.dialogs.trust_questions == ["lambda.keras"]
    assert "Lambda" in window.last_error
    window.dialogs.trust = True
    with qtbot.waitSignal(window.controller.model_loaded, timeout=LONG):
        window.open_model("lambda.keras")
    assert backend.loads[-1] == ("lambda.keras", True)


def test_point_edit_recomputes_debounced(qtbot: Any, window: Any) -> None:
    start(qtbot, window, "small.keras")
    with qtbot.waitSignal(window.controller.result_ready, timeout=LONG) as blocker:
        type_into(qtbot, window.point_editor, 0, "-2")
        type_into(qtbot, window.point_editor, 1, "3")
    assert blocker.args[0].point.tolist() == [-2, 3, 0.5, 0.5]
    # Auto-recompute off: edits do not compute until F5.
    window.compute_panel.auto.setChecked(False)
    with qtbot.assertNotEmitted(window.controller.result_ready, wait=400):
        type_into(qtbot, window.point_editor, 2, "4")
    with qtbot.waitSignal(window.controller.result_ready, timeout=LONG) as blocker:
        window.actions.compute.trigger()
    assert blocker.args[0].point[2] == 4


def test_method_change_recomputes_with_step(qtbot: Any, window: Any) -> None:
    start(qtbot, window, "small.keras")
    assert not window.compute_panel.step.isEnabled()
    with qtbot.waitSignal(window.controller.result_ready, timeout=LONG) as blocker:
        window.compute_panel.set_method("fd-central")
    assert blocker.args[0].method == "fd-central"
    assert window.compute_panel.step.isEnabled()
    window.compute_panel.step.setText("1e-3")
    assert window.compute_panel.step_value() == 1e-3


def test_cell_selection_shows_inspector_and_cross_check(qtbot: Any, window: Any) -> None:
    result = start(qtbot, window, "small.keras")
    with qtbot.waitSignal(window.controller.cross_checked, timeout=LONG) as blocker:
        window.heatmap.select_cell(2, 1)
        window._on_cell_selected(2, 1)  # what selection_changed does on a click
    check = blocker.args[0]
    assert check.method == "fd-central"
    assert check.value == pytest.approx(result.matrix[2, 1], rel=1e-3, abs=1e-5)
    assert check.relative_difference < 1e-2


def test_exports_and_clipboard(qtbot: Any, window: Any, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QApplication

    result = start(qtbot, window, "small.keras")
    assert window.exporter.save_data(str(tmp_path / "j.npy"))
    np.testing.assert_allclose(np.load(tmp_path / "j.npy"), result.matrix)
    window.dialogs.save_answer = (str(tmp_path / "j"), "CSV (*.csv)")
    window.actions.export_data.trigger()
    assert (tmp_path / "j.csv").exists()
    window.dialogs.save_answer = (str(tmp_path / "h.png"), "PNG image, 2× (*.png)")
    window.actions.export_heatmap.trigger()
    assert (tmp_path / "h.png").stat().st_size > 1000
    assert not window.exporter.save_data(str(tmp_path / "j.npy" / "inside-a-file.npy"))
    assert window.last_error.startswith("Could not export the data")
    window.actions.copy_values.trigger()
    assert QApplication.clipboard().text().count("\n") >= 3


def test_image_input_enables_sensitivity_tab(qtbot: Any, window: Any) -> None:
    start(qtbot, window, "image.keras")
    assert window.tabs.isTabEnabled(1)
    assert window.point_editor.image.isVisible()


def test_unexpected_exception_becomes_one_line(qtbot: Any, window: Any) -> None:
    from jacgui.gui.app import install_excepthook

    old = sys.excepthook
    install_excepthook(window)
    try:
        try:
            raise RuntimeError("boom\nsecond line")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook = old
    assert window.last_error == "Unexpected error: RuntimeError: boom"


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
    """Run the real ``main()`` on a slow model and close the window at the first progress."""
    model = tmp_path / "slow_model.py"
    model.write_text(SLOW_PY_MODEL)
    driver = """
        import sys
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        from jacgui.gui import app
        from jacgui.gui.main_window import MainWindow

        qapp = app.create_application()

        def close_on_progress(window):
            def close(done, total):
                if window.isVisible():
                    print(f"closing busy={window.controller.is_busy}", flush=True)
                    window.close()
            window.controller.progress.connect(close)

        def hook():
            for widget in QApplication.topLevelWidgets():
                if isinstance(widget, MainWindow):
                    close_on_progress(widget)

        QTimer.singleShot(0, hook)
        sys.exit(app.main(sys.argv[1:]))
    """
    proc = _run(driver, tmp_path, str(model), "--unsafe")  # .py: trusted up front, no question
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "closing busy=True" in proc.stdout
    assert _stderr(proc) == []


def test_window_appears_before_tensorflow(tmp_path: Path) -> None:
    script = """
        import sys, time
        t0 = time.perf_counter()
        import jacgui.gui
        from jacgui.gui import app
        qapp = app.create_application()
        from jacgui.gui.main_window import MainWindow
        window = MainWindow()
        window.show()
        qapp.processEvents()
        elapsed = time.perf_counter() - t0
        print("tf" if "tensorflow" in sys.modules else "no-tf", f"{elapsed:.3f}",
              window.placeholder.text(), flush=True)
        window.close()
    """
    proc = _run(script, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    flag, seconds, *text = proc.stdout.split()
    assert flag == "no-tf"
    assert " ".join(text) == "Loading TensorFlow…"
    # How soon is measured by benchmarks/startup.py: a wall-clock bound here failed under load
    # (10.5 s with a busy CPU) and says nothing about the order, which is what is checked.
    assert float(seconds) > 0


def test_real_demo_loads_and_computes(qtbot: Any, settings: Any) -> None:
    """No fakes: the bundled demo through the real loader and engine on the worker thread."""
    from jacgui.gui.main_window import MainWindow

    window = MainWindow(settings=settings, dialogs=ScriptedDialogs())
    qtbot.addWidget(window)
    window.show()
    try:
        result = start(qtbot, window, None)
        assert result.shape == (20, 5)
        assert window.actions.examples.actions(), "the Examples menu lists the bundled models"
        assert window.settings.recent_models() == []  # bundled examples are not "recent"
        with qtbot.waitSignal(window.controller.cross_checked, timeout=LONG) as blocker:
            window.heatmap.select_cell(6, 2)
            window._on_cell_selected(6, 2)
        assert blocker.args[0].relative_difference < 1e-3
    finally:
        window.close()


def test_drop_opens_models_and_points(qtbot: Any, window: Any, tmp_path: Path) -> None:
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    start(qtbot, window, "small.keras")

    def drop(path: str) -> None:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(path)])
        event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                           Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        window.dropEvent(event)

    point = tmp_path / "point.npy"
    np.save(point, np.array([1.0, 2.0, 3.0, 4.0]))
    drop(str(point))
    assert window.point_editor.values().tolist() == [1, 2, 3, 4]
    with qtbot.waitSignal(window.controller.model_failed, timeout=LONG):
        drop(str(tmp_path / "elsewhere.keras"))
    assert "elsewhere.keras" in window.last_error


def test_integer_inputs_are_listed_but_not_selectable(qtbot: Any) -> None:
    from jacgui.core.handle import ModelHandle
    from jacgui.core.spec import TensorInfo
    from jacgui.gui.model_panel import ModelPanel

    handle = ModelHandle(
        "memory://mixed", "keras",
        (TensorInfo("tokens", (5,), "int32"), TensorInfo("scale", (2,))),
        (TensorInfo("y", (3,)),), forward=lambda d: d, default_point={},
    )
    panel = ModelPanel()
    qtbot.addWidget(panel)
    panel.set_model(handle)
    assert panel.tree.topLevelItemCount() == 3
    assert panel.selection() == ("scale", "y")
    item = panel.input_combo.model().item(0)
    assert not item.isEnabled() and "cannot be differentiated" in item.toolTip()
    panel.select(input="tokens")
    assert panel.selection()[0] == "scale"


def test_point_option_is_applied_before_the_first_result(qtbot: Any, window: Any,
                                                          tmp_path: Path) -> None:
    point = tmp_path / "start.json"
    point.write_text("[0.1, 0.2, 0.3, 0.4]")
    with qtbot.waitSignal(window.controller.result_ready, timeout=LONG) as blocker:
        window.start("small.keras", point=str(point))
    np.testing.assert_allclose(blocker.args[0].point, [0.1, 0.2, 0.3, 0.4], rtol=1e-6)


def test_python_models_run_only_after_the_user_trusts_them(qtbot: Any, settings: Any,
                                                           tmp_path: Path) -> None:
    """A .py model is code: the window asks once per file; bundled examples are not asked."""
    from jacgui._resources import resource_path
    from jacgui.gui.main_window import MainWindow

    window = MainWindow(settings=settings, dialogs=ScriptedDialogs())  # the real loader
    qtbot.addWidget(window)
    window.show()
    try:
        start(qtbot, window, str(resource_path("models", "quadratic.py")))
        assert window.dialogs.trust_questions == []  # bundled example: no question
        model = tmp_path / "mine.py"
        model.write_text("INPUT_SHAPE = (2,)\ndef f(x):\n    return x * 3.0\n")
        window.open_model(str(model))
        assert window.dialogs.trust_questions == [str(model)]
        assert "not opened" in window.statusBar().currentMessage()
        assert not window.controller.is_loading
        assert window.controller.model.path.endswith("quadratic.py")

        window.dialogs.trust = True
        with qtbot.waitSignal(window.controller.result_ready, timeout=LONG) as blocker:
            window.open_model(str(model))
        assert blocker.args[0].shape == (2, 2)
        with qtbot.waitSignal(window.controller.result_ready, timeout=LONG):
            window.open_model(str(model))  # trusted once: no second question
        assert window.dialogs.trust_questions == [str(model), str(model)]
    finally:
        window.close()


def test_close_with_a_chunk_that_never_ends_exits_instead_of_hanging(tmp_path: Path) -> None:
    """A model stuck inside one chunk cannot be cancelled: closing gives up on it and exits 0."""
    driver = """
        import sys, threading
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        import jacgui.core.engine
        from jacgui.gui import app, controller
        from jacgui.gui.main_window import MainWindow

        controller.SHUTDOWN_WAIT_MS = 1500
        forever = threading.Event()

        def stuck_run_job(job, progress=None, cancel=None):
            print("stuck", flush=True)
            forever.wait()  # ignores the cancel token, like an endless loop inside a model

        jacgui.core.engine.run_job = stuck_run_job
        qapp = app.create_application()

        def close():
            for widget in QApplication.topLevelWidgets():
                if isinstance(widget, MainWindow):
                    print("closing", widget.close(), flush=True)

        def hook():
            for widget in QApplication.topLevelWidgets():
                if isinstance(widget, MainWindow):
                    widget.controller.job_started.connect(lambda *a: QTimer.singleShot(200, close))

        QTimer.singleShot(0, hook)
        sys.exit(app.main(sys.argv[1:]))
    """
    proc = _run(driver, tmp_path, timeout=120)
    assert "stuck" in proc.stdout
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert _stderr(proc) == ["jacgui: a computation did not stop; exiting without waiting for it"]
