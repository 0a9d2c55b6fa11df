"""View ▸ Colour map and View ▸ Value scale: real menu actions, the heatmap and QSettings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6 import QtGui

from jacgui.gui import colormaps
from jacgui.gui.settings import Settings

from .local_engine import SilentEngine
from .test_heatmap import make_result


@pytest.fixture
def make_window(make_session: Any, tmp_path: Path) -> Any:
    """Windows sharing one INI file, as two runs of the app share the user's settings.

    The engine never answers: these tests compute nothing; results are put in the state.
    """

    def make() -> Any:
        return make_session(SilentEngine(), settings_=Settings.in_file(tmp_path / "jacgui.ini"))

    return make


def show(window: Any, matrix: np.ndarray) -> None:
    """Put a result with ``matrix`` in the window's state, as an engine answer would."""
    window.state.set_result(make_result(matrix), None)


def cell_rgb(window: Any, row: int, col: int) -> tuple[int, int, int]:
    image = window.heatmap.image_item()
    image.render()  # the image item colours lazily, on paint
    color = QtGui.QColor(image.qimage.pixel(col, row))
    return color.red(), color.green(), color.blue()


def submenu(window: Any, menu: str, title: str) -> Any:
    """The submenu ``title`` of the menu bar's ``menu`` (texts without their & marks)."""
    bar = window.window.menuBar()
    top = next(a.menu() for a in bar.actions() if a.text().replace("&", "") == menu)
    return next(a.menu() for a in top.actions() if a.text().replace("&", "") == title)


def checked(actions: dict[str, Any]) -> list[str]:
    return [name for name, action in actions.items() if action.isChecked()]


def test_menu_lists_every_colour_map_and_checks_the_default(make_window: Any) -> None:
    window = make_window()
    actions = window.actions
    assert list(actions.colormaps) == colormaps.available_colormaps()
    assert [a.text() for a in submenu(window, "View", "Colour map").actions()] == \
        colormaps.available_colormaps()
    assert checked(actions.colormaps) == [colormaps.DEFAULT_COLORMAP]
    assert checked(actions.scales) == ["linear"]
    assert window.heatmap.colormap() == colormaps.DEFAULT_COLORMAP


def test_choosing_a_colour_map_recolours_and_is_remembered(make_window: Any) -> None:
    window = make_window()
    show(window, np.array([[0.0, 1.0], [2.0, 4.0]]))
    window.actions.colormaps["viridis"].trigger()
    assert window.state.view.colormap == "viridis"
    assert window.heatmap.colormap() == "viridis"
    assert window.heatmap.colorbar().colorMap().name == "viridis"
    table = colormaps.lookup_table("viridis")
    assert cell_rgb(window, 1, 1) == tuple(int(v) for v in table[-1])  # the largest value
    assert cell_rgb(window, 0, 0) == tuple(int(v) for v in table[0])  # sequential: 0 is the low end
    # Exclusive: one map checked at a time.
    assert checked(window.actions.colormaps) == ["viridis"]
    window.window.close()

    again = make_window()
    assert again.heatmap.colormap() == "viridis"
    assert again.actions.colormaps["viridis"].isChecked()


def test_symmetric_log_scale_from_the_menu_is_remembered(make_window: Any) -> None:
    window = make_window()
    show(window, np.array([[1e-3, -1.0], [10.0, 0.0]]))
    linear = cell_rgb(window, 0, 0)
    window.actions.scales["symlog"].trigger()
    assert window.heatmap.value_scale() == "symlog"
    assert "symlog" in window.heatmap.colorbar().getAxis("right").labelText
    # 1e-3 next to 10 is invisible on a linear scale and clearly coloured on symlog.
    assert cell_rgb(window, 0, 0) != linear
    window.window.close()

    again = make_window()
    assert again.heatmap.value_scale() == "symlog"
    assert again.actions.scales["symlog"].isChecked()
    again.actions.scales["linear"].trigger()
    again.window.close()
    assert make_window().heatmap.value_scale() == "linear"


def test_unknown_saved_values_fall_back_to_defaults(make_window: Any, tmp_path: Path) -> None:
    stored = Settings.in_file(tmp_path / "jacgui.ini")
    stored.set_heatmap_colormap("jet")  # from a newer or older version, or hand-edited
    stored.set_heatmap_value_scale("log")
    stored.sync()
    window = make_window()
    assert window.heatmap.colormap() == colormaps.DEFAULT_COLORMAP
    assert window.heatmap.value_scale() == "linear"
    assert window.state.view.colormap == colormaps.DEFAULT_COLORMAP
    assert window.state.view.value_scale == "linear"
    assert window.actions.colormaps[colormaps.DEFAULT_COLORMAP].isChecked()
