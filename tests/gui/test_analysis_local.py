"""Slice, principal directions, AD vs FD and the step sweep, run through the window's runner."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .analysis_support import DIAGONAL, LONG, analysis_window, show_view, start  # noqa: F401
from .window_driver import wait_result

__all__ = ["analysis_window"]


def test_slice_of_a_linear_model_is_its_tangent(qtbot: Any, analysis_window: Any,
                                                tmp_path: Path) -> None:
    session = analysis_window
    result = start(qtbot, session, "linear.keras")
    view = session.analysis.slice
    session.heatmap.select_cell(1, 2)
    s = show_view(qtbot, session, view)
    assert (s.row, s.col) == (1, 2) and view.picker.cell() == (1, 2)
    np.testing.assert_allclose(s.values, s.tangent, rtol=1e-12, atol=1e-12)
    assert s.derivative == pytest.approx(result.matrix[1, 2], rel=1e-6)
    assert s.whole_range and (s.t_minus, s.t_plus) == (s.t.min(), s.t.max())
    assert view.region.getRegion() == pytest.approx((s.x_j + s.t_minus, s.x_j + s.t_plus))
    assert "the whole range" in view.status.text()
    x, y = view.curve.getData()
    np.testing.assert_allclose(x, s.x_j + s.t)
    # A new range re-runs the slice (one batched model call in the core).
    with qtbot.waitSignal(view.analysis_ready, timeout=LONG) as blocker:
        view.half_range.setValue(7.0)
    assert blocker.args[0].t.max() == pytest.approx(7.0) and not view.auto_range.isChecked()
    view.export_data(tmp_path / "slice.json")
    doc = json.loads((tmp_path / "slice.json").read_text())
    assert doc["analysis"] == "slice" and doc["whole_range"] is True
    view.export_picture(tmp_path / "slice.png")
    assert (tmp_path / "slice.png").stat().st_size > 1000


def test_svd_of_a_diagonal_jacobian_and_moving_along_v1(qtbot: Any,
                                                         analysis_window: Any) -> None:
    session = analysis_window
    start(qtbot, session, "diagonal.keras")
    view = session.analysis.principal
    p = show_view(qtbot, session, view)
    np.testing.assert_allclose(p.singular_values, [3.0, 2.0, 0.5], rtol=1e-6)
    assert p.condition_number == pytest.approx(6.0, rel=1e-6)
    np.testing.assert_allclose(np.abs(p.input_directions[0]), [1, 0, 0], atol=1e-7)
    assert "<b>6</b>" in view.status.text()
    x, y = view.values_curve.getOriginalDataset()  # getData() is log10 on a log axis
    np.testing.assert_allclose(y, [3.0, 2.0, 0.5], rtol=1e-6)
    assert view.values_plot.getAxis("left").logMode
    np.testing.assert_allclose(view.inputs.values, p.input_directions[0])
    view.direction.setValue(2)
    np.testing.assert_allclose(view.outputs.values, p.output_directions[1])
    # Move the point by 0.5 along -v_1: the point editor changes and the Jacobian recomputes.
    view.sign.setCurrentIndex(view.sign.findData(-1.0))
    view.amount.setValue(0.5)
    expected = np.array([1.0, 1.0, 1.0]) - 0.5 * p.input_directions[1 - 1]
    view.direction.setValue(1)
    moved = wait_result(qtbot, session, view.move_button.click)
    np.testing.assert_allclose(session.point_editor.values(), expected)
    np.testing.assert_allclose(moved.point, expected, rtol=1e-6)
    np.testing.assert_allclose(np.diag(moved.matrix), DIAGONAL, rtol=1e-6)


def test_ad_and_fd_agree_on_a_smooth_model(qtbot: Any, analysis_window: Any,
                                          tmp_path: Path) -> None:
    session = analysis_window
    result = start(qtbot, session, "small.keras")
    view = session.analysis.agreement
    a = show_view(qtbot, session, view, view.run_button.click)
    assert a.ad.shape == result.shape
    np.testing.assert_array_equal(view.difference.matrix(), a.ad - a.fd)
    np.testing.assert_array_equal(view.error.matrix(), a.fd_error)
    assert a.fraction_agree == 1.0
    summary = view.summary.text()
    assert "100.0%" in summary and f"{a.max_abs:.3g}" in summary
    assert a.cell_name(a.max_abs_cell) in summary
    assert not view.cancel_button.isEnabled() and not view.bar.isVisible()
    # Clicking a cell of the difference map selects it in the main heatmap.
    with qtbot.waitSignal(session.heatmap.selection_changed):
        view.cell_clicked.emit(2, 3)
    assert session.heatmap.selected_cell() == (2, 3) and session.state.cell == (2, 3)
    view.export_data(tmp_path / "cmp.csv")
    rows = list(csv.reader((tmp_path / "cmp.csv").open()))
    assert rows[0][0] == "AD - FD" and len(rows) == result.shape[0] + 1


def test_step_sweep_on_log_axes_with_ad_and_default_step(qtbot: Any, analysis_window: Any,
                                                         tmp_path: Path) -> None:
    session = analysis_window
    start(qtbot, session, "power.keras")
    view = session.analysis.sweep
    session.heatmap.select_cell(1, 2)
    s = show_view(qtbot, session, view)
    assert (s.row, s.col) == (1, 2) and s.dtypes == ("float64",)
    assert s.relative_steps.min() == pytest.approx(1e-12)
    assert s.relative_steps.max() == pytest.approx(1e-1)
    assert view.plot.getAxis("bottom").logMode and view.plot.getAxis("left").logMode
    with qtbot.waitSignal(view.analysis_ready, timeout=LONG) as blocker:
        view.dtype.setCurrentIndex(view.dtype.findData("both"))
    s = blocker.args[0]
    assert s.dtypes == ("float32", "float64")
    # |FD| mode: the AD value as a horizontal line, the default steps as vertical ones.
    view.quantity.setCurrentIndex(view.quantity.findData("derivative"))
    lines = [i for i in view._items if type(i).__name__ == "InfiniteLine"]
    horizontal = [i for i in lines if i.angle == 0]
    vertical = sorted(i.value() for i in lines if i.angle == 90)
    assert len(horizontal) == 1
    assert horizontal[0].value() == pytest.approx(np.log10(abs(s.ad_value)))
    assert vertical == pytest.approx(sorted(np.log10(s.rule_step)))
    labels = [label.text for _, label in view.legend.items]
    assert any(text.startswith("|AD| = ") for text in labels)
    view.export_data(tmp_path / "sweep.csv")
    header = next(csv.reader((tmp_path / "sweep.csv").open()))
    assert header[0] == "relative_step" and "abs_error_float32" in header


def test_only_the_newest_request_of_a_kind_is_answered(qtbot: Any, analysis_window: Any) -> None:
    session = analysis_window
    start(qtbot, session, "linear.keras")
    view = session.analysis.slice
    session.window.tabs.setCurrentWidget(session.analysis)
    session.analysis.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.analysis() is not None, timeout=LONG)
    runner = session.runner
    dropped = runner.dropped
    with qtbot.waitSignal(view.analysis_ready, timeout=LONG) as blocker:
        view.picker.set_cell(0, 1)
        view.picker.set_cell(1, 2)  # supersedes the first before it is answered
    assert (blocker.args[0].row, blocker.args[0].col) == (1, 2)
    assert runner.dropped == dropped + 1
