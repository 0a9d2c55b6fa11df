"""Global sensitivity through the window: known answers on a linear model, cancel, close."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jacgui.gui.analysis.jobs import GlobalRequest

from .analysis_support import LONG, WEIGHTS, analysis_window, show_view, start  # noqa: F401

__all__ = ["analysis_window"]


def test_linear_model_mean_is_wt_and_std_is_zero(qtbot: Any, analysis_window: Any,
                                                 tmp_path: Path) -> None:
    session = analysis_window
    start(qtbot, session, "linear.keras")
    view = session.analysis.global_
    bounds = np.array([[-1.0, 1.0], [0.0, 2.0], [-3.0, -1.0]])
    request = GlobalRequest(bounds=bounds, n_samples=40, method="lhs", seed=3, batch_size=16)
    g = show_view(qtbot, session, view, lambda: view.start(request))
    assert view.state == "done" and g.n_samples == 40 and g.n_batches == 3
    np.testing.assert_allclose(g.mean, WEIGHTS.T, rtol=1e-6)
    np.testing.assert_allclose(g.std, 0.0, atol=1e-6)
    np.testing.assert_allclose(view.heatmap.matrix(), WEIGHTS.T, rtol=1e-6)  # "mean J" first
    view.aggregate.setCurrentIndex(view.aggregate.findData("std"))
    np.testing.assert_allclose(view.heatmap.matrix(), 0.0, atol=1e-6)
    view.aggregate.setCurrentIndex(view.aggregate.findData("share"))
    np.testing.assert_allclose(view.heatmap.matrix().sum(axis=1), 1.0)
    view.aggregate.setCurrentIndex(view.aggregate.findData("bound"))
    assert view.heatmap.matrix().shape == (2, 3)  # bounds given: the Sobol bound exists
    # The DGSM bars follow the selected output; nu = W^2 for a linear model.
    view.heatmap.select_cell(1, 0)
    np.testing.assert_allclose(view.dgsm.values, WEIGHTS.T[1] ** 2, rtol=1e-6)
    assert "N = <b>40</b>" in view.status.text()
    view.export_data(tmp_path / "global.csv")
    rows = list(csv.reader((tmp_path / "global.csv").open()))
    assert rows[0][:3] == ["output", "input", "mean"]
    assert float(rows[1][2]) == pytest.approx(WEIGHTS.T[0, 0], rel=1e-6)
    view.export_picture(tmp_path / "global.png")
    assert (tmp_path / "global.png").stat().st_size > 1000


def test_dialog_builds_the_request_and_reads_bounds(qtbot: Any, analysis_window: Any,
                                                    tmp_path: Path) -> None:
    session = analysis_window
    start(qtbot, session, "linear.keras")
    view = session.analysis.global_
    view.open_dialog()
    dialog = view.dialog
    assert dialog.isVisible() and dialog.table.rowCount() == 3
    (tmp_path / "b.csv").write_text("name,low,high\na [m],0,1\nb [s],1,2\nc [kg],2,3\n")
    assert dialog.load_bounds(str(tmp_path / "b.csv"))
    dialog.samples.setValue(12)
    dialog.method.setCurrentIndex(dialog.method.findData("uniform"))
    request = dialog.request()
    np.testing.assert_array_equal(request.bounds, [[0, 1], [1, 2], [2, 3]])
    assert (request.n_samples, request.method) == (12, "uniform")
    dialog.table.item(0, 1).setText("oops")
    dialog.accept()
    assert dialog.isVisible() and "a [m]" in dialog.error.text()
    # Points from a file.
    np.save(tmp_path / "pts.npy", np.random.default_rng(0).normal(size=(7, 3)))
    dialog.file_mode.setChecked(True)
    dialog.path.setText(str(tmp_path / "pts.npy"))
    with qtbot.waitSignal(view.analysis_ready, timeout=LONG) as blocker:
        dialog.accept()
    assert blocker.args[0].n_samples == 7
    np.testing.assert_allclose(blocker.args[0].mean, WEIGHTS.T, rtol=1e-6)


def test_cancel_mid_run_ends_cancelled(qtbot: Any, analysis_window: Any, engine: Any) -> None:
    session = analysis_window
    start(qtbot, session, "medium.keras")
    view = session.analysis.global_
    runner = session.runner
    session.window.tabs.setCurrentWidget(session.analysis)
    session.analysis.setCurrentWidget(view)
    request = GlobalRequest(bounds=np.tile([0.0, 1.0], (512, 1)), n_samples=4000, seed=0,
                            batch_size=8)
    engine.hold_after_chunk = 1  # the run waits after its first batch: surely mid-run
    with qtbot.waitSignal(runner.progress, timeout=LONG,
                          check_params_cb=lambda kind, done, total: done >= 1):
        view.start(request)
    qtbot.waitUntil(engine.holding.is_set, timeout=LONG)
    assert view.state == "running" and view.cancel_button.isEnabled()
    with qtbot.waitSignal(runner.cancelled, timeout=LONG):
        view.cancel_button.click()
    assert view.state == "cancelled"
    assert view.status.text().startswith("Cancelled after 1 of 500 batches")
    assert view.analysis() is None and not view.export_button.isEnabled()
    assert not view.cancel_button.isEnabled() and not view.bar.isVisible()


def test_closing_mid_run_cancels_the_analysis(qtbot: Any, analysis_window: Any,
                                              engine: Any) -> None:
    session = analysis_window
    start(qtbot, session, "medium.keras")
    view = session.analysis.global_
    request = GlobalRequest(bounds=np.tile([0.0, 1.0], (512, 1)), n_samples=40000,
                            batch_size=8)
    engine.hold_after_chunk = 1
    view.start(request)
    qtbot.waitUntil(engine.holding.is_set, timeout=LONG)
    session.window.close()  # shutdown cancels the job; the engine stops after the running batch
    assert not engine.is_alive()
