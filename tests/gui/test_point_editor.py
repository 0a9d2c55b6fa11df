"""The point editor: typed values are validated, never lost, and bulk changes can be undone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from jacgui.gui.point_editor import PointEditor

from .conftest import ScriptedDialogs, make_mlp

RED = (255, 205, 205)


@pytest.fixture
def editor(qtbot: Any, small_model: Any) -> PointEditor:
    widget = PointEditor()
    qtbot.addWidget(widget)
    widget.dialogs = ScriptedDialogs()
    widget.set_model(small_model)
    widget.resize(400, 400)
    widget.show()
    return widget


def type_into(qtbot: Any, editor: PointEditor, row: int, text: str) -> None:
    """Open the value cell's editor like a user would, type ``text`` and press Enter."""
    view, index = editor.table, editor.table_model.index(row, 1)
    view.setCurrentIndex(index)
    view.edit(index)
    line = view.indexWidget(index)
    assert line is not None, "no cell editor opened"
    line.selectAll()
    qtbot.keyClick(line, Qt.Key.Key_Backspace)
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key.Key_Return)
    # The delegate commits and closes its editor through a queued call.
    qtbot.waitUntil(lambda: view.indexWidget(index) is None, timeout=2000)


def cell_colour(editor: PointEditor, row: int) -> tuple[int, int, int] | None:
    brush = editor.table_model.index(row, 1).data(Qt.ItemDataRole.BackgroundRole)
    return None if brush is None else brush.color().getRgb()[:3]


def test_typed_value_is_accepted_and_emitted(qtbot: Any, editor: PointEditor) -> None:
    with qtbot.waitSignal(editor.point_changed) as blocker:
        type_into(qtbot, editor, 0, "2.5")
    assert blocker.args[0].shape == (4,)
    assert editor.values()[0] == 2.5
    assert editor.point()["x"][0] == 2.5


def test_bad_value_is_marked_rejected_and_others_kept(qtbot: Any, editor: PointEditor) -> None:
    type_into(qtbot, editor, 0, "2.5")
    type_into(qtbot, editor, 3, "-1e-3")
    before = editor.values().copy()
    messages: list[str] = []
    editor.message.connect(messages.append)
    with qtbot.assertNotEmitted(editor.point_changed):
        type_into(qtbot, editor, 1, "abc")
    np.testing.assert_array_equal(editor.values(), before)
    assert editor.table_model.bad_rows() == {1: "'abc' is not a number"}
    assert cell_colour(editor, 1) == RED
    tooltip = editor.table_model.index(1, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert "not a number" in tooltip and "0.5" in tooltip
    assert messages and "x[1]" in messages[-1]
    for bad in ("nan", "inf", ""):
        type_into(qtbot, editor, 2, bad)
        assert 2 in editor.table_model.bad_rows()
    np.testing.assert_array_equal(editor.values(), before)
    # Fixing the cell clears the mark.
    type_into(qtbot, editor, 1, "7")
    assert 1 not in editor.table_model.bad_rows() and cell_colour(editor, 1) != RED
    assert editor.values().tolist() == [2.5, 7.0, 0.5, -1e-3]


def test_values_survive_switching_models(qtbot: Any, editor: PointEditor, small_model: Any) -> None:
    type_into(qtbot, editor, 2, "9")
    other = make_mlp("other", [6, 2])
    editor.set_model(other)
    assert editor.values().shape == (6,)
    editor.set_model(small_model)
    assert editor.values()[2] == 9.0


def test_reset_randomise_and_undo(qtbot: Any, editor: PointEditor) -> None:
    type_into(qtbot, editor, 0, "3")
    editor.reset_action.trigger()
    np.testing.assert_array_equal(editor.values(), np.full(4, 0.5))
    editor.undo_action.trigger()
    assert editor.values()[0] == 3.0
    editor.seed.setValue(7)
    editor.random_action.trigger()
    first = editor.values().copy()
    assert np.all(np.abs(first - 0.5) <= 0.05 + 1e-12) and not np.allclose(first, 0.5)
    editor.random_action.trigger()
    np.testing.assert_array_equal(editor.values(), first)  # same seed, same point
    editor.undo_action.trigger()
    editor.undo_action.trigger()
    assert editor.values()[0] == 3.0


def test_paste_from_clipboard(qtbot: Any, editor: PointEditor) -> None:
    QApplication.clipboard().setText("1, 2\n3 4")
    with qtbot.waitSignal(editor.point_changed):
        editor.paste_action.trigger()
    assert editor.values().tolist() == [1, 2, 3, 4]
    messages: list[str] = []
    editor.message.connect(messages.append)
    QApplication.clipboard().setText("1, 2")
    editor.paste_action.trigger()
    assert editor.values().tolist() == [1, 2, 3, 4]
    assert messages and messages[-1].startswith("Paste:") and "\n" not in messages[-1]


def test_load_and_save_point_files(qtbot: Any, editor: PointEditor, tmp_path: Path) -> None:
    good = tmp_path / "p.npy"
    np.save(good, np.array([4.0, 3.0, 2.0, 1.0]))
    assert editor.load_point_file(str(good))
    assert editor.values().tolist() == [4, 3, 2, 1]
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros(3))
    messages: list[str] = []
    editor.message.connect(messages.append)
    assert not editor.load_point_file(str(bad))
    assert editor.values().tolist() == [4, 3, 2, 1]
    assert messages[-1].startswith("Could not load the point")
    editor.dialogs.save_answer = (str(tmp_path / "saved.csv"), "")
    editor.save_action.trigger()
    editor.reset_action.trigger()
    assert editor.load_point_file(str(tmp_path / "saved.csv"))
    assert editor.values().tolist() == [4, 3, 2, 1]


def test_slider_moves_the_selected_value(qtbot: Any, editor: PointEditor) -> None:
    editor.table.setCurrentIndex(editor.table_model.index(1, 1))
    assert editor.slider.isEnabled()
    with qtbot.waitSignal(editor.point_changed) as blocker:
        editor.slider.setValue(editor.slider.maximum())
    # value 0.5 -> range 0.5 ± max(1, 0.5) = [-0.5, 1.5]
    assert blocker.args[0][1] == pytest.approx(1.5)
    editor.undo_action.trigger()
    assert editor.values()[1] == 0.5


def test_image_input_shows_a_picture(qtbot: Any, editor: PointEditor, image_model: Any) -> None:
    editor.set_model(image_model)
    assert editor.image.isVisible()
    assert not editor.image.pixmap().isNull()
    editor.random_action.trigger()
    values = editor.values()
    assert values.shape == (8, 8, 1) and values.min() >= 0 and values.max() <= 1
    assert "uniform in [0, 1]" in editor.random_action.toolTip()
