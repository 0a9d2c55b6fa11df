"""GUI responsiveness: live slider updates, 1000 x 1000 render time, event-loop latency.

Run:  QT_QPA_PLATFORM=offscreen python benchmarks/gui_bench.py [--only live|render|latency]

live     The real window on the bundled oscillator demo. The input slider is dragged through
         its real signals (``setSliderDown`` + ``setSliderPosition``, as QSlider's own mouse
         handling does) in ``--steps`` moves ``--move-ms`` apart; counts the Jacobians the
         heatmap displayed per second of drag, the requests that reached the worker, and the
         traces (``jacgui.core.autodiff.TRACE_COUNTS``) after the first result.
         Target: >= 10 updates/s, one cached Jacobian per update, no retrace.
render   ``HeatmapView.set_result`` of a fresh 1000 x 1000 result plus a synchronous repaint of
         the viewport (image, ticks, colour bar), median of 10. Target: < 50 ms.
latency  A 10 ms QTimer in the GUI thread while the worker computes a Jacobian of several
         seconds (a wide MLP under a small memory budget: many chunks). Reports the max and
         p99 gap between ticks. Target: max gap < 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _app():  # noqa: ANN202
    from jacgui.gui import app

    qapp = app.create_application()
    app.install_message_filter()
    return qapp


def wait_until(qapp, condition, timeout: float = 120.0) -> None:  # noqa: ANN001
    """Process events until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        qapp.processEvents()
        time.sleep(0.001)


def bench_live(steps: int, move_ms: float) -> dict:
    """Drag the first input's slider of the demo ``steps`` times; count displayed results."""
    from PySide6.QtCore import QTimer

    from jacgui.core.autodiff import TRACE_COUNTS
    from jacgui.gui.main_window import MainWindow
    from jacgui.gui.settings import Settings

    qapp = _app()
    folder = tempfile.mkdtemp()
    window = MainWindow(settings=Settings.in_file(Path(folder) / "jacgui.ini"))
    window.resize(1280, 800)
    window.show()
    shown: list[tuple[float, object]] = []
    window.controller.result_ready.connect(lambda r: shown.append((time.perf_counter(), r)))
    draw_ms: list[float] = []
    set_result = window.heatmap.set_result

    def timed_set_result(*args: object, **kwargs: object) -> None:
        t = time.perf_counter()
        set_result(*args, **kwargs)
        window.heatmap.graphics_view().viewport().repaint()
        draw_ms.append((time.perf_counter() - t) * 1000)

    window.heatmap.set_result = timed_set_result  # what the window calls for every result
    window.start(None)
    wait_until(qapp, lambda: bool(shown))
    # A second computation at another point: the cache is warm from here on.
    editor = window.point_editor
    editor.table.selectRow(1)
    wait_until(qapp, lambda: editor.slider.isEnabled())
    traces = dict(TRACE_COUNTS)
    requests_before = window.controller.current_job_id
    shown.clear()
    draw_ms.clear()

    slider = editor.slider
    positions = [500 + round(400 * np.sin(2 * np.pi * k / steps)) + k for k in range(1, steps + 1)]
    state = {"k": 0}
    timer = QTimer()
    timer.setInterval(round(move_ms))

    def move() -> None:
        k = state["k"]
        if k == 0:
            slider.setSliderDown(True)  # sliderPressed, as a mouse press on the handle
        if k < len(positions):
            slider.setSliderPosition(positions[k])  # sliderMoved + valueChanged, as a drag
            state["k"] += 1
        else:
            slider.setSliderDown(False)  # sliderReleased
            timer.stop()
            state["released"] = time.perf_counter()

    t0 = time.perf_counter()
    timer.timeout.connect(move)
    timer.start()
    wait_until(qapp, lambda: "released" in state)
    last_value = editor.values()[1]

    def final_shown() -> bool:
        return bool(shown) and not window.controller.is_busy and float(shown[-1][1].point[1]) == last_value

    wait_until(qapp, final_shown)
    t_end = shown[-1][0]
    during = [t for t, _ in shown if t <= state["released"]]
    window.close()
    return {
        "moves": steps,
        "drag_s": state["released"] - t0,
        "displayed": len(shown),
        "displayed_during_drag": len(during),
        "updates_per_s_during_drag": len(during) / (state["released"] - t0),
        "updates_per_s_incl_final": len(shown) / (t_end - t0),
        "jobs_submitted": window.controller.current_job_id - requests_before,
        "stale_dropped": window.controller.dropped_results,
        "jacobian_ms_median": 1000 * statistics.median(r.seconds for _, r in shown),
        "heatmap_ms_median": statistics.median(draw_ms),
        "final_matches_last_slider_value": float(shown[-1][1].point[1]) == last_value,
        "new_traces": {k: TRACE_COUNTS[k] - traces.get(k, 0) for k in TRACE_COUNTS
                       if TRACE_COUNTS[k] != traces.get(k, 0)},
    }


