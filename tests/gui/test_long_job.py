"""A Jacobian estimated to take long is stopped after its second chunk and the user is asked.

The limit is lowered to zero (any estimate is "long") and the engine holds the job after a
chunk, so the question is asked while the job surely runs, whatever the machine's speed. The
scripted dialogs answer and remember the questions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import jacgui.gui.compute_panel
import jacgui.gui.jacobian_flow

from .conftest import MEDIUM_BUDGET
from .window_driver import LONG, Events, compute_panel, start, wait_result


@pytest.fixture
def window(qtbot: Any, make_session: Any, engine: Any) -> Any:
    """The medium model (about 30 chunks per Jacobian) computed once at its default point."""
    session = make_session(engine, memory_budget=MEDIUM_BUDGET)
    start(qtbot, session, "medium.keras")
    return session


@pytest.fixture
def every_job_is_long(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jacgui.gui.jacobian_flow, "LONG_JOB_SECONDS", 0.0)


def jacobians(engine: Any) -> list[dict[str, Any]]:
    return [args for op, args in engine.received if op == "jacobian"]


def test_yes_runs_the_job_again_confirmed_and_asks_nothing_more(
        qtbot: Any, window: Any, engine: Any, every_job_is_long: None) -> None:
    dialogs, state = window.dialogs, window.state
    dialogs.confirm_answer = True
    submitted = len(jacobians(engine))
    dropped = window.runner.dropped
    engine.hold_after_chunk = 2
    state.point.set("x", np.full(512, 0.25))
    result = wait_result(qtbot, window, window.jacobian.compute_now)
    assert len(dialogs.confirm_questions) == 1
    question = dialogs.confirm_questions[0]
    assert question.startswith("auto on this model will take about ")
    assert question.endswith("chunks). Go on?") and "\n" not in question
    # The first job was stopped (its answer superseded) and run again, confirmed: the rerun
    # reported every chunk with an estimate above the limit and was not stopped.
    runs = jacobians(engine)[submitted:]
    assert len(runs) == 2 and window.runner.dropped == dropped + 1
    np.testing.assert_array_equal(runs[1]["point"]["x"], np.full(512, 0.25))
    assert state.result_request.confirmed and result.chunks > 2
    np.testing.assert_array_equal(result.point, np.full(512, 0.25))
    assert state.job.outcome == "done"
    # A new point of the job the user agreed to wait for is not asked about again.
    state.point.set("x", np.full(512, 0.5))
    result = wait_result(qtbot, window, window.jacobian.compute_now)
    assert len(dialogs.confirm_questions) == 1 and state.result_request.confirmed
    np.testing.assert_array_equal(result.point, np.full(512, 0.5))
    # Another method is another wait: asked again.
    state.set_method("fd-central")
    wait_result(qtbot, window, window.jacobian.compute_now)
    assert len(dialogs.confirm_questions) == 2


def test_no_keeps_the_previous_result_and_asks_once(qtbot: Any, window: Any, engine: Any,
                                                     every_job_is_long: None) -> None:
    dialogs, state = window.dialogs, window.state
    dialogs.confirm_answer = False
    previous = state.result
    events = Events(window)
    # The engine reports three chunks and holds before the window reads any of them: the
    # third estimate is still waiting when the second one asks, and must not ask again.
    engine.hold_after_chunk = 3
    state.point.set("x", np.full(512, 0.25))
    window.jacobian.compute_now()
    assert engine.holding.wait(LONG / 1000)
    kind, _ = events.next(qtbot, events.mark(), ("result", "failed", "cancelled"))
    assert kind == "cancelled"
    assert len(dialogs.confirm_questions) == 1
    assert state.result is previous and window.heatmap.result() is previous
    assert state.job.outcome == "cancelled" and not state.job.busy
    assert not window.runner.is_busy("jacobian")
    assert state.last_error == ""  # the user's own choice is not an error


def test_progress_bar_shows_chunks_and_time_left(qtbot: Any, window: Any, engine: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jacgui.gui.compute_panel, "ETA_SHOWN_SECONDS", 0.0)
    bar = compute_panel(window).progress
    engine.hold_after_chunk = 1
    window.jacobian.compute_now()
    qtbot.waitUntil(lambda: window.state.job.done == 1, timeout=LONG)
    job = window.state.job
    assert job.busy and job.total > 2 and job.eta_seconds is not None
    assert (bar.value(), bar.maximum()) == (1, job.total)
    assert bar.format().startswith("%v / %m chunks · ") and bar.format().endswith(" left")
    assert compute_panel(window).cancel_button.isEnabled()
    with qtbot.waitSignal(window.runner.cancelled, timeout=LONG):
        window.jacobian.cancel()
    assert bar.format() == "" and not compute_panel(window).cancel_button.isEnabled()
