"""The job runner and the Jacobian flow: results, cancelling, stale answers, coalescing, and a
responsive GUI thread while a Jacobian runs.

Nothing here hopes that a job is slow or fast: the engine is held before a job starts
(``engine.gate``) or in its middle (``engine.hold_after_chunk``) while the test looks.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from .conftest import MEDIUM_BUDGET, SMALL, mlp_jacobian
from .window_driver import LONG, Events, choose_method, start, wait_result


@pytest.fixture
def medium(make_session: Any, engine: Any) -> Any:
    """A window whose Jacobians of the medium model take about 30 chunks."""
    return make_session(engine, memory_budget=MEDIUM_BUDGET)


def jacobian_ops(engine: Any) -> list[str]:
    return [op for op in engine.ops if op == "jacobian"]


def test_result_matches_the_analytic_jacobian(qtbot: Any, session: Any) -> None:
    start(qtbot, session, "small.keras")
    x = np.array([0.1, -0.2, 0.3, 0.4])
    session.state.point.set("x", x)
    fd = wait_result(qtbot, session, lambda: choose_method(session, "fd-central"))
    ad = wait_result(qtbot, session, lambda: choose_method(session, "reverse"))
    truth = mlp_jacobian(SMALL, 0, x)
    assert fd.shape == ad.shape == truth.shape == (3, 4)
    assert fd.method == "fd-central" and ad.method == "reverse"
    np.testing.assert_allclose(ad.point, x, rtol=1e-7)
    # Reverse mode in float32 through two tanh layers: a few ulps of float32 (1.2e-7).
    np.testing.assert_allclose(ad.matrix, truth, rtol=1e-5, atol=1e-6)
    # Float32 central differences: about 1e-3 relative at best (stack-facts §1).
    np.testing.assert_allclose(fd.matrix, truth, rtol=1e-3, atol=1e-4)
    assert session.state.result_request.method == "reverse"  # the newest request was shown


def test_model_load_failure_keeps_the_model(qtbot: Any, session: Any) -> None:
    start(qtbot, session, "small.keras")
    model = session.state.model
    with qtbot.waitSignal(session.runner.model_failed, timeout=LONG) as blocker:
        session.runner.open_model("broken.keras")
    path, message, needs_trust = blocker.args
    assert path == "broken.keras" and "not a zip file" in message and not needs_trust
    assert "\n" not in message
    assert session.state.model is model


def test_cancel_stops_at_the_next_chunk_and_shows_no_result(qtbot: Any, medium: Any,
                                                            engine: Any) -> None:
    session, state = medium, medium.state
    start(qtbot, session, "medium.keras")
    shown = state.result
    chunks: list[int] = []
    session.runner.progress.connect(lambda kind, done, _total: chunks.append(done))
    engine.hold_after_chunk = 1
    session.jacobian.compute_now()
    qtbot.waitUntil(engine.holding.is_set, timeout=LONG)
    assert session.runner.is_busy("jacobian") and state.job.busy
    with qtbot.assertNotEmitted(state.result_changed, wait=200):
        with qtbot.waitSignal(session.runner.cancelled, timeout=LONG):
            session.actions.cancel.trigger()  # Esc
    # The cancel token is checked between chunks: the job stopped right after chunk 1.
    assert max(chunks) == 1
    assert not session.runner.is_busy("jacobian")
    assert state.job.outcome == "cancelled" and not state.job.busy
    assert state.result is shown and session.heatmap.result() is shown


def test_stale_result_is_dropped(qtbot: Any, session: Any, engine: Any) -> None:
    """Job A ignores cancelling (like a single uncancellable chunk); its late answer is dropped."""
    start(qtbot, session, "small.keras")
    events = Events(session)
    ran = len(jacobian_ops(engine))
    engine.cancel = lambda job_id: None  # nothing stops a running chunk
    engine.gate = threading.Event()  # both jobs wait until both are submitted
    session.state.point.set("x", np.full(4, 0.25))
    session.jacobian.compute_now()  # A
    session.state.point.set("x", np.zeros(4))
    session.jacobian.compute_now()  # B
    dropped = session.runner.dropped
    engine.gate.set()
    qtbot.waitUntil(lambda: not session.runner.is_busy("jacobian"), timeout=LONG)
    qtbot.waitUntil(lambda: session.runner.dropped == dropped + 1, timeout=LONG)
    assert len(jacobian_ops(engine)) == ran + 2  # A ran to the end, and was not shown
    shown = events.of("result")
    assert len(shown) == 1
    np.testing.assert_array_equal(shown[0].point, np.zeros(4))
    assert session.state.result is shown[0]


def test_requests_coalesce(qtbot: Any, medium: Any, engine: Any) -> None:
    """While a job runs, four newer requests come in: only the newest of them runs."""
    session = medium
    start(qtbot, session, "medium.keras")
    events = Events(session)
    ran = len(jacobian_ops(engine))
    engine.hold_after_chunk = 1
    session.jacobian.compute_now()
    qtbot.waitUntil(engine.holding.is_set, timeout=LONG)
    dropped = session.runner.dropped
    for value in (0.1, 0.2, 0.3, 0.4):
        session.state.point.set("x", np.full(512, value))
        session.jacobian.compute_now()
    result = events.next(qtbot, events.mark(), ("result",))[1]
    np.testing.assert_array_equal(result.point, np.full(512, 0.4))
    qtbot.waitUntil(lambda: session.runner.dropped == dropped + 4, timeout=LONG)
    # The held job and the newest ran; the three in between never ran.
    assert len(jacobian_ops(engine)) == ran + 2
    assert events.of("result") == [result]


def test_typed_edits_in_quick_succession_make_one_job(qtbot: Any, session: Any,
                                                      engine: Any) -> None:
    start(qtbot, session, "small.keras")
    submitted = len(engine.received)
    point = session.state.point
    # Three edits before the event loop runs again: the debounce folds them into one job.
    point.set_element("x", 0, 1.0)
    point.set_element("x", 1, 2.0)
    point.set_element("x", 2, 3.0)
    result = wait_result(qtbot, session)
    assert result.point.tolist() == [1.0, 2.0, 3.0, 0.5]
    assert [op for op, _ in engine.received[submitted:]] == ["jacobian"]


def test_newest_job_of_each_kind_wins(qtbot: Any, session: Any, engine: Any) -> None:
    """A newer job cancels the older one of its kind only, never a job of another kind."""
    start(qtbot, session, "small.keras")
    runner = session.runner
    args = dict(engine.received[-1][1])
    answers: list[tuple[str, str]] = []
    runner.finished.connect(lambda kind, _value, context: answers.append((kind, context)))
    runner.cancelled.connect(lambda kind: answers.append((kind, "cancelled")))
    dropped = runner.dropped
    engine.gate = threading.Event()
    runner.submit("first", "jacobian", args, "old")
    runner.submit("second", "jacobian", args, "other kind")
    runner.submit("first", "jacobian", args, "new")
    engine.gate.set()
    qtbot.waitUntil(lambda: len(answers) == 2, timeout=LONG)
    assert sorted(answers) == [("first", "new"), ("second", "other kind")]
    assert runner.dropped == dropped + 1  # the old "first" answered "cancelled", unseen


def test_gui_thread_stays_responsive(qtbot: Any, medium: Any, engine: Any) -> None:
    """A 10 ms timer on the GUI thread is never more than 100 ms late while a Jacobian runs.

    The engine holds the job after its first chunk (traced, started, progress reported), so
    the job is in flight for the whole measurement however fast this machine is; the timer is
    watched for 100 ticks (a second). The GUI thread's latency while TensorFlow computes in
    the same process is measured, as numbers, by ``benchmarks/gui_bench.py --only latency``.
    """
    session = medium
    start(qtbot, session, "medium.keras")
    gaps: list[float] = []
    last = [0.0]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    engine.hold_after_chunk = 1
    with qtbot.assertNotEmitted(session.state.result_changed):
        session.state.point.set("x", np.full(512, 0.25))
        session.jacobian.compute_now()
        qtbot.waitUntil(engine.holding.is_set, timeout=LONG)
        last[0] = time.perf_counter()
        timer.start()
        qtbot.waitUntil(lambda: len(gaps) > 100, timeout=LONG)
        timer.stop()
        assert session.runner.is_busy("jacobian") and engine.holding.is_set()
        assert session.state.job.busy and session.state.job.done == 1
        with qtbot.waitSignal(session.runner.cancelled, timeout=LONG):
            session.jacobian.cancel()
    assert max(gaps) < 0.110, f"GUI thread stalled for {max(gaps) * 1000:.0f} ms"


def test_cancelled_job_waiting_in_the_queue_never_runs(qtbot: Any, session: Any,
                                                       engine: Any) -> None:
    start(qtbot, session, "small.keras")
    ran = list(engine.ops)
    engine.gate = threading.Event()  # the job waits in the engine, not started
    session.jacobian.compute_now()
    session.jacobian.cancel()
    with qtbot.waitSignal(session.runner.cancelled, timeout=LONG):
        engine.gate.set()
    assert engine.ops == ran  # it never ran
    assert session.state.job.outcome == "cancelled"


@pytest.mark.parametrize("method", ["forward", "fd-forward"])
def test_progress_reports_chunks(qtbot: Any, session: Any, method: str) -> None:
    start(qtbot, session, "small.keras")
    seen: list[tuple[int, int]] = []
    jobs: list[tuple[int, int]] = []
    session.runner.progress.connect(lambda _kind, d, t: seen.append((d, t)))
    session.state.job_changed.connect(
        lambda: jobs.append((session.state.job.done, session.state.job.total)))
    result = wait_result(qtbot, session, lambda: choose_method(session, method))
    assert result.method == method
    assert seen and seen[-1][0] == seen[-1][1]
    assert seen[-1] in jobs  # the state followed the chunks
    assert session.state.job.outcome == "done"
