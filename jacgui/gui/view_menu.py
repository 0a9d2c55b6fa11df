"""View ▸ Colour map and View ▸ Value scale: how the heatmap colours J, remembered across runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from . import colormaps
from .heatmap import VALUE_SCALES

if TYPE_CHECKING:
    from .main_window import MainWindow

__all__ = ["SCALE_TITLES", "ViewActions", "add_heatmap_options"]

SCALE_TITLES = {"linear": "&Linear", "symlog": "&Symmetric log"}
_SCALE_TIPS = {
    "linear": "Colour proportional to J",
    "symlog": "Colour by sign(J)·log10(1 + |J|/t): small derivatives stay visible next to big ones",
}


@dataclass
class ViewActions:
    """The checkable actions of the View menu's heatmap options, by colour-map / scale name."""

    colormap_menu: QMenu
    scale_menu: QMenu
    colormaps: dict[str, QAction] = field(default_factory=dict)
    scales: dict[str, QAction] = field(default_factory=dict)


def add_heatmap_options(window: MainWindow, view_menu: QMenu) -> ViewActions:
    """Add the colour-map and value-scale submenus to ``view_menu``.

    The saved choice (or the default) is applied to ``window.heatmap`` at once; every later
    choice is applied and saved.
    """
    settings, heatmap = window.settings, window.heatmap
    name = settings.heatmap_colormap(colormaps.DEFAULT_COLORMAP)
    if name not in colormaps.available_colormaps():
        name = colormaps.DEFAULT_COLORMAP
    scale = settings.heatmap_value_scale("linear")
    if scale not in VALUE_SCALES:
        scale = "linear"
    heatmap.set_colormap(name)
    heatmap.set_value_scale(scale)

    actions = ViewActions(view_menu.addMenu("&Colour map"), view_menu.addMenu("Value &scale"))
    cmap_group = QActionGroup(window)
    for cmap in colormaps.available_colormaps():
        kind = "diverging, zero at the centre" if colormaps.is_diverging(cmap) else "sequential"
        action = _checkable(actions.colormap_menu, cmap_group, cmap, cmap, f"{cmap} ({kind})")
        action.setChecked(cmap == name)
        actions.colormaps[cmap] = action
    scale_group = QActionGroup(window)
    for value in VALUE_SCALES:
        action = _checkable(actions.scale_menu, scale_group, SCALE_TITLES[value], value,
                            _SCALE_TIPS[value])
        action.setChecked(value == scale)
        actions.scales[value] = action

    def on_colormap(action: QAction) -> None:
        heatmap.set_colormap(str(action.data()))
        settings.set_heatmap_colormap(str(action.data()))

    def on_scale(action: QAction) -> None:
        heatmap.set_value_scale(str(action.data()))
        settings.set_heatmap_value_scale(str(action.data()))

    # QActionGroup lives in the GUI thread, so these closures run there.
    cmap_group.triggered.connect(on_colormap)
    scale_group.triggered.connect(on_scale)
    return actions


def _checkable(menu: QMenu, group: QActionGroup, text: str, data: str, tip: str) -> QAction:
    action = QAction(text, group)
    action.setCheckable(True)
    action.setData(data)
    action.setStatusTip(tip)
    action.setToolTip(tip)
    menu.addAction(action)
    return action
