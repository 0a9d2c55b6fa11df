"""The window over its real engine process, each test in a fresh Python (nothing faked).

The test process itself has TensorFlow loaded, so whatever must be true of the window's own
process (no TensorFlow mapped) is checked in a child that builds the window exactly as
``python -m jacgui`` does: the engine spawned first, then Qt, then :func:`jacgui.gui.app.build`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.process import models as pm

ROOT = Path(__file__).resolve().parents[2]

#: The window, built as the application builds it, driven by the script's own event loop.
PRELUDE = """
import json, os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from jacgui.gui.engine_link import start_engine
link = start_engine()                      # before Qt, as python -m jacgui does
from jacgui.gui.app import build, create_application
from jacgui.gui.settings import Settings
from tests.gui.conftest import ScriptedDialogs

app = create_application()
session = build(link, Settings.in_file(sys.argv[1]), ScriptedDialogs())
state = session.state
session.window.show()

def until(condition, seconds=240):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out: {condition.__doc__ or condition}")
        app.processEvents()
        time.sleep(0.005)

def finish(report):
    print(json.dumps(report))
    session.window.close()
    app.processEvents()
"""


def _run(body: str, tmp_path: Path, *args: str) -> dict:
    script = tmp_path / "window.py"
    script.write_text(PRELUDE + textwrap.dedent(body), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("JACGUI_DEBUG", None)
    proc = subprocess.run([sys.executable, str(script), str(tmp_path / "settings.ini"), *args],
                          capture_output=True, text=True, timeout=600, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_window_process_never_maps_tensorflow(tmp_path: Path) -> None:
    report = _run("""
        session.models.start(None)                       # the bundled demo
        until(lambda: state.result is not None)
        engine = link.client.pid
        def mapped(pid):
            with open(f"/proc/{pid}/maps") as maps:
                return any("tensorflow" in line for line in maps)
        finish({"shape": list(state.result.shape), "window_maps_tf": mapped("self"),
                "window_imports_tf": any(m.split(".")[0] in ("tensorflow", "keras")
                                         for m in sys.modules),
                "engine_maps_tf": mapped(engine), "engine": engine, "me": os.getpid(),
                "sandbox": state.engine.sandbox})
    """, tmp_path)
    assert report["shape"] == [20, 5]
    assert not report["window_maps_tf"] and not report["window_imports_tf"]
    # The check can fail: the same test finds TensorFlow in the engine's own process.
    assert report["engine_maps_tf"] and report["engine"] != report["me"]
    assert report["sandbox"]  # the status bar says how the engine is confined


def test_a_model_that_segfaults_leaves_the_window_alive_and_usable(tmp_path: Path) -> None:
    model = pm.segfault_model(tmp_path)
    demo = ROOT / "resources" / "models" / "oscillator.keras"
    report = _run(f"""
        import numpy as np
        session.models.start({str(model)!r})
        until(lambda: state.result is not None)          # a cold point computes
        first = state.result
        hot = np.array({pm.HOT_POINT.tolist()!r})
        state.point.set("x", hot)                        # the point the user typed
        until(lambda: "crashed" in state.last_error)     # the engine died computing it
        crash = state.last_error
        kept = (state.result is first, state.point.value("x").tolist(), state.model_path)
        session.models.open({str(demo)!r})               # the window goes on working
        until(lambda: state.result is not None and state.result.shape == (20, 5))
        finish({{"crash": crash, "kept_result": kept[0], "kept_point": kept[1],
                 "kept_model": kept[2], "after": list(state.result.shape),
                 "suggested": session.window.banner_action.text()}})
    """, tmp_path)
    assert report["crash"].startswith("the engine crashed while computing")
    assert "SIGSEGV" in report["crash"] and "restarted" in report["crash"]
    assert report["kept_result"] and report["kept_point"] == pm.HOT_POINT.tolist()
    assert report["kept_model"].endswith("segfault.py")
    assert report["suggested"] == "Use fd-central"
    assert report["after"] == [20, 5]


def test_cancel_stops_an_endless_savedmodel_within_2_s(tmp_path: Path) -> None:
    endless = pm.endless_savedmodel(tmp_path)
    report = _run(f"""
        from pathlib import Path
        def cpu(pid):
            fields = Path(f"/proc/{{pid}}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        session.models.start({str(endless)!r})
        until(lambda: state.model is not None and state.job.busy)
        engine = link.client.pid
        start = cpu(engine)
        until(lambda: cpu(engine) - start > 0.5)          # looping inside the graph
        began = time.monotonic()
        session.jacobian.cancel()                         # the window's Cancel
        until(lambda: not state.job.busy, seconds=30)
        elapsed = time.monotonic() - began
        session.models.open(str(Path({str(ROOT)!r}) / "resources" / "models" / "borehole.keras"))
        until(lambda: state.result is not None)
        finish({{"elapsed": elapsed, "outcome": "cancelled", "after": list(state.result.shape),
                 "restarted": link.client.pid != engine}})
    """, tmp_path)
    assert report["elapsed"] <= 2.0, report
    assert report["restarted"] and report["after"] == [1, 8]


@pytest.fixture(autouse=True)
def _linux_only() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc")
