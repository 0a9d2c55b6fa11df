"""View ▸ Colour map and View ▸ Value scale: real menu actions, the heatmap and QSettings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6 import QtGui

from jacgui.gui import colormaps
from jacgui.gui.settings import Settings

from .conftest import ScriptedDialogs
from .test_heatmap import make_result


@pytest.fixture
def make_window(qtbot: Any, tmp_path: Path) -> Any:
    """Windows sharing one INI file, as two runs of the app share the user's settings.

    The worker thread is never started: these tests compute nothing.
    """
    from jacgui.gui.main_window import MainWindow

    made = []

    def make() -> Any:
        win = MainWindow(settings=Settings.in_file(tmp_path / "jacgui.ini"), dialogs=ScriptedDialogs())
        qtbot.addWidget(win)
        win.show()
        made.append(win)
        return win

    yield make
    for win in made:
        win.close()


def cell_rgb(window: Any, row: int, col: int) -> tuple[int, int, int]:
    image = window.heatmap.image_item()
    image.render()  # the image item colours lazily, on paint
    color = QtGui.QColor(image.qimage.pixel(col, row))
    return color.red(), color.green(), color.blue()


def test_menu_lists_every_colour_map_and_checks_the_default(make_window: Any) -> None:
    window = make_window()
    view = window.actions.view
    assert list(view.colormaps) == colormaps.available_colormaps()
    assert [a.text() for a in view.colormap_menu.actions()] == colormaps.available_colormaps()
    assert [name for name, a in view.colormaps.items() if a.isChecked()] == [colormaps.DEFAULT_COLORMAP]
    assert [name for name, a in view.scales.items() if a.isChecked()] == ["linear"]
    assert window.heatmap.colormap() == colormaps.DEFAULT_COLORMAP


def test_choosing_a_colour_map_recolours_and_is_remembered(make_window: Any) -> None:
    window = make_window()
    window.heatmap.set_result(make_result(np.array([[0.0, 1.0], [2.0, 4.0]])))
    window.actions.view.colormaps["viridis"].trigger()
    assert window.heatmap.colormap() == "viridis"
    assert window.heatmap.colorbar().colorMap().name == "viridis"
    table = colormaps.lookup_table("viridis")
    assert cell_rgb(window, 1, 1) == tuple(int(v) for v in table[-1])  # the largest value
    assert cell_rgb(window, 0, 0) == tuple(int(v) for v in table[0])  # sequential: 0 is the low end
    # Exclusive: one map checked at a time.
    assert [n for n, a in window.actions.view.colormaps.items() if a.isChecked()] == ["viridis"]
    window.close()

    again = make_window()
    assert again.heatmap.colormap() == "viridis"
    assert again.actions.view.colormaps["viridis"].isChecked()


def test_symmetric_log_scale_from_the_menu_is_remembered(make_window: Any) -> None:
    window = make_window()
    matrix = np.array([[1e-3, -1.0], [10.0, 0.0]])
    window.heatmap.set_result(make_result(matrix))
    linear = cell_rgb(window, 0, 0)
    window.actions.view.scales["symlog"].trigger()
    assert window.heatmap.value_scale() == "symlog"
    assert "symlog" in window.heatmap.colorbar().getAxis("right").labelText
    # 1e-3 next to 10 is invisible on a linear scale and clearly coloured on symlog.
    assert cell_rgb(window, 0, 0) != linear
    window.close()

    again = make_window()
    assert again.heatmap.value_scale() == "symlog"
    assert again.actions.view.scales["symlog"].isChecked()
    again.actions.view.scales["linear"].trigger()
    again.close()
    assert make_window().heatmap.value_scale() == "linear"


def test_unknown_saved_values_fall_back_to_defaults(make_window: Any, tmp_path: Path) -> None:
    stored = Settings.in_file(tmp_path / "jacgui.ini")
    stored.set_heatmap_colormap("jet")  # from a newer or older version, or hand-edited
    stored.set_heatmap_value_scale("log")
    stored.sync()
    window = make_window()
    assert window.heatmap.colormap() == colormaps.DEFAULT_COLORMAP
    assert window.heatmap.value_scale() == "linear"
    assert window.actions.view.colormaps[colormaps.DEFAULT_COLORMAP].isChecked()
