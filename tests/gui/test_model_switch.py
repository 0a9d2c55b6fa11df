"""Opening another model starts from a clean slate: nothing of the previous model leaks.

Each test sets something up on one model, opens another and checks one piece of state: the
method, the heatmap's view and scales, the undo history, the analysis panels, the heatmap and
its colour bar. The next model's first Jacobian is held in the engine (``engine.gate``) where
the test looks at the window "while the new model computes". Values typed for a model do come
back when it is reopened.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from jacgui.gui.actions import points as point_actions
from jacgui.gui.analysis.jobs import GlobalRequest

from .analysis_support import linear_model, show_view
from .conftest import make_mlp
from .window_driver import LONG, choose_method, compute_panel, start, type_into, wait_result


@pytest.fixture
def other(engine_models: dict[str, Any]) -> str:
    """A second model, 6 inputs -> 2 outputs, default point 0.5 everywhere."""
    engine_models["other.keras"] = make_mlp("other", [6, 2], seed=5)
    return "other.keras"


def open_held(qtbot: Any, session: Any, engine: Any, path: str) -> threading.Event:
    """Open ``path`` and return once it is shown while its first Jacobian waits in the engine.

    Set the returned gate to let the Jacobian run.
    """
    gate = engine.gate = threading.Event()
    with qtbot.waitSignal(session.state.model_changed, timeout=LONG):
        session.models.open(path)
    assert session.state.model_path == path and session.runner.is_busy("jacobian")
    return gate


def test_method_returns_to_auto(qtbot: Any, session: Any, engine: Any, other: str) -> None:
    start(qtbot, session, "small.keras")
    wait_result(qtbot, session, lambda: choose_method(session, "fd-central"))
    panel = compute_panel(session)
    panel.step.setText("1e-3")
    panel.step.editingFinished.emit()
    assert (session.state.method, session.state.step) == ("fd-central", 1e-3)
    result = wait_result(qtbot, session, lambda: session.models.open(other))
    assert (session.state.method, session.state.step) == ("auto", None)
    assert panel.method.currentText() == "auto"
    assert panel.step.text() == "" and not panel.step.isEnabled()
    op, args = engine.received[-1]
    assert (op, args["method"], args["step"]) == ("jacobian", "auto", None)
    assert result.method in ("reverse", "forward")  # what auto chose, not fd-central


def test_heatmap_view_returns_to_raw_and_scales_are_dropped(qtbot: Any, session: Any,
                                                            engine: Any, other: str) -> None:
    start(qtbot, session, "small.keras")
    session.actions.colormaps["viridis"].trigger()  # a preference: it stays
    session.view_selector.set_scales([1.0, 2.0, 3.0, 4.0])
    assert session.state.view.key == "scaled" and session.state.view.scales is not None
    session.heatmap.select_cell(0, 3)
    view_value = session.window.views.view_value
    assert view_value.isVisible() and "σ_j = <tt>4" in view_value.text()
    gate = open_held(qtbot, session, engine, other)
    view = session.state.view
    assert (view.key, view.scales) == ("raw", None)
    assert not view_value.isVisible()
    result = wait_result(qtbot, session, gate.set)
    assert view.colormap == "viridis" and session.heatmap.colormap() == "viridis"
    assert session.view_selector.combo.currentData() == "raw"
    np.testing.assert_array_equal(session.heatmap.matrix(), result.matrix)
    assert session.heatmap.title() == ""
    # The σ table of the new model starts from ones, not from the old model's four scales.
    session.view_selector.edit_scales()
    dialog = session.view_selector.scales_dialog
    assert dialog.table.rowCount() == 6
    assert [dialog.table.item(r, 0).text() for r in range(6)] == ["1"] * 6
    dialog.reject()


def test_undo_history_is_empty(qtbot: Any, session: Any, engine: Any, other: str) -> None:
    start(qtbot, session, "small.keras")
    type_into(qtbot, session.point_editor, 0, "2")
    assert session.actions.undo_point.isEnabled() and session.point_editor.undo_action.isEnabled()
    wait_result(qtbot, session, lambda: session.models.open(other))
    state = session.state
    assert not state.point.can_undo()
    assert not session.actions.undo_point.isEnabled()
    assert not session.point_editor.undo_action.isEnabled()
    before = state.point.values()
    submitted = len(engine.received)
    with qtbot.assertNotEmitted(state.point.changed, wait=0):
        session.actions.undo_point.trigger()  # Ctrl+Z: disabled
        point_actions.undo_point(state)  # and the command itself has nothing to undo
    assert {k: v.tolist() for k, v in state.point.values().items()} == \
        {k: v.tolist() for k, v in before.items()}
    assert state.input_name == "x" and len(engine.received) == submitted
    # Back on the first model: the typed value is there, but its history is not.
    wait_result(qtbot, session, lambda: session.models.open("small.keras"))
    assert state.point.value("x")[0] == 2.0 and not state.point.can_undo()


def test_values_typed_for_a_model_come_back_when_it_is_reopened(qtbot: Any, session: Any,
                                                                engine: Any,
                                                                other: str) -> None:
    start(qtbot, session, "small.keras")
    wait_result(qtbot, session, lambda: type_into(qtbot, session.point_editor, 1, "-3"))
    wait_result(qtbot, session, lambda: session.models.open(other))
    assert session.point_editor.values().tolist() == [0.5] * 6  # the other model's default
    result = wait_result(qtbot, session, lambda: session.models.open("small.keras"))
    assert session.point_editor.values().tolist() == [0.5, -3.0, 0.5, 0.5]
    assert engine.received[-1][1]["point"]["x"].tolist() == [0.5, -3.0, 0.5, 0.5]
    assert result.point.tolist() == [0.5, -3.0, 0.5, 0.5]


def test_heatmap_and_colour_bar_are_cleared_at_once(qtbot: Any, session: Any, engine: Any,
                                                    other: str) -> None:
    old = start(qtbot, session, "small.keras")
    heatmap, state = session.heatmap, session.state
    top = float(np.max(np.abs(old.matrix)))
    assert heatmap.colorbar().levels() == pytest.approx((-top, top))
    assert top < 0.9  # so that the old scale cannot be mistaken for the empty one
    heatmap.select_cell(1, 1)
    assert session.inspector.text("title") != ""
    gate = open_held(qtbot, session, engine, other)
    # The new model computes: nothing of the old one is on screen, its scale included.
    assert state.result is None and heatmap.result() is None and heatmap.matrix() is None
    assert heatmap.colorbar().levels() == (-1.0, 1.0)
    assert heatmap.image_item().image is None
    assert heatmap.selected_cell() is None and state.cell is None
    assert session.inspector.text("title") == "" and session.inspector.text("value") == ""
    assert session.status.shape.text() == "" and session.status.method.text() == ""
    result = wait_result(qtbot, session, gate.set)
    top = float(np.max(np.abs(result.matrix)))
    assert heatmap.colorbar().levels() == pytest.approx((-top, top))


def shows(panel: Any) -> dict[str, bool]:
    """Which analysis panels show anything (a plot, a summary, something to export)."""

    def drawn(item: Any) -> bool:
        x, _ = item.getData()
        return x is not None and len(x) > 0

    views = {"importance": panel.importance, "slice": panel.slice,
             "principal": panel.principal, "agreement": panel.agreement, "sweep": panel.sweep,
             "global": panel.global_, "images": panel.images}
    shown = {name: view.analysis() is not None or view.export_button.isEnabled()
             for name, view in views.items()}
    shown["importance"] |= panel.importance.inputs.shown.size > 0
    shown["slice"] |= drawn(panel.slice.curve) or drawn(panel.slice.tangent)
    shown["principal"] |= (drawn(panel.principal.values_curve)
                           or panel.principal.inputs.shown.size > 0)
    agreement = panel.agreement
    shown["agreement"] |= (agreement.difference.result() is not None
                           or agreement.error.result() is not None
                           or agreement.summary.text() != "")
    shown["sweep"] |= bool(panel.sweep.plot.listDataItems())
    shown["global"] |= (panel.global_.heatmap.result() is not None
                        or panel.global_.dgsm.shown.size > 0)
    shown["images"] |= (panel.images.image_map() is not None
                        or panel.images.overlay.image is not None)
    return shown


def test_every_analysis_panel_is_cleared(qtbot: Any, session: Any, engine: Any,
                                         engine_models: dict[str, Any]) -> None:
    engine_models["linear.keras"] = linear_model()
    start(qtbot, session, "image.keras")  # an image input: every panel has something to show
    panel = session.analysis
    session.heatmap.select_cell(1, 10)
    for view in (panel.slice, panel.principal, panel.sweep):
        show_view(qtbot, session, view)
    show_view(qtbot, session, panel.agreement, panel.agreement.run_button.click)
    bounds = np.tile([0.0, 1.0], (64, 1))
    show_view(qtbot, session, panel.global_,
              lambda: panel.global_.start(GlobalRequest(bounds=bounds, n_samples=8, seed=0)))
    panel.setCurrentWidget(panel.images)
    assert all(shows(panel).values()), shows(panel)

    old_labels = session.state.result.input_labels
    gate = open_held(qtbot, session, engine, "linear.keras")
    assert not any(shows(panel).values()), shows(panel)
    texts = [view.status.text() for view in panel.views] + [panel.agreement.summary.text()]
    assert not [t for t in texts if any(label in t for label in old_labels)], texts
    assert not panel.isTabEnabled(panel.indexOf(panel.images))
    panel.setCurrentWidget(panel.agreement)
    result = wait_result(qtbot, session, gate.set)
    assert result.shape == (2, 3)
    # AD vs FD and Global run on request only: still nothing, of either model.
    assert not shows(panel)["agreement"] and not shows(panel)["global"]
    assert panel.agreement.status.text() == "" or "Press" in panel.agreement.status.text()
