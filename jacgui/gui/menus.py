"""The menu bar: every QAction in one place, each bound to a command given by the composition root.

Nothing here knows the main window's class: the menus take a :class:`Commands` bundle of plain
callables and the state, whose changes they show (checked items, enabled actions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu

from . import colormaps
from .heatmap import VALUE_SCALES
from .state import WindowState

__all__ = ["SCALE_TITLES", "Actions", "Commands", "build_menus", "fill_examples", "fill_recent"]

SCALE_TITLES = {"linear": "&Linear", "symlog": "&Symmetric log"}
_SCALE_TIPS = {
    "linear": "Colour proportional to J",
    "symlog": "Colour by sign(J)·log10(1 + |J|/t): small derivatives stay visible next to big ones",
}

Command = Callable[[], object]


@dataclass
class Commands:
    """What the menu items do; every field is a callable taking no argument."""

    open_file: Command
    open_folder: Command
    clear_recent: Command
    load_point: Command
    save_point: Command
    quit: Command
    copy_image: Command
    copy_values: Command
    paste_point: Command
    undo_point: Command
    compute: Command
    cancel: Command
    export_heatmap: Command
    export_data: Command
    show_shortcuts: Command
    show_formats: Command
    show_guide: Command
    show_safety: Command
    show_about: Command
    open_path: Callable[[str], object] = field(default=lambda path: None)


@dataclass
class Actions:
    """The actions other code needs to reach (tests, enabling)."""

    open: QAction
    open_folder: QAction
    recent: QMenu
    examples: QMenu
    load_point: QAction
    save_point: QAction
    quit: QAction
    copy_image: QAction
    copy_values: QAction
    paste_point: QAction
    undo_point: QAction
    compute: QAction
    cancel: QAction
    auto: QAction
    export_heatmap: QAction
    export_data: QAction
    colormaps: dict[str, QAction] = field(default_factory=dict)
    scales: dict[str, QAction] = field(default_factory=dict)


def _action(parent: QMainWindow, text: str, slot: Command, shortcut: object = None,
            tip: str = "") -> QAction:
    action = QAction(text, parent)
    if shortcut is not None:
        action.setShortcut(shortcut)  # type: ignore[arg-type]
    if tip:
        action.setToolTip(tip)
        action.setStatusTip(tip)
    action.triggered.connect(lambda: slot())
    return action


def build_menus(window: QMainWindow, state: WindowState, commands: Commands,
                docks: list[QDockWidget]) -> Actions:
    """Create the menu bar of ``window`` and return its actions."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    open_action = _action(
        window, "&Open model…", commands.open_file, QKeySequence.StandardKey.Open,
        "Open a .keras, .h5/.hdf5 or .py model (a .py model is Python code and will be run)")
    open_folder = _action(window, "Open &SavedModel folder…", commands.open_folder,
                          tip="Open a TensorFlow SavedModel directory")
    file_menu.addAction(open_action)
    file_menu.addAction(open_folder)
    recent = file_menu.addMenu("Open &Recent")
    file_menu.addSeparator()
    load_point = _action(window, "&Load point…", commands.load_point, "Ctrl+L",
                         "Load the input point from a file")
    save_point = _action(window, "Sa&ve point…", commands.save_point,
                         QKeySequence.StandardKey.Save, "Save the input point to a file")
    file_menu.addAction(load_point)
    file_menu.addAction(save_point)
    file_menu.addSeparator()
    quit_action = _action(window, "&Quit", commands.quit, QKeySequence.StandardKey.Quit)
    quit_action.setMenuRole(QAction.MenuRole.QuitRole)
    file_menu.addAction(quit_action)

    edit_menu = bar.addMenu("&Edit")
    copy_image = _action(window, "Copy &image", commands.copy_image, "Ctrl+Shift+C",
                         "Copy the heatmap picture to the clipboard")
    copy_values = _action(window, "Copy &values", commands.copy_values, "Ctrl+Alt+C",
                          "Copy the Jacobian as tab-separated text (pastes into a spreadsheet)")
    paste_point = _action(window, "&Paste point", commands.paste_point, "Ctrl+Shift+V",
                          "Replace the input point by numbers from the clipboard")
    undo_point = _action(window, "&Undo point change", commands.undo_point,
                         QKeySequence.StandardKey.Undo, "Undo the last change to the point")
    undo_point.setEnabled(False)
    state.point.history_changed.connect(undo_point.setEnabled)
    for action in (copy_image, copy_values, paste_point, undo_point):
        edit_menu.addAction(action)

    examples = bar.addMenu("E&xamples")

    compute_menu = bar.addMenu("&Compute")
    compute = _action(window, "&Compute", commands.compute, "F5", "Compute the Jacobian now")
    cancel = _action(window, "C&ancel", commands.cancel, Qt.Key.Key_Escape,
                     "Stop the running computation")
    auto = QAction("&Auto-recompute", window)
    auto.setCheckable(True)
    auto.setChecked(state.auto_recompute)
    auto.toggled.connect(state.set_auto_recompute)
    state.method_changed.connect(lambda: auto.setChecked(state.auto_recompute))
    for action in (compute, cancel, auto):
        compute_menu.addAction(action)

    export_menu = bar.addMenu("E&xport")
    export_heatmap = _action(window, "Export &heatmap…", commands.export_heatmap, "Ctrl+E",
                             "Save the heatmap picture as PNG (1×, 2×, 4×) or SVG")
    export_data = _action(window, "Export Jacobian &data…", commands.export_data,
                          "Ctrl+Shift+E", "Save the Jacobian as CSV, NPY, NPZ or JSON")
    export_menu.addAction(export_heatmap)
    export_menu.addAction(export_data)

    actions = Actions(open_action, open_folder, recent, examples, load_point, save_point,
                      quit_action, copy_image, copy_values, paste_point, undo_point, compute,
                      cancel, auto, export_heatmap, export_data)
    view_menu = bar.addMenu("&View")
    _add_colour_options(window, view_menu, state, actions)
    view_menu.addSeparator()
    for dock in docks:
        view_menu.addAction(dock.toggleViewAction())

    help_menu = bar.addMenu("&Help")
    help_menu.addAction(_action(window, "&Keyboard shortcuts", commands.show_shortcuts, "F1"))
    help_menu.addAction(_action(window, "Model and point &formats", commands.show_formats))
    help_menu.addAction(_action(window, "&Guide to the analyses", commands.show_guide))
    help_menu.addAction(_action(window, "&Safety of model files", commands.show_safety))
    help_menu.addSeparator()
    help_menu.addAction(_action(window, "&About jacgui", commands.show_about))
    return actions


