"""The point editor's slider: drags one element within ``value ± max(1, |value|)``."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSlider, QWidget

from .point_model import format_value

__all__ = ["SLIDER_STEPS", "ValueSlider"]

SLIDER_STEPS = 1000


class ValueSlider(QWidget):
    """A ``name = value`` label and a slider centred on the value when it is (re)shown.

    Signals
    -------
    moved(float)
        The value under the slider (6 significant digits) after any move: drag, keys, wheel.
    pressed()
        A drag starts (the editor saves the value for undo).
    """

    moved = Signal(float)
    pressed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lo, self._hi = 0.0, 1.0
        self.label = QLabel("—", self)
        self.label.setMinimumWidth(60)
        # The text grows with the value's digits; it must never widen the dock (and the window).
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setEnabled(False)
        self.slider.setToolTip("Drag to change the selected element within value ± max(1, |value|)")
        self.slider.sliderPressed.connect(self.pressed)
        self.slider.valueChanged.connect(self._on_value)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.slider, 2)

    def show_value(self, name: str | None, value: float = 0.0, enabled: bool = False,
                   recenter: bool = False) -> None:
        """Show ``name = value``; ``recenter`` re-spans the slider around it (not mid-drag).

        ``name=None`` shows a dash and disables the slider.
        """
        self.slider.setEnabled(bool(enabled and name is not None))
        if name is None:
            self.label.setText("—")
            return
        self.label.setText(f"{name} = {format_value(value)}")
        self.label.setToolTip(self.label.text())
        if recenter and not self.slider.isSliderDown():
            half = max(1.0, abs(value))
            self._lo, self._hi = value - half, value + half
            self.slider.blockSignals(True)
            self.slider.setValue(SLIDER_STEPS // 2)
            self.slider.blockSignals(False)

    def value_at(self, position: int) -> float:
        """The value slider position ``position`` stands for."""
        value = self._lo + (self._hi - self._lo) * position / SLIDER_STEPS
        return float(f"{value:.6g}")

    def is_dragged(self) -> bool:
        """Whether the handle is held down."""
        return self.slider.isSliderDown()

    @Slot(int)
    def _on_value(self, position: int) -> None:
        self.moved.emit(self.value_at(position))
