"""Live mode: dragging the input slider recomputes while it moves, coalescing stale states.

The slider is driven through its real signals, as QSlider's own mouse handling does it:
``setSliderDown(True)`` (sliderPressed), ``setSliderPosition`` (sliderMoved + valueChanged)
and ``setSliderDown(False)`` (sliderReleased). No timing is asserted; only which results the
window shows, how many jobs ran, and that no function was traced again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from jacgui.core.autodiff import TRACE_COUNTS

from .conftest import MEDIUM_OPTIONS, ScriptedDialogs

LONG = 60000


@pytest.fixture
def make_window(qtbot: Any, backend: Any, settings: Any) -> Any:
    from jacgui.gui.main_window import MainWindow

    made = []

    def make(options: Any = None) -> Any:
        win = MainWindow(settings=settings, backend=backend, dialogs=ScriptedDialogs(), options=options)
        qtbot.addWidget(win)
        win.show()
        made.append(win)
        return win

    yield make
    for win in made:
        win.close()


def open_and_compute(qtbot: Any, window: Any, model: str) -> Any:
    with qtbot.waitSignal(window.controller.result_ready, timeout=LONG) as blocker:
        window.start(model)
    return blocker.args[0]


class Display:
    """Records every result the window shows."""

    def __init__(self, window: Any) -> None:
        self.window = window
        self.results: list[Any] = []
        window.controller.result_ready.connect(self.results.append)

    def shows(self, row: int, value: float) -> bool:
        """Whether the heatmap shows the result at ``value`` and nothing more is coming."""
        shown = self.window.heatmap.result()
        controller = self.window.controller
        return (not (controller.is_busy or controller.live_pending) and shown is not None
                and float(shown.point[row]) == value)


def drag(qtbot: Any, window: Any, row: int, positions: list[int], settle_every: int = 0) -> float:
    """Drag the slider of ``row`` through ``positions``; returns the value it ends on.

    With ``settle_every`` > 0, wait (for events, not time) after every that many moves until
    the controller has started and finished the job they asked for, as a slow drag would.
    """
    editor = window.point_editor
    editor.table.selectRow(row)
    slider = editor.slider
    assert slider.isEnabled()
    slider.setSliderDown(True)
    for k, position in enumerate(positions, 1):
        slider.setSliderPosition(position)
        assert editor.is_live_change() is False  # only true while point_changed is emitted
        if settle_every and k % settle_every == 0:
            qtbot.waitUntil(lambda: not (window.controller.is_busy or window.controller.live_pending),
                            timeout=LONG)
    slider.setSliderDown(False)
    return float(editor.values()[row])


def test_drag_shows_the_last_value_and_never_retraces(qtbot: Any, make_window: Any) -> None:
    window = make_window()
    open_and_compute(qtbot, window, "small.keras")
    traces = TRACE_COUNTS.copy()
    display = Display(window)
    jobs_before = window.controller.current_job_id
    positions = [500 + round(300 * np.sin(k / 4)) + k for k in range(1, 41)]

    last = drag(qtbot, window, 1, positions, settle_every=4)
    qtbot.waitUntil(lambda: display.shows(1, last), timeout=LONG)

    requests = len(positions)
    jobs = window.controller.current_job_id - jobs_before
    assert requests // 4 <= jobs <= requests  # updated during the drag, not only after it
    assert len(display.results) <= jobs
    assert window.controller.dropped_results == 0  # a live job is never cancelled or thrown away
    assert float(display.results[-1].point[1]) == last
    assert np.array_equal(window.heatmap.matrix(), display.results[-1].matrix)
    assert TRACE_COUNTS == traces


def test_moves_during_a_slow_job_coalesce_into_one_job(qtbot: Any, make_window: Any) -> None:
    window = make_window(MEDIUM_OPTIONS)  # about 30 chunks per Jacobian
    open_and_compute(qtbot, window, "medium.keras")
    traces = TRACE_COUNTS.copy()
    display = Display(window)
    jobs_before = window.controller.current_job_id
    positions = list(range(520, 720, 10))

    # No event is processed between the moves: the first starts a job, the other 19 wait
    # for it and are folded into the one job that follows with the newest value.
    last = drag(qtbot, window, 3, positions)
    assert window.controller.current_job_id - jobs_before == 1
    qtbot.waitUntil(lambda: display.shows(3, last), timeout=LONG)

    assert window.controller.current_job_id - jobs_before == 2
    assert len(display.results) == 2
    assert float(display.results[0].point[3]) == window.point_editor.value_slider.value_at(positions[0])
    assert float(display.results[-1].point[3]) == last
    assert window.controller.dropped_results == 0
    assert TRACE_COUNTS == traces


def test_only_slider_moves_are_live(qtbot: Any, make_window: Any) -> None:
    """Typed values keep the debounce (they arrive in bursts); slider moves update live."""
    from .test_point_editor import type_into

    window = make_window()
    open_and_compute(qtbot, window, "small.keras")
    editor = window.point_editor
    seen: list[bool] = []
    editor.point_changed.connect(lambda _values: seen.append(editor.is_live_change()))
    type_into(qtbot, editor, 0, "0.25")
    drag(qtbot, window, 1, [600])
    editor.reset_point()
    assert seen == [False, True, False]
    display = Display(window)
    qtbot.waitUntil(lambda: display.shows(0, 0.5), timeout=LONG)  # the reset value, computed
