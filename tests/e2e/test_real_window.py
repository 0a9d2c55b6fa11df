"""The real window on a real X server: ``python -m jacgui`` under Xvfb, driven with xdotool.

Under CI (``CI=true``, set by the CI runner) a missing Xvfb or xdotool fails the test: it must
run there, and ``.ci/system-packages`` installs both. On a developer machine it is skipped.
The app runs as its own process, exactly as a user starts it (its engine in a child process);
the only addition is a ``sitecustomize`` module on its ``PYTHONPATH`` that reads the session
``main()`` built (``jacgui.gui.app.current_session``) and writes the window's state (result
shape, screen position of heatmap cells, clicked cell, status line) to
``$JACGUI_E2E_DIR/state.json`` every 50 ms. Everything the test does goes through the X
server: mouse clicks, the Ctrl+E export dialog typed into, and Ctrl+Q. Every wait is a bounded
poll.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.ci import in_ci

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("Xvfb", "xdotool")

WAIT_S = 120  # the longest any single step may take; CI never hangs longer
POLL_S = 0.05

HOOK = '''
"""Test-only: report the jacgui window's state to $JACGUI_E2E_DIR/state.json (every 50 ms)."""
import json
import os

_DIR = os.environ.get("JACGUI_E2E_DIR")
if _DIR:
    import jacgui.gui.app as _app

    _create = _app.create_application

    def create_application(*args, **kwargs):
        qapp = _create(*args, **kwargs)
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, _attach)  # runs once the event loop starts: the window exists
        return qapp

    _app.create_application = create_application

    def _attach():
        from PySide6.QtCore import QEvent, QObject, QTimer
        from PySide6.QtWidgets import QApplication, QLineEdit

        session = _app.current_session  # built by main() before its event loop runs this
        window, heatmap = session.window, session.heatmap
        state = {"pid": os.getpid(), "clicked": None, "painted_result": False}
        path = os.path.join(_DIR, "state.json")
        last = [""]

        def cells():
            result = heatmap.result()
            if result is None:
                return {}
            view = heatmap.graphics_view()
            m, n = result.shape
            out = {}
            _, top_r, top_c = result.max_abs_cell()
            state["strongest"] = f"{top_r},{top_c}"
            for r, c in {(0, 0), (m - 1, n - 1), (m // 2, n // 2), (top_r, top_c)}:
                scene = heatmap.cell_scene_pos(r, c)
                point = view.viewport().mapToGlobal(view.mapFromScene(scene))
                out[f"{r},{c}"] = [point.x(), point.y()]
            return out

        def write():
            result = heatmap.result()
            top_left = window.mapToGlobal(window.rect().topLeft())
            modal = QApplication.activeModalWidget()
            focus = QApplication.focusWidget()
            state.update(
                result_shape=list(result.shape) if result is not None else None,
                cells=cells(), title=window.windowTitle(),
                status=window.statusBar().currentMessage(),
                window=[top_left.x(), top_left.y(), window.width(), window.height()],
                window_id=int(window.winId()), active=window.isActiveWindow(),
                modal=modal.windowTitle() if modal is not None else None,
                modal_id=int(modal.winId()) if modal is not None else None,
                typed=focus.text() if isinstance(focus, QLineEdit) else None,
            )
            text = json.dumps(state)
            if text != last[0]:
                with open(path + ".tmp", "w", encoding="utf-8") as stream:
                    stream.write(text)
                os.replace(path + ".tmp", path)
                last[0] = text

        class Painted(QObject):
            def eventFilter(self, watched, event):
                if event.type() == QEvent.Type.Paint and heatmap.result() is not None:
                    state["painted_result"] = True
                return False

        painted = Painted(window)
        heatmap.graphics_view().viewport().installEventFilter(painted)

        def on_click(row, col):
            state["clicked"] = [row, col]

        heatmap.cell_clicked.connect(on_click)
        timer = QTimer(window)
        timer.timeout.connect(write)
        timer.start(50)
        write()
'''


def _poll(what: str, ready: Callable[[], Any], proc: subprocess.Popen | None = None) -> Any:
    """``ready()``'s first truthy value, polled for at most WAIT_S seconds."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        value = ready()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the app exited ({proc.returncode}) while waiting for {what}")
        time.sleep(POLL_S)
    raise AssertionError(f"timed out after {WAIT_S} s waiting for {what}")


def require_tools() -> None:
    """Fail under CI, skip elsewhere, when a tool the test drives the X server with is missing."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    reason = f"needs {', '.join(missing)} (.ci/system-packages installs them)"
    if in_ci():
        pytest.fail(f"CI=true but the real-window test cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def display(tmp_path: Path) -> Iterator[str]:
    """A private Xvfb server on a free display number (Xvfb picks it: -displayfd)."""
    require_tools()
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        chunks = b""
        deadline = time.monotonic() + WAIT_S
        while not chunks.endswith(b"\n") and time.monotonic() < deadline:
            chunk = os.read(read, 16)  # Xvfb writes "N\n" once it accepts connections
            if not chunk:
                break
            chunks += chunk
        number = chunks.strip().decode()
        assert number.isdigit(), f"Xvfb did not start ({server.poll()})"
        yield f":{number}"
    finally:
        os.close(read)
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _x(display: str, *args: str) -> str:
    proc = subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"xdotool {' '.join(args)}: {proc.stderr}"
    return proc.stdout


def _search(display: str, name: str) -> list[str]:
    """Ids of the windows whose title matches ``name`` (none yet is not an error)."""
    proc = subprocess.run(["xdotool", "search", "--name", name], capture_output=True, text=True,
                          env={**os.environ, "DISPLAY": display}, timeout=60)
    return proc.stdout.split()


GRAB = """
import sys
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(sys.argv[:1])
sys.exit(0 if app.primaryScreen().grabWindow(0).save(sys.argv[1]) else 1)
"""


def screenshot(display: str, path: Path) -> np.ndarray:
    """The whole X screen, grabbed by a separate Qt client, as an (H, W, 3) array (and a PNG).

    The pixels come from the X server's root window, not from the app: this is what is shown.
    """
    from PIL import Image

    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    subprocess.run([sys.executable, "-c", GRAB, str(path)], env=env, timeout=60, check=True,
                   capture_output=True)
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def _saturated(rgb: np.ndarray) -> np.ndarray:
    """Pixels of a diverging colour map (blue or red), as opposed to widget greys and white."""
    value = rgb.astype(int)
    return (value.max(axis=-1) - value.min(axis=-1)) > 60


def test_real_window_shows_clicks_exports_and_quits(display: str, tmp_path: Path) -> None:
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(textwrap.dedent(HOOK), encoding="utf-8")
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
           "JACGUI_E2E_DIR": str(state_dir), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "PYTHONPATH": os.pathsep.join([str(hook_dir), str(ROOT)])}
    for name in ("TF_CPP_MIN_LOG_LEVEL", "CUDA_VISIBLE_DEVICES", "JACGUI_DEBUG"):
        env.pop(name, None)  # as a user's shell has them
    app = subprocess.Popen([sys.executable, "-m", "jacgui"], cwd=tmp_path, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _drive(app, display, tmp_path, state_dir / "state.json")
        out, err = app.communicate(timeout=WAIT_S)
    finally:
        if app.poll() is None:
            app.kill()
            app.communicate()
    assert app.returncode == 0, err[-3000:]
    assert err == ""


def _drive(app: subprocess.Popen, display: str, tmp_path: Path, state_file: Path) -> None:
    def state() -> dict[str, Any]:
        try:
            return json.loads(state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    # 1. The demo's first Jacobian is on screen (painted with a result).
    shown = _poll("the first Jacobian",
                  lambda: (s := state()).get("painted_result") and s.get("result_shape") and s, app)
    m, n = shown["result_shape"]
    assert (m, n) == (20, 5) and "oscillator" in shown["title"].lower(), shown
    assert _poll("the window on the X server", lambda: _search(display, "jacgui"), app)

    # 2. The screen shows the window with a coloured heatmap where the app says the cells are.
    # The first paint may precede the final layout: take the picture between two equal reports.
    def settled() -> tuple[dict[str, Any], np.ndarray] | None:
        first = state()
        picture = screenshot(display, tmp_path / "window.png")
        again = state()
        keys = ("cells", "window", "result_shape")
        same = all(first.get(k) == again.get(k) for k in keys) and again.get("cells")
        return (again, picture) if same else None

    shown, before = _poll("a settled window", settled, app)
    x, y, w, h = shown["window"]
    assert w >= 800 and h >= 500 and 0 <= x and x + w <= before.shape[1], shown["window"]
    colour = _saturated(before)
    cx, cy = shown["cells"][shown["strongest"]]
    assert colour[cy - 2:cy + 3, cx - 2:cx + 3].all(), "the largest |J| cell is not coloured"
    (left, top), (right, bottom) = shown["cells"]["0,0"], shown["cells"][f"{m - 1},{n - 1}"]
    assert colour[top:bottom + 1, left:right + 1].mean() > 0.2, "no heatmap where the cells are"
    assert colour[y:y + h, x:x + w].mean() < 0.2, "the window is not mostly widgets"

    # 3. A click on a cell selects exactly that cell.
    target = f"{m // 2},{n // 2}"
    cx, cy = shown["cells"][target]
    _x(display, "mousemove", "--sync", str(cx), str(cy))
    _x(display, "click", "1")
    clicked = _poll("the click", lambda: state().get("clicked"), app)
    assert clicked == [int(v) for v in target.split(",")], (clicked, target)

    # 4. Ctrl+E opens the export dialog; the path is typed into it and the PNG is written.
    window_id = str(state()["window_id"])
    _x(display, "windowfocus", "--sync", window_id)
    _poll("the window to be active", lambda: state().get("active"), app)
    picture = tmp_path / "exported.png"
    _x(display, "key", "--clearmodifiers", "ctrl+e")
    dialog = _poll("the export dialog",
                   lambda: (s := state()).get("modal") == "Export heatmap" and s, app)
    _x(display, "windowfocus", "--sync", str(dialog["modal_id"]))
    _poll("the file name field", lambda: state().get("typed") is not None, app)
    _x(display, "key", "ctrl+a", "BackSpace")
    _x(display, "type", "--delay", "10", str(picture))
    _poll("the typed path", lambda: state().get("typed") == str(picture), app)
    _x(display, "key", "Return")
    # The notice comes once the file is complete (the PNG itself is not written atomically).
    _poll("the saved notice", lambda: "Saved exported.png" in (state().get("status") or ""), app)
    from PIL import Image

    with Image.open(picture) as image:
        exported = np.asarray(image.convert("RGB"))
    assert exported.shape[0] > 200 and _saturated(exported).mean() > 0.1

    # 5. Ctrl+Q quits.
    _x(display, "windowfocus", "--sync", window_id)
    _x(display, "key", "--clearmodifiers", "ctrl+q")
    _poll("the app to exit", lambda: app.poll() is not None)
