"""The main window's menu bar: every QAction in one place, wired to window slots."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from .view_menu import ViewActions, add_heatmap_options

if TYPE_CHECKING:
    from .main_window import MainWindow


@dataclass
class Actions:
    """The actions other code needs to reach (tests, toolbar, enabling)."""

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
    compute: QAction
    cancel: QAction
    auto: QAction
    export_heatmap: QAction
    export_data: QAction
    view: ViewActions | None = None


def _action(window: MainWindow, text: str, slot: object, shortcut: object = None, tip: str = "") -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(shortcut)  # type: ignore[arg-type]
    if tip:
        action.setToolTip(tip)
        action.setStatusTip(tip)
    action.triggered.connect(slot)
    return action


def build_menus(window: MainWindow) -> Actions:
    """Create the menu bar of ``window`` and return its actions."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    open_action = _action(
        window, "&Open model…", window.choose_model_file, QKeySequence.StandardKey.Open,
        "Open a .keras, .h5/.hdf5 or .py model (a .py model is Python code and will be run)",
    )
    open_folder = _action(window, "Open &SavedModel folder…", window.choose_model_folder,
                          tip="Open a TensorFlow SavedModel directory")
    file_menu.addAction(open_action)
    file_menu.addAction(open_folder)
    recent = file_menu.addMenu("Open &Recent")
    file_menu.addSeparator()
    load_point = _action(window, "&Load point…", window.point_editor.load_point, "Ctrl+L",
                         "Load the input point from a file")
    save_point = _action(window, "Sa&ve point…", window.point_editor.save_point,
                         QKeySequence.StandardKey.Save, "Save the input point to a file")
    file_menu.addAction(load_point)
    file_menu.addAction(save_point)
    file_menu.addSeparator()
    quit_action = _action(window, "&Quit", window.close, QKeySequence.StandardKey.Quit)
    quit_action.setMenuRole(QAction.MenuRole.QuitRole)
    file_menu.addAction(quit_action)

    edit_menu = bar.addMenu("&Edit")
    copy_image = _action(window, "Copy &image", window.exporter.copy_image, "Ctrl+Shift+C",
                         "Copy the heatmap picture to the clipboard")
    copy_values = _action(window, "Copy &values", window.exporter.copy_values, "Ctrl+Alt+C",
                          "Copy the Jacobian as tab-separated text (pastes into a spreadsheet)")
    paste_point = _action(window, "&Paste point", window.point_editor.paste_point, "Ctrl+Shift+V",
                          "Replace the input point by numbers from the clipboard")
    undo_point = window.point_editor.undo_action
    for action in (copy_image, copy_values, paste_point):
        edit_menu.addAction(action)
    edit_menu.addAction(undo_point)

    examples = bar.addMenu("E&xamples")

    compute_menu = bar.addMenu("&Compute")
    compute = _action(window, "&Compute", window.compute_now, "F5", "Compute the Jacobian now")
    cancel = _action(window, "C&ancel", window.controller.cancel, Qt.Key.Key_Escape,
                     "Stop the running computation")
    auto = QAction("&Auto-recompute", window)
    auto.setCheckable(True)
    auto.setChecked(window.compute_panel.auto.isChecked())
    auto.toggled.connect(window.compute_panel.auto.setChecked)
    window.compute_panel.auto.toggled.connect(auto.setChecked)
    for action in (compute, cancel, auto):
        compute_menu.addAction(action)

    export_menu = bar.addMenu("E&xport")
    export_heatmap = _action(window, "Export &heatmap…", window.exporter.export_heatmap,
                             "Ctrl+E", "Save the heatmap picture as PNG (1×, 2×, 4×) or SVG")
    export_data = _action(window, "Export Jacobian &data…", window.exporter.export_data,
                          "Ctrl+Shift+E", "Save the Jacobian as CSV, NPY, NPZ or JSON")
    export_menu.addAction(export_heatmap)
    export_menu.addAction(export_data)

    view_menu = bar.addMenu("&View")
    view_actions = add_heatmap_options(window, view_menu)
    view_menu.addSeparator()
    for dock in window.docks():
        view_menu.addAction(dock.toggleViewAction())

    help_menu = bar.addMenu("&Help")
    help_menu.addAction(_action(window, "&About jacgui", window.show_about))

    return Actions(open_action, open_folder, recent, examples, load_point, save_point,
                   quit_action, copy_image, copy_values, paste_point, compute, cancel, auto,
                   export_heatmap, export_data, view_actions)


def fill_recent(window: MainWindow, menu: QMenu, paths: list[str]) -> None:
    """Rebuild the Open Recent menu from ``paths`` (newest first)."""
    menu.clear()
    for index, path in enumerate(paths):
        action = menu.addAction(f"&{(index + 1) % 10} {Path(path).name}")
        action.setToolTip(path)
        action.setStatusTip(path)
        action.setData(path)
        action.triggered.connect(window.open_recent)
    menu.setEnabled(bool(paths))
    if paths:
        menu.addSeparator()
        menu.addAction("Clear list", window.clear_recent)


def fill_examples(window: MainWindow, menu: QMenu, examples: dict[str, Path]) -> None:
    """List the bundled example models."""
    menu.clear()
    for title, path in examples.items():
        action = menu.addAction(title)
        action.setData(str(path))
        action.setStatusTip(str(path.name))
        action.triggered.connect(window.open_recent)
    menu.setEnabled(bool(examples))
