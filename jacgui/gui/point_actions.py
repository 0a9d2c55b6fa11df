"""Load, save and paste actions of the point editor (files and clipboard).

A mixin of :class:`~jacgui.gui.point_editor.PointEditor`: it uses the editor's ``_spec()``,
``set_values()``, ``dialogs``, ``last_dir`` and ``message``. Every failure becomes a one-line
message and leaves the values as they were.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QApplication

from jacgui.core.errors import JacguiError

if TYPE_CHECKING:
    from .point_editor import PointEditor as _Base
else:
    _Base = object

POINT_FILTERS = "Points (*.npy *.npz *.csv *.json);;All files (*)"
IMAGE_FILTERS = "Points or images (*.npy *.npz *.csv *.json *.png *.jpg *.jpeg);;All files (*)"


class PointFileActions(_Base):
    """Bulk changes of the edited input that come from outside the window."""

    @Slot()
    def paste_point(self) -> None:
        """Parse the clipboard's text as this input's value."""
        spec = self._spec()
        if spec is None:
            return
        text = QApplication.clipboard().text()
        try:
            from jacgui.core.points import parse_point_text

            self.set_values(parse_point_text(text, spec))
        except (JacguiError, ValueError) as exc:
            self.message.emit(f"Paste: {_one_line(exc)}")

    @Slot()
    def load_point(self) -> None:
        """Ask for a file and load this input's value from it."""
        spec = self._spec()
        if spec is None:
            return
        filters = IMAGE_FILTERS if spec.is_image else POINT_FILTERS
        path = self.dialogs.open_file(self, f"Load point for {spec.name}", self.last_dir, filters)
        if path:
            self.load_point_file(path)

    def load_point_file(self, path: str) -> bool:
        """Load this input's value from ``path``; a failure is reported, values are kept."""
        spec = self._spec()
        if spec is None:
            return False
        try:
            from jacgui.core import points

            if Path(path).suffix.lower() in (".png", ".jpg", ".jpeg"):
                values = points.point_from_image(path, spec)
            else:
                values = points.read_point(path, spec)
            self.set_values(values)
        except (JacguiError, OSError, ValueError) as exc:
            self.message.emit(f"Could not load the point: {_one_line(exc)}")
            return False
        self.last_dir = str(Path(path).parent)
        self.message.emit(f"Loaded point from {Path(path).name}")
        return True

    @Slot()
    def save_point(self) -> None:
        """Ask for a file and write this input's value to it."""
        spec = self._spec()
        if spec is None:
            return
        answer = self.dialogs.save_file(self, f"Save point of {spec.name}", self.last_dir, POINT_FILTERS)
        if not answer:
            return
        path = answer[0]
        if not Path(path).suffix:
            path += ".npy"
        try:
            from jacgui.core.points import write_point

            write_point(path, self.values(), spec)
        except (JacguiError, OSError, ValueError) as exc:
            self.message.emit(f"Could not save the point: {_one_line(exc)}")
            return
        self.last_dir = str(Path(path).parent)
        self.message.emit(f"Saved point to {Path(path).name}")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
