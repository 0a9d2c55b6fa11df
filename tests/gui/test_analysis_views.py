"""Heatmap views and the importance bars, on models whose Jacobian is known in closed form."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .analysis_support import POWERS, WEIGHTS, analysis_window, start  # noqa: F401
from .window_driver import wait_result

__all__ = ["analysis_window"]


def test_abs_view_shows_exactly_abs_j_and_names_it(qtbot: Any, analysis_window: Any) -> None:
    session = analysis_window
    result = start(qtbot, session, "linear.keras")
    np.testing.assert_allclose(result.matrix, WEIGHTS.T, rtol=1e-6)
    with qtbot.waitSignal(session.state.view_changed):
        session.view_selector.combo.setCurrentIndex(session.view_selector.combo.findData("abs"))
    np.testing.assert_array_equal(session.heatmap.matrix(), np.abs(result.matrix))
    session.heatmap.select_cell(0, 1)
    text = session.heatmap.cell_text(0, 1)
    assert text.startswith("|J|: y[0] / b [s]")
    assert text.endswith(f"= {abs(result.matrix[0, 1]):.6g}")
    view_value = session.window.views.view_value
    assert "|J| = " in view_value.text()
    assert view_value.isVisible()
    # Back to raw: the read-out is the plain derivative again and the box disappears.
    session.view_selector.set_view("raw")
    np.testing.assert_array_equal(session.heatmap.matrix(), result.matrix)
    assert session.heatmap.cell_text(0, 1).startswith("∂ y[0] / ∂ b [s]")
    assert not view_value.isVisible()


def test_elasticity_of_a_power_law_is_its_exponent(qtbot: Any, analysis_window: Any) -> None:
    session = analysis_window
    start(qtbot, session, "power.keras")
    session.view_selector.set_view("elasticity")
    np.testing.assert_allclose(session.heatmap.matrix(), POWERS, rtol=1e-5, atol=1e-6)
    assert session.heatmap.nan_count() == 0
    session.heatmap.select_cell(1, 2)
    name, value, note = session.heatmap.view_value(1, 2)
    assert (name, note) == ("elasticity", "") and value == pytest.approx(-2.0, rel=1e-5)
    assert "elasticity = <tt>-2" in session.window.views.view_value.text()


def test_elasticity_masks_cells_and_says_why(qtbot: Any, analysis_window: Any) -> None:
    session = analysis_window
    start(qtbot, session, "linear.keras")  # x_0 = 0 at the default point
    session.view_selector.set_view("elasticity")
    matrix = session.heatmap.matrix()
    assert np.isnan(matrix[:, 0]).all() and np.isfinite(matrix[:, 1:]).all()
    assert session.heatmap.nan_count() == 2
    assert "2 grey: undefined" in session.heatmap.plot_item().titleLabel.text
    session.heatmap.select_cell(1, 0)
    assert session.heatmap.cell_text(1, 0).endswith("= masked: x_j = 0 is near zero")
    assert "relative sensitivity is undefined" in session.window.views.view_value.text()
    # A recompute keeps the view.
    wait_result(qtbot, session, session.actions.compute.trigger)
    assert session.state.view.key == "elasticity"
    assert np.isnan(session.heatmap.matrix()[:, 0]).all()
    assert session.view_selector.combo.currentData() == "elasticity"


def test_scaled_view_from_the_table_and_from_a_file(qtbot: Any, analysis_window: Any,
                                                    tmp_path: Path) -> None:
    session = analysis_window
    result = start(qtbot, session, "linear.keras")
    selector = session.view_selector
    selector.set_view("scaled")  # no scales yet: the σ table opens, the view waits for OK
    dialog = selector.scales_dialog
    assert dialog is not None and dialog.isVisible()
    assert session.state.view.key == "raw"
    dialog.table.item(1, 0).setText("10")
    dialog.accept()
    np.testing.assert_allclose(session.heatmap.matrix(), result.matrix * [1.0, 10.0, 1.0])
    assert session.state.view.key == "scaled"
    (tmp_path / "s.csv").write_text("name,sigma\nc [kg],0.5\na [m],2\nb [s],3\n")
    selector.edit_scales()
    assert selector.scales_dialog.load_file(str(tmp_path / "s.csv"))
    selector.scales_dialog.accept()
    np.testing.assert_allclose(session.heatmap.matrix(), result.matrix * [2.0, 3.0, 0.5])
    (tmp_path / "bad.json").write_text(json.dumps({"a [m]": 1}))
    selector.edit_scales()
    assert not selector.scales_dialog.load_file(str(tmp_path / "bad.json"))
    assert "missing names b [s], c [kg]" in selector.scales_dialog.error.text()
    selector.scales_dialog.reject()
    assert session.state.view.key == "scaled"


def test_row_normalised_rows_have_unit_norm(qtbot: Any, analysis_window: Any) -> None:
    session = analysis_window
    result = start(qtbot, session, "linear.keras")
    session.view_selector.set_view("row")
    expected = result.matrix / np.linalg.norm(result.matrix, axis=1, keepdims=True)
    np.testing.assert_allclose(session.heatmap.matrix(), expected, rtol=1e-12)


def test_importance_bars_sort_toggle_and_export(qtbot: Any, analysis_window: Any,
                                                tmp_path: Path) -> None:
    session = analysis_window
    result = start(qtbot, session, "linear.keras")
    view = session.analysis.importance
    session.window.tabs.setCurrentWidget(session.analysis)
    session.analysis.setCurrentWidget(view)
    norms = np.linalg.norm(result.matrix, axis=0)
    np.testing.assert_allclose(view.inputs.values, norms, rtol=1e-12)
    assert list(view.inputs.shown) == list(np.argsort(-norms))  # largest first
    view.sort.setCurrentIndex(view.sort.findData("order"))
    assert list(view.inputs.shown) == [0, 1, 2]
    ticks = view.inputs.plot.getAxis("left")._tickLevels[0]
    assert [label for _, label in ticks] == ["a [m]", "b [s]", "c [kg]"]
    np.testing.assert_allclose(view.outputs.values, np.linalg.norm(result.matrix, axis=1))
    # One output: |J[row, :]| of the row selected in the heatmap.
    view.scope.setCurrentIndex(view.scope.findData("row"))
    session.heatmap.select_cell(1, 0)
    np.testing.assert_allclose(view.inputs.values, np.abs(result.matrix[1]))
    # Importance follows the heatmap's view (here σ-scaled).
    session.view_selector.set_scales([1.0, 0.0, 2.0])
    np.testing.assert_allclose(view.inputs.values, np.abs(result.matrix[1] * [1, 0, 2]))
    view.export_data(tmp_path / "imp.csv")
    rows = list(csv.reader((tmp_path / "imp.csv").open()))
    assert rows[1][0] == "a [m]" and float(rows[1][1]) == pytest.approx(abs(result.matrix[1, 0]))
    view.export_picture(tmp_path / "imp.png")
    assert (tmp_path / "imp.png").read_bytes()[:4] == b"\x89PNG"
    # Through the Export… menu with a scripted file dialog.
    session.dialogs.save_answer = (str(tmp_path / "imp2"), "JSON with metadata (*.json)")
    with qtbot.waitSignal(view.message) as blocker:
        view.ask_export_data()
    assert blocker.args[0].startswith("Saved")
    assert json.loads((tmp_path / "imp2.json").read_text())["analysis"] == "importance"


def test_importance_of_a_jacobian_computed_while_hidden_is_drawn_when_shown(
        qtbot: Any, analysis_window: Any) -> None:
    session = analysis_window
    start(qtbot, session, "power.keras")
    view = session.analysis.importance
    assert not view.isVisible()  # the Jacobian tab is in front
    session.state.point.set("x", [2.0, 1.0, 3.0])
    result = wait_result(qtbot, session, session.jacobian.compute_now)
    norms = np.linalg.norm(result.matrix, axis=0)
    np.testing.assert_allclose(view.analysis().importance, norms, rtol=1e-12)  # exportable
    session.window.tabs.setCurrentWidget(session.analysis)
    session.analysis.setCurrentWidget(view)
    np.testing.assert_allclose(view.inputs.values, norms, rtol=1e-12)
    assert list(view.inputs.shown) == list(np.argsort(-norms))
