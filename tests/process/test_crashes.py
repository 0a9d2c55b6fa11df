"""A model that kills its engine leaves the caller alive: one clear line, a restart, work goes on.

The models die only when computing at a hot point (see :mod:`tests.process.models`), so each
test proves both sides: the job that killed the engine fails with the crash line, and the same
client computes right after on the reloaded model (at a harmless point) and on the demo.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

from jacgui.core.errors import EngineCrashedError, JacobianCancelled, ModelLoadError
from jacgui.core.process.client import EngineClient
from tests.process.conftest import COLD, HOT, WAIT_S, demo, wait_stuck

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _one_line(text: str) -> None:
    assert text and "\n" not in text and len(text) < 300, text


def _cold_jacobian_is_right(client: EngineClient) -> None:
    """The reloaded model computes: f = sum(x^2), so J = 2x (exact in float32 for these x)."""
    result = client.call("jacobian", {"point": COLD, "method": "reverse"}, timeout=WAIT_S)
    np.testing.assert_array_equal(result.matrix, 2 * COLD["x"][None, :])


def test_segfault_while_computing_is_contained_and_the_client_goes_on(window, hostile):
    window.open_model(hostile["segfault"], timeout=WAIT_S)
    first_pid = window.pid
    with pytest.raises(EngineCrashedError) as caught:
        window.call("jacobian", {"point": HOT, "method": "reverse"}, timeout=WAIT_S)
    message = str(caught.value)
    _one_line(message)
    assert message == "the engine crashed while computing reverse mode (SIGSEGV); restarted"
    assert caught.value.restarted and caught.value.cause == "SIGSEGV"
    assert window.pid != first_pid  # a fresh engine holds the model again
    _cold_jacobian_is_right(window)
    info = window.open_model(demo(), timeout=WAIT_S)
    result = window.call("jacobian", {}, timeout=WAIT_S)
    assert result.shape == (info.output().size, info.input().size)
    assert np.all(np.isfinite(result.matrix))


def test_exit_in_the_middle_of_a_job_is_a_crash_with_its_status(window, hostile):
    window.open_model(hostile["exit"], timeout=WAIT_S)
    with pytest.raises(EngineCrashedError) as caught:
        window.call("jacobian", {"point": HOT, "method": "fd-central"}, timeout=WAIT_S)
    assert str(caught.value) == ("the engine crashed while computing central differences "
                                 "(exit status 7); restarted")
    _cold_jacobian_is_right(window)


def test_sigkill_from_outside_fails_the_running_job_and_the_queued_one(window, hostile):
    gate = hostile["gate"]
    gate.unlink(missing_ok=True)
    window.open_model(hostile["gated"], timeout=WAIT_S)
    started = threading.Event()
    running = window.submit("jacobian", {"point": HOT, "method": "reverse"},
                            on_progress=lambda progress: started.set())
    queued = window.submit("jacobian", {"point": COLD})
    assert started.wait(WAIT_S), "the gated job never started"
    wait_stuck(window)
    os.kill(window.pid, signal.SIGKILL)
    with pytest.raises(EngineCrashedError, match=r"^the engine crashed while computing reverse "
                                                 r"mode \(SIGKILL\); restarted$"):
        running.result(WAIT_S)
    with pytest.raises(EngineCrashedError, match=r"^not run: the engine crashed while "
                                                 r"computing reverse mode \(SIGKILL\)"):
        queued.result(WAIT_S)
    _cold_jacobian_is_right(window)


def test_a_load_that_fails_keeps_the_previous_model(window, tmp_path):
    info = window.open_model(demo("borehole"), timeout=WAIT_S)
    broken = tmp_path / "broken.keras"
    broken.write_bytes(os.urandom(256))
    with pytest.raises(ModelLoadError, match="broken.keras"):
        window.open_model(broken, timeout=WAIT_S)
    assert window.model is not None and window.model.path == info.path
    assert window.call("jacobian", {}, timeout=WAIT_S).shape == (1, 8)


def test_a_newer_open_supersedes_one_in_flight(window):
    older = window.submit_open(demo("borehole"))
    newer = window.submit_open(demo("oscillator"))
    with pytest.raises(JacobianCancelled, match="superseded"):
        older.result(WAIT_S)
    assert newer.result(WAIT_S).path == str(demo("oscillator"))
    assert window.model.path == str(demo("oscillator"))


def test_the_command_line_exits_2_with_the_crash_line(hostile, hot_point_file):
    proc = subprocess.run(
        [sys.executable, "-m", "jacgui", "compute", str(hostile["segfault"]), "--point",
         str(hot_point_file), "--method", "reverse"],
        capture_output=True, text=True, timeout=WAIT_S, cwd=ROOT)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == ("jacgui: error: the engine crashed while computing reverse "
                                   "mode (SIGSEGV)")
    assert proc.stdout == ""
