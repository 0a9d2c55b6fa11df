"""The client's contract beyond crashes: start-up, the warm spare, misuse, a broken engine."""

from __future__ import annotations

import os
import threading
import time

import pytest

from jacgui.core.errors import EngineInternalError, JacguiError, ModelLoadError
from jacgui.core.process.client import EngineClient
from tests.process.conftest import WAIT_S, demo


def test_start_reports_the_engine_once_it_has_imported_tensorflow():
    answers = []
    done = threading.Event()
    with EngineClient() as client:
        client.start(lambda status, error: (answers.append((status, error)), done.set()))
        assert done.wait(WAIT_S)
        (status, error), = answers
        assert error is None and status.tensorflow.startswith("2.")
        assert status.sandbox.startswith(("Landlock ABI", "no sandbox:"))
        assert client.wait_ready(WAIT_S) == status


def test_the_next_model_opens_in_the_warm_spare(window):
    window.open_model(demo("borehole"), timeout=WAIT_S)
    deadline = time.monotonic() + WAIT_S
    while window.spare_pid is None and time.monotonic() < deadline:
        time.sleep(0.05)  # the spare starts once the client has been idle for a moment
    spare = window.spare_pid
    assert spare is not None and spare != window.pid
    window.open_model(demo("oscillator"), timeout=WAIT_S)
    assert window.pid == spare


def test_jobs_without_a_model_fail_through_their_callback():
    outcome = []
    with EngineClient(start=False) as client:
        job = client.submit("jacobian", {}, on_done=lambda value, error: outcome.append(error))
        assert isinstance(outcome[0], ModelLoadError) and job.done()
        with pytest.raises(ModelLoadError, match="no model is open"):
            job.result()


def test_misuse_is_refused_before_anything_is_sent():
    with EngineClient(start=False) as client:
        with pytest.raises(ValueError, match="unknown engine operation"):
            client.submit("exec", {})
        with pytest.raises(TypeError, match="cannot cross"):
            client.submit("jacobian", {"point": object()})
        with pytest.raises(JacguiError, match="positive number of seconds"):
            client.submit("jacobian", {}, timeout=0)
    with pytest.raises(RuntimeError, match="closed"):
        client.submit("jacobian", {})


def test_an_engine_that_cannot_start_is_an_internal_error(tmp_path, monkeypatch):
    fake = tmp_path / "tensorflow"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('broken tensorflow for this test')")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    with EngineClient() as client:
        with pytest.raises(EngineInternalError, match=r"^the engine failed to start \(exit "
                                                      r"status 1\): .*broken tensorflow"):
            client.wait_ready(WAIT_S)
        with pytest.raises(EngineInternalError, match="failed to start"):
            client.open_model(demo(), timeout=WAIT_S)


def test_jobs_queued_behind_a_failing_load_get_its_reason(tmp_path):
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip")
    with EngineClient() as client:
        load = client.submit_open(broken)
        queued = client.submit("jacobian", {})  # no model yet: it waits behind the load
        with pytest.raises(ModelLoadError, match="broken.keras"):
            load.result(WAIT_S)
        with pytest.raises(ModelLoadError, match="^no model is open: loading broken.keras"):
            queued.result(WAIT_S)


def test_a_memory_limit_too_small_for_tensorflow_is_refused():
    with EngineClient(start=False, memory_limit=256 << 20) as client:
        with pytest.raises(JacguiError, match="at least 1.0 GiB"):
            client.open_model(demo())


def test_closing_leaves_no_process_and_no_folder():
    client = EngineClient()
    pid = client.wait_ready(WAIT_S).pid
    folder = os.readlink(f"/proc/{pid}/cwd")  # the engine works in its private folder
    assert os.path.basename(folder).startswith("jacgui-engine-")
    client.close()
    assert not os.path.exists(f"/proc/{pid}"), "the engine was not reaped"
    assert not os.path.exists(folder)
