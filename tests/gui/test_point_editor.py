"""The point editor: typed values are validated, never lost, and bulk changes can be undone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from .conftest import make_mlp
from .window_driver import LONG, start, type_into

RED = (255, 205, 205)


@pytest.fixture
def window(qtbot: Any, session: Any) -> Any:
    """The window with the small model (x: 4 values of 0.5) open and computed."""
    start(qtbot, session, "small.keras")
    return session


class Notices:
    """The one-line messages the window shows."""

    def __init__(self, state: Any) -> None:
        self.texts: list[str] = []
        state.notice.connect(lambda text, _error: self.texts.append(text))


def cell_colour(editor: Any, row: int) -> tuple[int, int, int] | None:
    brush = editor.table_model.index(row, 1).data(Qt.ItemDataRole.BackgroundRole)
    return None if brush is None else brush.color().getRgb()[:3]


def test_typed_value_is_accepted_and_reaches_the_state(qtbot: Any, window: Any) -> None:
    editor, point = window.point_editor, window.state.point
    with qtbot.waitSignal(point.changed) as blocker:
        type_into(qtbot, editor, 0, "2.5")
    assert blocker.args == ["x", False]
    assert editor.values().shape == (4,)
    assert editor.values()[0] == 2.5
    assert point.value("x")[0] == 2.5


def test_bad_value_is_marked_rejected_and_others_kept(qtbot: Any, window: Any) -> None:
    editor, point = window.point_editor, window.state.point
    type_into(qtbot, editor, 0, "2.5")
    type_into(qtbot, editor, 3, "-1e-3")
    before = editor.values().copy()
    notices = Notices(window.state)
    with qtbot.assertNotEmitted(point.changed):
        type_into(qtbot, editor, 1, "abc")
    np.testing.assert_array_equal(editor.values(), before)
    np.testing.assert_array_equal(point.value("x"), before)
    assert editor.table_model.bad_rows() == {1: "'abc' is not a number"}
    assert cell_colour(editor, 1) == RED
    tooltip = editor.table_model.index(1, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert "not a number" in tooltip and "0.5" in tooltip
    assert notices.texts and "x[1]" in notices.texts[-1] and "\n" not in notices.texts[-1]
    for bad in ("nan", "inf", ""):
        type_into(qtbot, editor, 2, bad)
        assert 2 in editor.table_model.bad_rows()
    np.testing.assert_array_equal(editor.values(), before)
    # Fixing the cell clears the mark.
    type_into(qtbot, editor, 1, "7")
    assert 1 not in editor.table_model.bad_rows() and cell_colour(editor, 1) != RED
    assert editor.values().tolist() == [2.5, 7.0, 0.5, -1e-3]
    assert point.value("x").tolist() == [2.5, 7.0, 0.5, -1e-3]


def test_values_survive_switching_models(qtbot: Any, window: Any, engine_models: Any) -> None:
    editor = window.point_editor
    type_into(qtbot, editor, 2, "9")
    engine_models["other.keras"] = make_mlp("other", [6, 2])
    with qtbot.waitSignal(window.runner.model_opened, timeout=LONG):
        window.models.open("other.keras")
    assert editor.values().shape == (6,)
    with qtbot.waitSignal(window.runner.model_opened, timeout=LONG):
        window.models.open("small.keras")
    assert editor.values()[2] == 9.0
    assert window.state.point.value("x")[2] == 9.0


def test_reset_randomise_and_undo(qtbot: Any, window: Any) -> None:
    editor = window.point_editor
    type_into(qtbot, editor, 0, "3")
    editor.reset_action.trigger()
    np.testing.assert_array_equal(editor.values(), np.full(4, 0.5))
    editor.undo_action.trigger()
    assert editor.values()[0] == 3.0
    editor.seed.setValue(7)
    editor.random_action.trigger()
    first = editor.values().copy()
    # Within ±10 % of the default 0.5; the 1e-12 is float rounding of 0.5 + u * 0.05.
    assert np.all(np.abs(first - 0.5) <= 0.05 + 1e-12) and not np.allclose(first, 0.5)
    editor.random_action.trigger()
    np.testing.assert_array_equal(editor.values(), first)  # same seed, same point
    editor.undo_action.trigger()
    editor.undo_action.trigger()
    assert editor.values()[0] == 3.0
    np.testing.assert_array_equal(window.state.point.value("x"), editor.values())


def test_paste_from_clipboard(qtbot: Any, window: Any) -> None:
    editor = window.point_editor
    QApplication.clipboard().setText("1, 2\n3 4")
    with qtbot.waitSignal(window.state.point.changed):
        editor.paste_action.trigger()
    assert editor.values().tolist() == [1, 2, 3, 4]
    notices = Notices(window.state)
    QApplication.clipboard().setText("1, 2")
    editor.paste_action.trigger()
    assert editor.values().tolist() == [1, 2, 3, 4]
    assert notices.texts and notices.texts[-1].startswith("Paste:")
    assert "\n" not in notices.texts[-1]


def test_load_and_save_point_files(qtbot: Any, window: Any, tmp_path: Path) -> None:
    editor, dialogs = window.point_editor, window.dialogs
    good = tmp_path / "p.npy"
    np.save(good, np.array([4.0, 3.0, 2.0, 1.0]))
    dialogs.open_path = str(good)
    editor.load_action.trigger()
    assert editor.values().tolist() == [4, 3, 2, 1]
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros(3))
    notices = Notices(window.state)
    dialogs.open_path = str(bad)
    editor.load_action.trigger()
    assert editor.values().tolist() == [4, 3, 2, 1]
    assert notices.texts[-1].startswith("Could not load the point")
    dialogs.save_answer = (str(tmp_path / "saved.csv"), "")
    editor.save_action.trigger()
    editor.reset_action.trigger()
    assert editor.values().tolist() == [0.5] * 4
    dialogs.open_path = str(tmp_path / "saved.csv")
    editor.load_action.trigger()
    assert editor.values().tolist() == [4, 3, 2, 1]


def test_slider_moves_the_selected_value(qtbot: Any, window: Any) -> None:
    editor, point = window.point_editor, window.state.point
    editor.table.setCurrentIndex(editor.table_model.index(1, 1))
    assert editor.slider.isEnabled()
    with qtbot.waitSignal(point.changed) as blocker:
        editor.slider.setValue(editor.slider.maximum())
    assert blocker.args == ["x", True]  # a slider move is live
    # value 0.5 -> range 0.5 ± max(1, 0.5) = [-0.5, 1.5]
    assert point.value("x")[1] == pytest.approx(1.5)
    assert editor.values()[1] == pytest.approx(1.5)
    editor.undo_action.trigger()
    assert editor.values()[1] == 0.5 and point.value("x")[1] == 0.5


def test_image_input_shows_a_picture(qtbot: Any, window: Any) -> None:
    editor = window.point_editor
    with qtbot.waitSignal(window.runner.model_opened, timeout=LONG):
        window.models.open("image.keras")
    assert editor.image.isVisible()
    assert not editor.image.pixmap().isNull()
    editor.random_action.trigger()
    values = editor.values()
    assert values.shape == (8, 8, 1) and values.min() >= 0 and values.max() <= 1
    assert "uniform in [0, 1]" in editor.random_action.toolTip()
