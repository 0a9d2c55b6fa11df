"""Output and input combo boxes naming one cell; kept in step with the heatmap's selection."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

__all__ = ["CellPicker"]


class CellPicker(QtWidgets.QWidget):
    """Pick ``(row, col)`` by label.

    Signals
    -------
    cell_changed(int, int)
        After the user (or :meth:`set_cell`) changes the cell.
    """

    cell_changed = QtCore.Signal(int, int)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.output = QtWidgets.QComboBox()
        self.input = QtWidgets.QComboBox()
        for combo in (self.output, self.input):
            combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.setMaxVisibleItems(20)
            combo.currentIndexChanged.connect(self._on_changed)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QtWidgets.QLabel("∂"))
        layout.addWidget(self.output)
        layout.addWidget(QtWidgets.QLabel("/ ∂"))
        layout.addWidget(self.input)

    def set_labels(self, outputs: tuple[str, ...], inputs: tuple[str, ...]) -> None:
        """Fill both boxes, keeping the cell when it still exists (silently)."""
        row, col = self.cell()
        for combo, labels, keep in ((self.output, outputs, row), (self.input, inputs, col)):
            combo.blockSignals(True)
            if tuple(combo.itemText(k) for k in range(combo.count())) != tuple(labels):
                combo.clear()
                combo.addItems(list(labels))
            combo.setCurrentIndex(keep if 0 <= keep < len(labels) else 0)
            combo.blockSignals(False)

    def set_cell(self, row: int, col: int) -> None:
        """Select ``(row, col)``; emits ``cell_changed`` once if it changed."""
        if (row, col) == self.cell():
            return
        for combo, index in ((self.output, row), (self.input, col)):
            combo.blockSignals(True)
            combo.setCurrentIndex(index)
            combo.blockSignals(False)
        self._on_changed()

    def cell(self) -> tuple[int, int]:
        """The selected ``(row, col)``; ``(-1, -1)`` parts when empty."""
        return self.output.currentIndex(), self.input.currentIndex()

    @QtCore.Slot()
    def _on_changed(self, *_: object) -> None:
        row, col = self.cell()
        if row >= 0 and col >= 0:
            self.cell_changed.emit(row, col)