def _add_colour_options(window: QMainWindow, view_menu: QMenu, state: WindowState,
                        actions: Actions) -> None:
    cmap_menu = view_menu.addMenu("&Colour map")
    scale_menu = view_menu.addMenu("Value &scale")
    cmap_group, scale_group = QActionGroup(window), QActionGroup(window)
    for name in colormaps.available_colormaps():
        kind = "diverging, zero at the centre" if colormaps.is_diverging(name) else "sequential"
        actions.colormaps[name] = _checkable(cmap_menu, cmap_group, name, name, f"{name} ({kind})")
    for scale in VALUE_SCALES:
        actions.scales[scale] = _checkable(scale_menu, scale_group, SCALE_TITLES[scale], scale,
                                           _SCALE_TIPS[scale])

    def show() -> None:
        for name, action in actions.colormaps.items():
            action.setChecked(name == state.view.colormap)
        for scale, action in actions.scales.items():
            action.setChecked(scale == state.view.value_scale)

    cmap_group.triggered.connect(lambda a: state.set_view(colormap=str(a.data())))
    scale_group.triggered.connect(lambda a: state.set_view(value_scale=str(a.data())))
    state.view_changed.connect(show)
    show()


def _checkable(menu: QMenu, group: QActionGroup, text: str, data: str, tip: str) -> QAction:
    action = QAction(text, group)
    action.setCheckable(True)
    action.setData(data)
    action.setStatusTip(tip)
    action.setToolTip(tip)
    menu.addAction(action)
    return action


def fill_recent(menu: QMenu, paths: list[str], open_path: Callable[[str], object],
                clear: Command) -> None:
    """Rebuild the Open Recent menu from ``paths`` (newest first)."""
    menu.clear()
    for index, path in enumerate(paths):
        action = menu.addAction(f"&{(index + 1) % 10} {Path(path).name}")
        action.setToolTip(path)
        action.setStatusTip(path)
        action.setData(path)
        action.triggered.connect(lambda _=False, p=path: open_path(p))
    menu.setEnabled(bool(paths))
    if paths:
        menu.addSeparator()
        menu.addAction("Clear list", lambda: clear())


def fill_examples(menu: QMenu, examples: dict[str, Path],
                  open_path: Callable[[str], object]) -> None:
    """List the bundled example models."""
    menu.clear()
    for title, path in examples.items():
        action = menu.addAction(title)
        action.setData(str(path))
        action.setStatusTip(str(path.name))
        action.triggered.connect(lambda _=False, p=str(path): open_path(p))
    menu.setEnabled(bool(examples))
