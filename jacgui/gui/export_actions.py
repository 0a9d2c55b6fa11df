"""Export and clipboard actions of the main window: pictures via ``picture_export``, numbers via
``core.export``. Every failure becomes a one-line message, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QApplication

from jacgui.core.errors import JacguiError

if TYPE_CHECKING:
    from .main_window import MainWindow

PICTURE_FILTERS = {
    "PNG image, 1× (*.png)": 1.0,
    "PNG image, 2× (*.png)": 2.0,
    "PNG image, 4× (*.png)": 4.0,
    "SVG drawing (*.svg)": None,
}
DATA_FILTERS = "CSV (*.csv);;NumPy array (*.npy);;NumPy archive with labels (*.npz);;JSON (*.json)"
_DATA_SUFFIX = {"CSV": ".csv", "NumPy array": ".npy", "NumPy archive": ".npz", "JSON": ".json"}


class Exporter(QObject):
    """Saves and copies what the window shows."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window

    def _result(self):  # noqa: ANN202 - JacobianResult | None
        result = self._window.result
        if result is None:
            self._window.show_message("Nothing to export yet: no Jacobian has been computed")
        return result

    @Slot()
    def export_heatmap(self) -> None:
        """Ask for a file and save the heatmap as PNG (chosen scale) or SVG."""
        if self._result() is None:
            return
        answer = self._window.dialogs.save_file(
            self._window, "Export heatmap", self._window.settings.last_dir(),
            ";;".join(PICTURE_FILTERS),
        )
        if answer:
            path, chosen = answer
            self.save_picture(path, PICTURE_FILTERS.get(chosen, 2.0))

    def save_picture(self, path: str, scale: float | None = 2.0) -> bool:
        """Write the heatmap to ``path``; ``scale=None`` or a .svg suffix writes SVG."""
        target = Path(path)
        if scale is None and target.suffix.lower() != ".svg":
            target = target.with_suffix(".svg")
        elif scale is not None and target.suffix.lower() not in (".png", ".svg"):
            target = target.with_suffix(".png")
        try:
            from . import picture_export

            if target.suffix.lower() == ".svg":
                picture_export.export_svg(self._window.heatmap, target)
            else:
                picture_export.export_png(self._window.heatmap, target, scale=scale or 2.0)
        except (JacguiError, OSError, ValueError, RuntimeError, ImportError) as exc:
            self._window.show_error(f"Could not export the heatmap: {_one_line(exc)}")
            return False
        self._window.settings.set_last_dir(target)
        self._window.show_message(f"Saved {target.name}")
        return True

    @Slot()
    def export_data(self) -> None:
        """Ask for a file and save the Jacobian's numbers."""
        if self._result() is None:
            return
        answer = self._window.dialogs.save_file(
            self._window, "Export Jacobian data", self._window.settings.last_dir(), DATA_FILTERS
        )
        if answer:
            path, chosen = answer
            if not Path(path).suffix:
                path += next((s for k, s in _DATA_SUFFIX.items() if chosen.startswith(k)), ".csv")
            self.save_data(path)

    def save_data(self, path: str) -> bool:
        """Write the Jacobian to ``path`` in the format its suffix names."""
        result = self._result()
        if result is None:
            return False
        try:
            from jacgui.core.export import save_result

            save_result(result, path)
        except (JacguiError, OSError, ValueError) as exc:
            self._window.show_error(f"Could not export the data: {_one_line(exc)}")
            return False
        self._window.settings.set_last_dir(path)
        self._window.show_message(f"Saved {Path(path).name}")
        return True

    @Slot()
    def copy_image(self) -> None:
        """Put the heatmap picture on the clipboard."""
        if self._result() is not None:
            QApplication.clipboard().setPixmap(self._window.heatmap.grab())
            self._window.show_message("Heatmap copied to the clipboard")

    @Slot()
    def copy_values(self) -> None:
        """Put the Jacobian on the clipboard as tab-separated text."""
        result = self._result()
        if result is None:
            return
        try:
            from jacgui.core.export import result_to_text

            QApplication.clipboard().setText(result_to_text(result))
        except (JacguiError, ValueError) as exc:
            self._window.show_error(f"Could not copy the values: {_one_line(exc)}")
            return
        self._window.show_message(f"Copied {result.shape[0]}×{result.shape[1]} values")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
