"""The window's state model on its own, and one typed value on its whole way round.

A value typed in the point editor travels state -> runner -> engine -> state -> views; the
round-trip test follows it through each stage and checks the numbers against the analytic
Jacobian of the model.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

import jacgui.gui.state
from jacgui.core.handle import ModelHandle
from jacgui.core.spec import TensorInfo
from jacgui.gui.state import UNDO_DEPTH, JobStatus, PointState, WindowState

from .conftest import SMALL, mlp_jacobian
from .test_heatmap import make_result
from .window_driver import LONG, start, wait_result


def mixed_model(point: dict[str, Any] | None = None) -> ModelHandle:
    """tokens (int, 2) and x (3,) -> y (2,), z (4,); nothing is ever evaluated."""
    return ModelHandle("memory://mixed", "python",
                       (TensorInfo("tokens", (2,), "int32"), TensorInfo("x", (3,))),
                       (TensorInfo("y", (2,)), TensorInfo("z", (4,))),
                       forward=lambda feeds: feeds,
                       default_point=point if point is not None else {"x": [1.0, 2.0, 3.0]})


@pytest.fixture
def state(qtbot: Any) -> WindowState:
    state = WindowState()
    state.set_model(mixed_model(), "mixed.py")
    return state


# --- the point and its undo history -----------------------------------------------------------


def test_point_changes_are_undone_in_reverse_order(qtbot: Any) -> None:
    point = PointState()
    point.load({"x": np.zeros(3)}, {})
    history: list[bool] = []
    point.history_changed.connect(history.append)
    point.set("x", [1.0, 2.0, 3.0])
    point.set_element("x", 1, 9.0)
    assert point.value("x").tolist() == [1.0, 9.0, 3.0] and point.can_undo()
    assert point.undo() == "x" and point.value("x").tolist() == [1.0, 2.0, 3.0]
    assert point.undo() == "x" and point.value("x").tolist() == [0.0, 0.0, 0.0]
    assert point.undo() is None and not point.can_undo()
    assert history[-1] is False


def test_undo_history_is_bounded(qtbot: Any) -> None:
    point = PointState()
    point.load({"x": np.zeros(1)}, {})
    for k in range(1, UNDO_DEPTH + 11):
        point.set("x", [k])
    undone = 0
    while point.undo() is not None:
        undone += 1
    assert undone == UNDO_DEPTH
    assert point.value("x").tolist() == [10.0]  # the oldest ten changes are forgotten


def test_a_value_of_the_wrong_size_is_refused_and_changes_nothing(qtbot: Any) -> None:
    point = PointState()
    point.load({"x": np.zeros(3)}, {})
    with qtbot.assertNotEmitted(point.changed), pytest.raises(ValueError, match="expected 3"):
        point.set("x", [1.0, 2.0])
    assert point.value("x").tolist() == [0.0, 0.0, 0.0] and not point.can_undo()


def test_value_returns_a_copy(qtbot: Any) -> None:
    point = PointState()
    point.load({"x": np.zeros(2)}, {})
    point.value("x")[0] = 5.0
    point.values()["x"][1] = 5.0
    assert point.value("x").tolist() == [0.0, 0.0]


# --- the model and what is differentiated -----------------------------------------------------


def test_a_model_selects_its_first_float_input_and_first_output(state: WindowState) -> None:
    assert (state.input_name, state.output_name) == ("x", "y")
    assert state.input_spec().name == "x" and state.output_spec().name == "y"
    assert state.point.value("x").tolist() == [1.0, 2.0, 3.0]
    assert state.point.value("tokens").tolist() == [0.0, 0.0]  # no default: zeros


def test_a_default_point_of_the_wrong_size_becomes_zeros(qtbot: Any) -> None:
    state = WindowState()
    state.set_model(mixed_model({"x": [1.0, 2.0]}), "bad-default.py")
    assert state.point.value("x").tolist() == [0.0, 0.0, 0.0]


def test_select_ignores_integer_inputs_and_unknown_names(qtbot: Any, state: WindowState) -> None:
    with qtbot.assertNotEmitted(state.selection_changed):
        state.select(input_name="tokens")
        state.select(input_name="nope", output_name="nope")
        state.select(output_name="y")  # already selected
    assert (state.input_name, state.output_name) == ("x", "y")
    with qtbot.waitSignal(state.selection_changed):
        state.select(output_name="z")
    assert state.output_name == "z"


def test_start_up_values_replace_typed_ones(qtbot: Any, state: WindowState) -> None:
    state.point.set("x", [7.0, 8.0, 9.0])
    state.set_model(mixed_model(), "other.py")
    state.set_model(mixed_model(), "mixed.py")
    assert state.point.value("x").tolist() == [7.0, 8.0, 9.0]  # typed for this file: back
    state.set_model(mixed_model(), "mixed.py", {"x": np.array([4.0, 5.0, 6.0])})
    assert state.point.value("x").tolist() == [4.0, 5.0, 6.0]
    assert not state.point.can_undo()


# --- what to compute --------------------------------------------------------------------------


def test_request_describes_the_state(qtbot: Any, state: WindowState) -> None:
    state.memory_budget = 123456
    state.set_step(1e-3)
    request = state.jacobian_request()
    assert (request.method, request.input, request.output) == ("auto", "x", "y")
    assert request.options.step is None  # a step only means something to finite differences
    assert request.options.memory_budget == 123456 and not request.confirmed
    assert sorted(request.point) == ["tokens", "x"]
    state.set_method("fd-central")
    request = state.jacobian_request(confirmed=True)
    assert request.options.step == 1e-3 and request.confirmed
    with pytest.raises(ValueError, match="unknown method"):
        state.set_method("magic")
    assert WindowState().jacobian_request() is None  # no model, nothing to compute


def test_request_holds_a_copy_of_the_point(qtbot: Any, state: WindowState) -> None:
    request = state.jacobian_request()
    state.point.set("x", [0.0, 0.0, 0.0])
    assert request.point["x"].tolist() == [1.0, 2.0, 3.0]


# --- answers ----------------------------------------------------------------------------------


def test_a_selected_cell_survives_a_result_of_the_same_shape_only(qtbot: Any,
                                                                  state: WindowState) -> None:
    state.set_result(make_result(np.ones((2, 3))), None)
    state.select_cell((1, 2))
    assert state.cross_check_pending
    state.set_result(make_result(np.zeros((2, 3))), None)
    assert state.cell == (1, 2) and not state.cross_check_pending
    with qtbot.waitSignal(state.result_changed):
        state.set_result(make_result(np.zeros((1, 1))), None)
    assert state.cell is None
    with pytest.raises(IndexError):
        state.select_cell((0, 1))


def test_a_new_model_starts_afresh_but_keeps_the_colour_preferences(qtbot: Any,
                                                                    state: WindowState) -> None:
    state.set_method("reverse")
    state.set_view(key="scaled", scales=np.ones(3), colormap="viridis", value_scale="symlog")
    state.set_result(make_result(np.ones((2, 3))), None)
    state.select_cell((0, 0))
    state.set_job(JobStatus(outcome="done"))
    with qtbot.waitSignal(state.model_changed):
        state.set_model(mixed_model(), "again.py")
    assert state.method == "auto" and state.step is None
    assert (state.view.key, state.view.scales) == ("raw", None)
    assert (state.view.colormap, state.view.value_scale) == ("viridis", "symlog")
    assert state.result is None and state.result_request is None and state.cell is None
    assert state.job == JobStatus()


def test_eta_is_the_pace_so_far_times_the_chunks_left(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jacgui.gui.state, "time", SimpleNamespace(monotonic=lambda: 110.0))
    job = JobStatus(busy=True, started=100.0)
    # 4 of 20 chunks in 10 s: 2.5 s a chunk, 16 left.
    assert job.with_progress(4, 20).eta_seconds == pytest.approx(40.0)
    assert job.with_progress(0, 20).eta_seconds is None  # no pace yet
    assert job.with_progress(20, 20).eta_seconds is None  # done
    assert not job.with_progress(4, 20).eta_settled  # the first report also paid for tracing


def test_eta_after_the_first_chunk_leaves_out_its_tracing(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = SimpleNamespace(now=108.0)
    monkeypatch.setattr(jacgui.gui.state, "time", SimpleNamespace(monotonic=lambda: clock.now))
    # The first chunk took 8 s (tracing); the next three take 1 s each.
    job = JobStatus(busy=True, started=100.0).with_progress(1, 100)
    assert job.eta_seconds == pytest.approx(8.0 * 99) and not job.eta_settled
    clock.now = 111.0
    job = job.with_progress(4, 100)
    assert job.eta_seconds == pytest.approx(96.0) and job.eta_settled


# --- one typed value, all the way round ---------------------------------------------------------


def test_typed_value_travels_to_the_engine_and_back_to_every_view(qtbot: Any, session: Any,
                                                                  engine: Any) -> None:
    start(qtbot, session, "small.keras")
    state, editor = session.state, session.point_editor
    with qtbot.waitSignal(state.cross_check_changed, timeout=LONG,
                          check_params_cb=lambda: state.cross_check is not None):
        session.heatmap.select_cell(1, 2)
    submitted = len(engine.received)

    # Typed into the table's model, as the cell editor's delegate commits it.
    index = editor.table_model.index(2, 1)
    result = wait_result(qtbot, session, lambda: editor.table_model.setData(
        index, "0.75", Qt.ItemDataRole.EditRole))
    x = np.array([0.5, 0.5, 0.75, 0.5])
    assert state.point.value("x").tolist() == x.tolist()  # state
    jobs = [args for op, args in engine.received[submitted:] if op == "jacobian"]
    assert len(jobs) == 1  # runner -> engine: one job, at the typed point
    assert jobs[0]["point"]["x"].tolist() == x.tolist()
    assert (jobs[0]["input"], jobs[0]["output"]) == ("x", "y")
    assert state.result is result and state.result_request.point["x"].tolist() == x.tolist()
    truth = mlp_jacobian(SMALL, 0, x)
    # Reverse mode in float32 through two tanh layers: a few ulps of float32 (1.2e-7).
    np.testing.assert_allclose(result.matrix, truth, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result.point, x)

    # Views: table, heatmap, its read-out, the inspector of the selected cell, the status bar.
    assert editor.table_model.data(index) == "0.75"
    assert session.heatmap.result() is result
    np.testing.assert_array_equal(session.heatmap.matrix(), result.matrix)
    assert state.cell == (1, 2) and session.heatmap.selected_cell() == (1, 2)
    assert session.heatmap.cell_text(1, 2).endswith(f"= {result.matrix[1, 2]:.6g}")
    inspector = session.inspector
    assert inspector.text("x_j") == "0.75"
    # The inspector prints 6 significant digits.
    assert float(inspector.text("value")) == pytest.approx(truth[1, 2], rel=1e-5)
    assert session.status.shape.text() == "3×4"
    # The selected cell is checked again, at the new point, by the other method.
    qtbot.waitUntil(lambda: state.cross_check is not None, timeout=LONG)
    check = [args for op, args in engine.received[submitted:] if op == "cross_check"][-1]
    assert check["point"]["x"].tolist() == x.tolist() and (check["row"], check["col"]) == (1, 2)
    assert check["value"] == result.matrix[1, 2]
    # "agrees" or "roughly agrees" (float32 differences), never "DISAGREES".
    assert "agrees with central finite differences" in inspector.text("check")
