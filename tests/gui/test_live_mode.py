"""Live mode: dragging the input slider recomputes while it moves, coalescing stale states.

The slider is driven through its real signals, as QSlider's own mouse handling does it:
``setSliderDown(True)`` (sliderPressed), ``setSliderPosition`` (sliderMoved + valueChanged)
and ``setSliderDown(False)`` (sliderReleased). No timing is asserted; only which results the
window shows, how many jobs ran (and that none waited for another), and that no function was
traced again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jacgui.core.autodiff import TRACE_COUNTS

from .conftest import MEDIUM_BUDGET
from .window_driver import LONG, start, type_into


class Display:
    """Records every result the window shows, and every Jacobian job it starts."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.results: list[Any] = []
        self.jobs = 0
        state = session.state
        state.result_changed.connect(
            lambda: self.results.append(state.result) if state.result is not None else None)
        session.runner.started.connect(self._on_started)

    def _on_started(self, kind: str) -> None:
        if kind == "jacobian":
            self.jobs += 1

    def shows(self, row: int, value: float) -> bool:
        """Whether the heatmap shows the result at ``value`` and no job is running.

        A result at the slider's newest value means that no live edit still waits: the job
        that computed it started after the last move.
        """
        shown = self.session.heatmap.result()
        return (not self.session.runner.is_busy("jacobian") and shown is not None
                and float(shown.point[row]) == value)


def drag(qtbot: Any, session: Any, display: Display, row: int, positions: list[int],
         settle_every: int = 0) -> list[float]:
    """Drag the slider of ``row`` through ``positions``; returns the values it took.

    With ``settle_every`` > 0, wait (for events, not time) after every that many moves until
    the window shows the value the slider has, as a slow drag would.
    """
    editor = session.point_editor
    editor.table.selectRow(row)
    slider = editor.slider
    assert slider.isEnabled()
    values = []
    slider.setSliderDown(True)
    for k, position in enumerate(positions, 1):
        slider.setSliderPosition(position)
        values.append(float(editor.values()[row]))
        if settle_every and k % settle_every == 0:
            qtbot.waitUntil(lambda v=values[-1]: display.shows(row, v), timeout=LONG)
    slider.setSliderDown(False)
    return values


def test_drag_shows_results_while_dragging_in_order_and_never_retraces(
        qtbot: Any, session: Any, engine: Any) -> None:
    start(qtbot, session, "small.keras")
    traces = TRACE_COUNTS.copy()
    display = Display(session)
    dropped = session.runner.dropped
    submitted = len(engine.in_flight_at_submit)
    positions = [500 + round(300 * np.sin(k / 4)) + k for k in range(1, 41)]

    values = drag(qtbot, session, display, 1, positions, settle_every=4)
    shown_while_dragging = len(display.results)
    last = values[-1]
    qtbot.waitUntil(lambda: display.shows(1, last), timeout=LONG)

    requests = len(positions)
    assert requests // 4 <= display.jobs <= requests
    assert shown_while_dragging >= requests // 4  # updated during the drag, not only after it
    assert len(display.results) <= display.jobs
    # Jobs never pile up: each started when no other was in the engine.
    assert engine.in_flight_at_submit[submitted:] == [0] * display.jobs
    assert session.runner.dropped == dropped  # a live job is never cancelled or thrown away
    # No stale result: the values shown are values the slider took, in the order it took them.
    shown = [float(r.point[1]) for r in display.results]
    moves = iter(values)
    assert all(any(v == s for v in moves) for s in shown), (shown, values)
    assert float(display.results[-1].point[1]) == last
    assert np.array_equal(session.heatmap.matrix(), display.results[-1].matrix)
    assert TRACE_COUNTS == traces


def test_moves_during_a_slow_job_coalesce_into_one_job(qtbot: Any, make_session: Any,
                                                       engine: Any) -> None:
    session = make_session(engine, memory_budget=MEDIUM_BUDGET)  # about 30 chunks per Jacobian
    start(qtbot, session, "medium.keras")
    traces = TRACE_COUNTS.copy()
    display = Display(session)
    dropped = session.runner.dropped
    positions = list(range(520, 720, 10))

    # No event is processed between the moves: the first starts a job, the other 19 wait
    # for it and are folded into the one job that follows with the newest value.
    values = drag(qtbot, session, display, 3, positions)
    assert display.jobs == 1
    qtbot.waitUntil(lambda: display.shows(3, values[-1]), timeout=LONG)

    assert display.jobs == 2
    assert len(display.results) == 2
    assert float(display.results[0].point[3]) == values[0]
    assert values[0] == session.point_editor.value_slider.value_at(positions[0])
    assert float(display.results[-1].point[3]) == values[-1]
    assert session.runner.dropped == dropped
    assert TRACE_COUNTS == traces


def test_only_slider_moves_are_live(qtbot: Any, session: Any) -> None:
    """Typed values keep the debounce (they arrive in bursts); slider moves update live."""
    start(qtbot, session, "small.keras")
    display = Display(session)
    seen: list[bool] = []
    session.state.point.changed.connect(lambda _name, live: seen.append(live))
    type_into(qtbot, session.point_editor, 0, "0.25")
    drag(qtbot, session, display, 1, [600])
    session.point_editor.reset_action.trigger()
    assert seen == [False, True, False]
    qtbot.waitUntil(lambda: display.shows(0, 0.5), timeout=LONG)  # the reset value, computed
