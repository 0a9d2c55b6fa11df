"""The worker thread and its controller: results, cancelling, stale results, coalescing and a
responsive GUI thread while a Jacobian runs."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QElapsedTimer, QTimer

from jacgui.core.job import JacobianJob, JacobianOptions

from .conftest import MEDIUM_OPTIONS, SLOW_OPTIONS, FakeBackend

LONG = 60000  # ms; generous so a loaded CI machine does not flake


def load(qtbot: Any, controller: Any, path: str) -> Any:
    with qtbot.waitSignal(controller.model_loaded, timeout=LONG) as blocker:
        controller.open_model(path)
    return blocker.args[0]


def job(model: Any, x: np.ndarray | None = None, options: JacobianOptions = JacobianOptions(),
        method: str = "auto") -> JacobianJob:
    point = {"x": model.default_point["x"] if x is None else x}
    return JacobianJob(model, point, method, "x", "y", options)


def test_result_matches_the_engine(qtbot: Any, controller: Any) -> None:
    model = load(qtbot, controller, "small.keras")
    x = np.array([0.1, -0.2, 0.3, 0.4], dtype="float32")
    with qtbot.waitSignal(controller.result_ready, timeout=LONG) as blocker:
        controller.submit(job(model, x, method="fd-central"))
    fd = blocker.args[0]
    with qtbot.waitSignal(controller.result_ready, timeout=LONG) as blocker:
        controller.submit(job(model, x, method="reverse"))
    ad = blocker.args[0]
    assert fd.shape == ad.shape == (3, 4)
    np.testing.assert_allclose(ad.matrix, fd.matrix, rtol=1e-4, atol=1e-5)
    assert ad.job_id == controller.current_job_id


def test_model_load_failure_keeps_the_model(qtbot: Any, controller: Any) -> None:
    model = load(qtbot, controller, "small.keras")
    with qtbot.waitSignal(controller.model_failed, timeout=LONG) as blocker:
        controller.open_model("broken.keras")
    path, message, needs_trust = blocker.args
    assert path == "broken.keras" and "not a zip file" in message and not needs_trust
    assert "\n" not in message
    assert controller.model is model


def test_cancel_long_run_emits_cancelled_and_no_result(qtbot: Any, controller: Any) -> None:
    model = load(qtbot, controller, "slow.keras")
    with qtbot.waitSignal(controller.progress, timeout=LONG, check_params_cb=lambda d, t: d >= 1):
        controller.submit(job(model, options=SLOW_OPTIONS))
    assert controller.is_busy
    timer = QElapsedTimer()
    with qtbot.assertNotEmitted(controller.result_ready, wait=200):
        with qtbot.waitSignal(controller.cancelled, timeout=LONG):
            timer.start()
            controller.cancel()
        # Cancel is checked between chunks; a chunk of the slow model is well under a second.
        assert timer.elapsed() < 2000
    assert not controller.is_busy


def test_stale_result_is_dropped(qtbot: Any, controller: Any) -> None:
    """Job A ignores cancelling (like a single uncancellable chunk); its late result is dropped."""
    model = load(qtbot, controller, "medium.keras")
    backend: FakeBackend = controller._worker._backend
    original = backend.run_job
    backend.run_job = lambda j, progress, cancel: original(j, progress, type(cancel)())  # type: ignore[method-assign]
    try:
        with qtbot.waitSignal(controller.progress, timeout=LONG):
            job_a = controller.submit(job(model, options=MEDIUM_OPTIONS))
        job_b = controller.submit(job(model, np.zeros(512, dtype="float32"), MEDIUM_OPTIONS))
        shown = []
        controller.result_ready.connect(shown.append)
        qtbot.waitUntil(lambda: len(shown) == 1, timeout=LONG)
    finally:
        backend.run_job = original  # type: ignore[method-assign]
    assert job_a != job_b
    assert controller.dropped_results == 1
    assert shown[0].job_id == job_b
    np.testing.assert_array_equal(shown[0].point, np.zeros(512))


def test_requests_coalesce(qtbot: Any, controller: Any) -> None:
    model = load(qtbot, controller, "medium.keras")
    backend: FakeBackend = controller._worker._backend
    ran: list[int] = []
    original = backend.run_job

    def counting(j: JacobianJob, progress: Any, cancel: Any) -> Any:
        ran.append(j.job_id)
        return original(j, progress, cancel)

    backend.run_job = counting  # type: ignore[method-assign]
    try:
        with qtbot.waitSignal(controller.progress, timeout=LONG):
            first = controller.submit(job(model, options=MEDIUM_OPTIONS))
        ids = [controller.submit(job(model, np.full(512, v, "float32"), MEDIUM_OPTIONS))
               for v in (0.1, 0.2, 0.3, 0.4)]
        with qtbot.waitSignal(controller.result_ready, timeout=LONG) as blocker:
            pass
    finally:
        backend.run_job = original  # type: ignore[method-assign]
    assert blocker.args[0].job_id == ids[-1]
    assert ran == [first, ids[-1]]  # the three in between never ran


def test_gui_thread_stays_responsive(qtbot: Any, controller: Any) -> None:
    """A 10 ms timer on the GUI thread is never more than 100 ms late during a long Jacobian.

    The run (first call: tracing, then about 90 chunks) takes several seconds; the timer is
    watched for the first 2.5 s of it, then the run is cancelled to keep the suite quick.
    """
    model = load(qtbot, controller, "slow.keras")
    gaps: list[float] = []
    last = [0.0]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    with qtbot.assertNotEmitted(controller.result_ready):
        last[0] = time.perf_counter()
        timer.start()
        controller.submit(job(model, np.full(1024, 0.25, "float32"), SLOW_OPTIONS))
        qtbot.wait(2500)
        timer.stop()
        assert controller.is_busy, "the Jacobian finished too soon to measure latency"
        with qtbot.waitSignal(controller.cancelled, timeout=LONG):
            controller.cancel()
    assert len(gaps) > 100
    assert max(gaps) < 0.110, f"GUI thread stalled for {max(gaps) * 1000:.0f} ms"


def test_cancelled_job_in_mailbox_never_runs(qtbot: Any, controller: Any) -> None:
    model = load(qtbot, controller, "small.keras")
    controller.submit(job(model))
    controller.cancel()
    with qtbot.waitSignal(controller.cancelled, timeout=LONG):
        pass


@pytest.mark.parametrize("method", ["forward", "fd-forward"])
def test_progress_reports_chunks(qtbot: Any, controller: Any, method: str) -> None:
    model = load(qtbot, controller, "small.keras")
    seen: list[tuple[int, int]] = []
    controller.progress.connect(lambda d, t: seen.append((d, t)))
    with qtbot.waitSignal(controller.result_ready, timeout=LONG) as blocker:
        controller.submit(job(model, method=method))
    assert blocker.args[0].method == method
    assert seen and seen[-1][0] == seen[-1][1]
