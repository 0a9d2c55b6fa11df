"""Cancel, time limits and Ctrl-C: cooperative between chunks, else the engine is killed.

No test waits for a job to be slow: the gated model blocks until the test opens its gate, and
the endless SavedModel never returns. Elapsed times are bounded by the client's own cancel
grace (a designed deadline, 1 s here) plus a margin for the kill and thread scheduling.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from jacgui.core.errors import EngineTimeoutError, JacobianCancelled
from jacgui.core.job import CancelToken
from tests.process.conftest import HOT, WAIT_S, demo, wait_busy, wait_stuck

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: Beyond the grace: SIGKILL, reaping, and the monitor thread's 50 ms tick on a busy machine.
KILL_MARGIN = 1.0


def _started(client, op, args, **kwargs):
    """Submit and wait until the engine reports the job's first progress (it is running)."""
    started = threading.Event()
    totals: list[int] = []

    def progress(p):
        totals.append(p.total)
        started.set()

    job = client.submit(op, args, on_progress=progress, **kwargs)
    assert started.wait(WAIT_S), "the job never started"
    return job, totals


def test_cancel_stops_a_running_job_at_its_next_chunk(fresh_client, hostile):
    gate = hostile["gate"]
    gate.unlink(missing_ok=True)
    fresh_client.open_model(hostile["gated"], timeout=WAIT_S)
    pid = fresh_client.pid
    # Central differences one column per chunk: the job is blocked before its first chunk.
    job, totals = _started(fresh_client, "jacobian", {
        "point": HOT, "method": "fd-central", "memory_budget": 1024, "error_estimate": False})
    assert totals[0] > 1, "the job must have several chunks to be cancelled between them"
    wait_stuck(fresh_client)
    fresh_client.cancel(job.job_id)
    assert job.cancel_seen.wait(WAIT_S), "the engine never got the cancel"
    gate.touch()  # let the blocked chunk finish: the engine then sees the cancel
    with pytest.raises(JacobianCancelled):
        job.result(WAIT_S)
    assert fresh_client.pid == pid, "a cooperative cancel must not kill the engine"
    assert fresh_client.call("jacobian", {"point": HOT}, timeout=WAIT_S).shape == (1, 4)


def test_a_cancel_token_given_to_call_is_forwarded(fresh_client, hostile):
    # The gate stays shut: the job can only end because the token reached the client.
    hostile["gate"].unlink(missing_ok=True)
    fresh_client.open_model(hostile["gated"], timeout=WAIT_S)
    token = CancelToken()
    with pytest.raises(JacobianCancelled):
        fresh_client.call("jacobian", {"point": HOT, "method": "reverse"},
                          progress=lambda progress: token.cancel(), cancel=token,
                          timeout=WAIT_S)


def test_an_endless_graph_is_killed_within_the_grace_and_the_client_goes_on(window, endless):
    window.open_model(endless, timeout=WAIT_S)
    pid = window.pid
    job, _ = _started(window, "jacobian", {"method": "reverse"})
    wait_busy(window)  # past the last chunk boundary: only a kill can stop it now
    start = time.monotonic()
    window.cancel(job.job_id)
    with pytest.raises(JacobianCancelled, match="^cancelled; the engine was stopped to end it$"):
        job.result(WAIT_S)
    elapsed = time.monotonic() - start
    assert window.cancel_grace <= elapsed <= window.cancel_grace + KILL_MARGIN
    assert window.pid != pid
    info = window.open_model(demo(), timeout=WAIT_S)
    assert window.call("jacobian", {}, timeout=WAIT_S).shape == (info.output().size,
                                                                  info.input().size)


def test_a_time_limit_stops_an_endless_graph(fresh_client, endless):
    fresh_client.open_model(endless, timeout=WAIT_S)
    start = time.monotonic()
    with pytest.raises(EngineTimeoutError) as caught:
        fresh_client.call("jacobian", {"method": "reverse"}, timeout=1.0)
    assert str(caught.value) == "computing reverse mode did not finish within 1 s; stopped"
    # The limit counts from the job's start: 1 s, then the grace, then the kill.
    assert time.monotonic() - start <= 1.0 + fresh_client.cancel_grace + KILL_MARGIN


def _cli(*args, debug=False):
    env = dict(os.environ, JACGUI_DEBUG="1" if debug else "")
    return subprocess.Popen([sys.executable, "-m", "jacgui", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)


def test_ctrl_c_ends_the_cli_within_2_s_while_the_graph_loops(endless):
    proc = _cli("compute", str(endless), "--method", "reverse", debug=True)
    lines = []
    for line in proc.stderr:  # the engine's stderr, echoed in debug mode, says the job started
        lines.append(line)
        if "jacgui engine: job" in line and "computing" in line:
            break
    else:
        pytest.fail("the job never started:\n" + "".join(lines))
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    status = proc.wait(WAIT_S)
    elapsed = time.monotonic() - start
    rest = proc.stderr.read().strip().splitlines()
    assert status == 130
    assert elapsed <= 2.0, elapsed
    assert "jacgui: interrupted" in rest  # the engine's debug log may still trail it


def test_ctrl_c_during_start_up_is_one_line_and_exit_130(endless):
    proc = _cli("compute", str(endless), "--method", "reverse")
    deadline = time.monotonic() + WAIT_S
    while not _children(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.01)  # the engine process exists: interrupt whatever phase this is
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 130
    assert time.monotonic() - start <= 2.0
    assert err.strip() == "jacgui: interrupted" and out == ""


def test_cli_timeout_is_a_user_error(endless):
    proc = _cli("compute", str(endless), "--method", "reverse", "--timeout", "2")
    out, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 2
    assert err.strip() == ("jacgui: error: computing reverse mode did not finish within 2 s; "
                           "stopped")


def _children(pid: int) -> list[int]:
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as stream:
                found += [int(child) for child in stream.read().split()]
        except OSError:
            continue
    return found
