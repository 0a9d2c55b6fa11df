"""Table model behind the point editor: one row per flattened element, label | value.

Typed values are parsed in :meth:`PointTableModel.setData`; a value that does not parse (or is
not finite, or not an integer for an integer input) is refused, the cell is painted red with a
tooltip saying why, and the stored value is left as it was.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPixmap

from jacgui.core.spec import TensorInfo

Index = QModelIndex | QPersistentModelIndex
_BAD = QBrush(QColor(255, 205, 205))
_EDITED = QBrush(QColor(255, 248, 214))


def format_value(value: float) -> str:
    """Compact display of one value: up to 7 significant digits."""
    return f"{float(value):.7g}"


def parse_value(text: str, integer: bool) -> float:
    """Parse one typed value.

    Raises
    ------
    ValueError
        With a short, user-facing reason.
    """
    cleaned = text.strip().replace("−", "-")
    if not cleaned:
        raise ValueError("empty value")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"'{text.strip()}' is not a number") from None
    if not np.isfinite(value):
        raise ValueError("value must be finite")
    if integer and value != int(value):
        raise ValueError("this input takes whole numbers")
    return value


class PointTableModel(QAbstractTableModel):
    """The values of one input, flattened row-major, editable in column 1."""

    value_edited = Signal(int, float)  # row, new value
    rejected = Signal(int, str)  # row, reason

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._spec: TensorInfo | None = None
        self._labels: list[str] = []
        self._values = np.zeros(0)
        self._default = np.zeros(0)
        self._bad: dict[int, str] = {}

    # -- content ------------------------------------------------------------------------------
    def set_input(self, spec: TensorInfo | None, values: np.ndarray, default: np.ndarray) -> None:
        """Show ``values`` (any shape matching ``spec``) for input ``spec``."""
        self.beginResetModel()
        self._spec = spec
        self._labels = spec.element_labels() if spec is not None else []
        self._values = np.array(values, dtype=float).reshape(-1)
        self._default = np.array(default, dtype=float).reshape(-1)
        self._bad = {}
        self.endResetModel()

    def set_values(self, values: np.ndarray) -> None:
        """Replace every value (a load, paste, reset or randomise)."""
        self._values = np.array(values, dtype=float).reshape(-1).copy()
        self._bad = {}
        if self._values.size:
            self.dataChanged.emit(self.index(0, 0), self.index(self._values.size - 1, 1))

    def set_value(self, row: int, value: float) -> None:
        """Set one value without validation (the slider)."""
        self._values[row] = value
        self._bad.pop(row, None)
        self.dataChanged.emit(self.index(row, 0), self.index(row, 1))

    def values(self) -> np.ndarray:
        """A copy of the flattened values."""
        return self._values.copy()

    def spec(self) -> TensorInfo | None:
        """The input being edited."""
        return self._spec

    def clear_marks(self) -> None:
        """Forget refused entries (a value was accepted since: the mark has done its job)."""
        if self._bad:
            rows = list(self._bad)
            self._bad = {}
            for row in rows:
                self.dataChanged.emit(self.index(row, 0), self.index(row, 1))

    def bad_rows(self) -> dict[int, str]:
        """Rows whose last typed value was refused, with the reason."""
        return dict(self._bad)

    # -- Qt model API -------------------------------------------------------------------------
    def rowCount(self, parent: Index | None = None) -> int:
        """One row per element (Qt model API)."""
        return 0 if parent is not None and parent.isValid() else int(self._values.size)

    def columnCount(self, parent: Index | None = None) -> int:
        """Label and value (Qt model API)."""
        return 0 if parent is not None and parent.isValid() else 2

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        """Column titles (Qt model API)."""
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return ("Element", "Value")[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Only values can be edited (Qt model API)."""
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base | Qt.ItemFlag.ItemIsEditable if index.column() == 1 else base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """What a cell shows: label, value, refusal marks and tips (Qt model API)."""
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._labels[row] if col == 0 else format_value(self._values[row])
        if role == Qt.ItemDataRole.EditRole and col == 1:
            return repr(float(self._values[row]))
        if role == Qt.ItemDataRole.BackgroundRole and col == 1:
            if row in self._bad:
                return _BAD
            if self._default.size == self._values.size and self._values[row] != self._default[row]:
                return _EDITED
        if role == Qt.ItemDataRole.ToolTipRole:
            if row in self._bad:
                kept = format_value(self._values[row])
                return f"Not accepted: {self._bad[row]}. The value stays {kept}."
            if col == 1 and self._default.size == self._values.size:
                return f"default {format_value(self._default[row])}"
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Accept a typed value, or refuse it with a reason and mark the cell (Qt model API)."""
        if not index.isValid() or index.column() != 1 or role != Qt.ItemDataRole.EditRole:
            return False
        row = index.row()
        integer = self._spec is not None and not self._spec.is_float
        try:
            number = parse_value(str(value), integer)
        except ValueError as exc:
            self._bad[row] = str(exc)
            self.dataChanged.emit(index, index)
            self.rejected.emit(row, str(exc))
            return False
        self._bad.pop(row, None)
        changed = number != self._values[row]
        self._values[row] = number
        self.dataChanged.emit(self.index(row, 0), index)
        if changed:
            self.value_edited.emit(row, number)
        return True


def array_pixmap(values: np.ndarray, size: int) -> QPixmap:
    """Grey or RGB picture of an image-shaped array, scaled to its own min..max.

    The array is laid out by the one image rule (:mod:`jacgui.core.images`): channels first
    or last, one to four channels (a fourth, alpha, is not drawn).
    """
    from jacgui.core.images import image_layout

    array = np.asarray(values, dtype=float)
    layout = image_layout(array.shape)
    image_hwc = layout.to_hwc(array) if layout is not None else array.reshape(*array.shape, 1)
    array = image_hwc[..., :3] if image_hwc.shape[2] >= 3 else image_hwc[..., 0]
    finite = array[np.isfinite(array)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    scaled = np.nan_to_num((array - lo) / (hi - lo if hi > lo else 1.0))
    pixels = np.ascontiguousarray((np.clip(scaled, 0, 1) * 255).astype(np.uint8))
    h, w = pixels.shape[:2]
    if pixels.ndim == 3:
        image = QImage(pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    else:
        image = QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8)
    return QPixmap.fromImage(image.copy()).scaled(
        size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
    )
