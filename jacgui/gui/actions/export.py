"""Export and clipboard actions: the heatmap picture and the Jacobian's numbers.

Pictures come from the heatmap view (:mod:`jacgui.gui.picture_export`), numbers from
:mod:`jacgui.core.export`. Every failure becomes a one-line error, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication

from jacgui.core.errors import JacguiError
from jacgui.core.reasons import one_line

from ..state import WindowState

__all__ = [
    "DATA_FILTERS", "PICTURE_FILTERS", "copy_image", "copy_values", "export_data",
    "export_heatmap", "heatmap_title", "save_data", "save_picture",
]

PICTURE_FILTERS = {
    "PNG image, 1× (*.png)": 1.0,
    "PNG image, 2× (*.png)": 2.0,
    "PNG image, 4× (*.png)": 4.0,
    "SVG drawing (*.svg)": None,
}
DATA_FILTERS = "CSV (*.csv);;NumPy array (*.npy);;NumPy archive with labels (*.npz);;JSON (*.json)"
_DATA_SUFFIX = {"CSV": ".csv", "NumPy array": ".npy", "NumPy archive": ".npz", "JSON": ".json"}


def _result(state: WindowState) -> Any:
    if state.result is None:
        state.inform("Nothing to export yet: no Jacobian has been computed")
    return state.result


def heatmap_title(result: Any, view_title: str = "") -> str:
    """The title of an exported heatmap: what is differentiated, by which method, and the view."""
    title = f"∂ {result.output_name} / ∂ {result.input_name}  ({result.method})"
    return f"{title} — {view_title}" if view_title else title


def export_heatmap(state: WindowState, heatmap: Any, dialogs: Any, settings: Any,
                   parent: Any = None) -> Path | None:
    """Ask for a file and save the heatmap as PNG (the chosen scale) or SVG."""
    if _result(state) is None:
        return None
    answer = dialogs.save_file(parent, "Export heatmap", settings.last_dir(),
                               ";;".join(PICTURE_FILTERS))
    if not answer:
        return None
    path, chosen = answer
    return save_picture(state, heatmap, path, PICTURE_FILTERS.get(chosen, 2.0), settings)


def save_picture(state: WindowState, heatmap: Any, path: str | Path,
                 scale: float | None = 2.0, settings: Any = None) -> Path | None:
    """Write the heatmap, titled, to ``path``; ``scale=None`` or a .svg suffix writes SVG."""
    target = Path(path)
    if scale is None and target.suffix.lower() != ".svg":
        target = target.with_suffix(".svg")
    elif scale is not None and target.suffix.lower() not in (".png", ".svg"):
        target = target.with_suffix(".png")
    try:
        from .. import picture_export

        with picture_export.titled(heatmap, heatmap_title(state.result, heatmap.title())):
            if target.suffix.lower() == ".svg":
                picture_export.export_svg(heatmap, target)
            else:
                picture_export.export_png(heatmap, target, scale=scale or 2.0)
    except (JacguiError, OSError, ValueError, RuntimeError) as exc:
        state.report_error(f"Could not export the heatmap: {one_line(exc)}")
        return None
    if settings is not None:
        settings.set_last_dir(target)
    state.inform(f"Saved {target.name}")
    return target


def export_data(state: WindowState, dialogs: Any, settings: Any, parent: Any = None) -> Path | None:
    """Ask for a file and save the Jacobian's numbers."""
    if _result(state) is None:
        return None
    answer = dialogs.save_file(parent, "Export Jacobian data", settings.last_dir(), DATA_FILTERS)
    if not answer:
        return None
    path, chosen = answer
    if not Path(path).suffix:
        path += next((s for k, s in _DATA_SUFFIX.items() if chosen.startswith(k)), ".csv")
    return save_data(state, path, settings)


def save_data(state: WindowState, path: str | Path, settings: Any = None) -> Path | None:
    """Write the Jacobian to ``path`` in the format its suffix names."""
    result = _result(state)
    if result is None:
        return None
    try:
        from jacgui.core.export import save_result

        written = save_result(result, path)
    except (JacguiError, OSError, ValueError) as exc:
        state.report_error(f"Could not export the data: {one_line(exc)}")
        return None
    if settings is not None:
        settings.set_last_dir(path)
    state.inform(f"Saved {Path(path).name}")
    return Path(written)


def copy_image(state: WindowState, heatmap: Any) -> None:
    """Put the heatmap picture on the clipboard."""
    if _result(state) is not None:
        QApplication.clipboard().setPixmap(heatmap.grab())
        state.inform("Heatmap copied to the clipboard")


def copy_values(state: WindowState) -> None:
    """Put the Jacobian on the clipboard as tab-separated text."""
    result = _result(state)
    if result is None:
        return
    try:
        from jacgui.core.export import result_to_text

        QApplication.clipboard().setText(result_to_text(result))
    except (JacguiError, ValueError) as exc:
        state.report_error(f"Could not copy the values: {one_line(exc)}")
        return
    state.inform(f"Copied {result.shape[0]}×{result.shape[1]} values")
