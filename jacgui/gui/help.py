"""The Help menu's windows: keyboard shortcuts, formats, the user guides and About."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMenuBar,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

__all__ = ["FORMATS", "show_about", "show_document", "show_formats", "show_shortcuts",
           "shortcut_rows"]

FORMATS = """\
## Models
| format | how jacgui loads it |
|---|---|
| `.keras` | Keras 3, `compile=False`, safe mode on; Lambda layers need trust |
| `.h5` / `.hdf5` | legacy Keras (Keras 2 files too), `compile=False`, safe mode on |
| SavedModel folder | its serving signature, after a scan of every op it can run |
| `.py` | defines `f(x)` for one point; optional `INPUT_SHAPE`, `POINT`, names. **It runs.** |

Every model runs in a separate engine process, sandboxed unless you trust it.

A sidecar `<model>.jacgui.json` next to the model can name the elements and give a default point:
`{"inputs": {"x": {"names": [...], "point": [...]}}, "outputs": {"y": {"names": [...]}}}`.

## Points
`.npy`, `.npz` (one array per input, by name), `.csv` (one value per row, or `label,value` rows),
`.json` (a list, or `{label: value}`), and PNG/JPEG for image inputs (resized to the input).

## Exports
Heatmap: PNG at 1×, 2× or 4×, or SVG, titled. Data: CSV with labels, NPY, NPZ with labels,
JSON with matrix, point, outputs, labels, method, steps and timing.
"""


def shortcut_rows(menubar: QMenuBar) -> list[tuple[str, str]]:
    """``(menu ▸ item, shortcut)`` for every menu action that has a shortcut."""
    rows: list[tuple[str, str]] = []
    for top in menubar.actions():
        menu = top.menu()
        if menu is None:
            continue
        for action in _actions(menu):
            key = action.shortcut().toString()
            if key:
                rows.append((f"{_plain(top.text())} ▸ {_plain(action.text())}", key))
    return rows


def _actions(menu: Any) -> list[QAction]:
    found = []
    for action in menu.actions():
        if action.menu() is not None:
            found += _actions(action.menu())
        elif not action.isSeparator():
            found.append(action)
    return found


def _plain(text: str) -> str:
    return text.replace("&", "")


def _show(parent: QWidget, title: str, markdown: str) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    browser = QTextBrowser(dialog)
    browser.setOpenExternalLinks(True)
    browser.setMarkdown(markdown)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
    buttons.rejected.connect(dialog.close)
    layout = QVBoxLayout(dialog)
    layout.addWidget(browser, 1)
    layout.addWidget(buttons)
    dialog.resize(720, 560)
    dialog.open()  # not modal to the application: the window stays usable
    return dialog


def show_shortcuts(parent: QWidget, menubar: QMenuBar) -> QDialog:
    """A table of every keyboard shortcut of the menus, plus the heatmap's own keys."""
    rows = shortcut_rows(menubar)
    rows += [("Heatmap ▸ move the selected cell", "Arrow keys"),
             ("Point editor ▸ edit the selected value", "type, or F2 / double click")]
    table = "\n".join(f"| {what} | `{key}` |" for what, key in rows)
    return _show(parent, "Keyboard shortcuts", f"| action | keys |\n|---|---|\n{table}\n")


def show_formats(parent: QWidget) -> QDialog:
    """What jacgui reads and writes."""
    return _show(parent, "Model and point formats", FORMATS)


def show_document(parent: QWidget, name: str) -> QDialog:
    """One of jacgui's guides (``analyses.md``, ``safety.md``), shipped with the package."""
    try:
        from jacgui._resources import document_path

        text = document_path(name).read_text(encoding="utf-8")
    except (OSError, ImportError) as exc:
        text = f"The guide {name} is not installed with this copy of jacgui ({exc})."
    return _show(parent, name, text)


def show_about(parent: QWidget, state: Any) -> QDialog:
    """Version, engine and sandbox."""
    from jacgui import __version__

    engine = state.engine
    lines = [f"# jacgui {__version__}", "Explore the Jacobian of TensorFlow models.", ""]
    if engine.ready:
        lines += [f"Engine: {engine.device}", "", engine.sandbox or ""]
    return _show(parent, "About jacgui", "\n".join(lines))