def bench_render(repeats: int = 10) -> dict:
    """``set_result`` + synchronous repaint of a 1000 x 1000 Jacobian."""
    sys.path.insert(0, str(ROOT / "tests" / "gui"))
    from test_heatmap import make_result

    from jacgui.gui.heatmap import HeatmapView

    qapp = _app()
    view = HeatmapView()
    view.resize(900, 700)
    view.show()
    rng = np.random.default_rng(0)
    results = [make_result(rng.normal(size=(1000, 1000))) for _ in range(repeats + 1)]
    viewport = view.graphics_view().viewport()
    times, first = [], None
    for i, result in enumerate(results):
        qapp.processEvents()
        t = time.perf_counter()
        view.set_result(result)
        viewport.repaint()
        dt = (time.perf_counter() - t) * 1000
        if i == 0:
            first = dt  # new labels, new layout: the first result of a model
        else:
            times.append(dt)
    view.close()
    return {"first_ms": first, "median_ms": statistics.median(times), "max_ms": max(times)}


def bench_latency(seconds_wanted: float = 5.0) -> dict:
    """Max and p99 gap of a 10 ms GUI timer while the worker runs a long chunked Jacobian."""
    sys.path.insert(0, str(ROOT / "tests" / "gui"))
    from conftest import FakeBackend, make_mlp
    from PySide6.QtCore import QTimer

    from jacgui.core.job import JacobianJob, JacobianOptions
    from jacgui.gui.controller import Controller

    qapp = _app()
    model = make_mlp("slow", [1024, 4096, 4096, 4096, 1024], seed=2)
    controller = Controller(FakeBackend({}))
    controller.start()
    ready: list = []
    controller.tf_ready.connect(ready.append)
    wait_until(qapp, lambda: bool(ready))
    done: list = []
    controller.result_ready.connect(done.append)
    options = JacobianOptions(memory_budget=8 << 20)
    point = {"x": np.full(1024, 0.5, dtype="float32")}
    controller.submit(JacobianJob(model=model, point=point, method="reverse", options=options))
    wait_until(qapp, lambda: bool(done))  # warm: trace once, as the app does on the first point
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    done.clear()
    timer.start()
    t0 = time.perf_counter()
    controller.submit(JacobianJob(model=model, point={"x": point["x"] * 0.9}, method="reverse",
                                  options=options))
    wait_until(qapp, lambda: bool(done))
    job_s = time.perf_counter() - t0
    timer.stop()
    controller.shutdown()
    gaps = np.diff(ticks) * 1000
    return {"job_s": job_s, "chunks": done[0].chunks, "ticks": len(ticks),
            "max_gap_ms": float(gaps.max()), "p99_gap_ms": float(np.percentile(gaps, 99)),
            "median_gap_ms": float(np.median(gaps))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("live", "render", "latency"))
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--move-ms", type=float, default=20.0, help="time between slider moves")
    args = parser.parse_args()
    if args.only in (None, "render"):
        r = bench_render()
        print(f"render 1000x1000 (set_result + repaint): median {r['median_ms']:.1f} ms, "
              f"max {r['max_ms']:.1f} ms, first {r['first_ms']:.1f} ms   (target < 50 ms)", flush=True)
    if args.only in (None, "live"):
        r = bench_live(args.steps, args.move_ms)
        print(f"live: {r['moves']} slider moves over {r['drag_s']:.2f} s -> "
              f"{r['displayed_during_drag']} heatmaps during the drag = "
              f"{r['updates_per_s_during_drag']:.1f} updates/s (target >= 10); "
              f"{r['displayed']} in all incl. the final one ({r['updates_per_s_incl_final']:.1f}/s); "
              f"{r['jobs_submitted']} jobs submitted, {r['stale_dropped']} stale results dropped; "
              f"median Jacobian {r['jacobian_ms_median']:.1f} ms (worker), heatmap set_result + "
              f"repaint {r['heatmap_ms_median']:.1f} ms (GUI); "
              f"final shows last slider value: {r['final_matches_last_slider_value']}; "
              f"new traces: {r['new_traces'] or 'none'}", flush=True)
    if args.only in (None, "latency"):
        r = bench_latency()
        print(f"event loop during a {r['job_s']:.1f} s Jacobian ({r['chunks']} chunks): "
              f"10 ms timer max gap {r['max_gap_ms']:.1f} ms, p99 {r['p99_gap_ms']:.1f} ms, "
              f"median {r['median_gap_ms']:.1f} ms   (target max < 50 ms)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
