"""Method, step size, Compute/Cancel, auto-recompute and the chunk progress bar."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLineEdit, QProgressBar, QPushButton,
    QVBoxLayout, QWidget,
)

from jacgui.core.job import METHODS, JacobianOptions

_METHOD_TIPS = {
    "auto": "Reverse mode when there are fewer outputs than inputs, forward mode otherwise",
    "reverse": "Reverse-mode autodiff: one pass per output (good for few outputs)",
    "forward": "Forward-mode autodiff: one pass per input (good for few inputs)",
    "fd-forward": "Forward finite differences: f(x + h) - f(x); no gradients needed, O(h) error",
    "fd-central": "Central finite differences: f(x + h) - f(x - h); twice the cost, O(h²) error",
}


class ComputePanel(QWidget):
    """Controls of the Jacobian computation.

    Signals
    -------
    options_changed()
        The method or the step changed (a recompute is due).
    compute_requested()
        The user asked for a computation now.
    cancel_requested()
        The user asked to stop the running computation.
    """

    options_changed = Signal()
    compute_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.method = QComboBox(self)
        for index, name in enumerate(METHODS):
            self.method.addItem(name)
            self.method.setItemData(index, _METHOD_TIPS[name], Qt.ItemDataRole.ToolTipRole)
        self.method.setToolTip("How the derivatives are computed")
        self.step = QLineEdit(self)
        self.step.setPlaceholderText("default")
        self.step.setToolTip(
            "Relative finite-difference step c in h = c·max(1, |x|); empty picks √ε (forward) "
            "or ∛ε (central)"
        )
        validator = QDoubleValidator(0.0, 1.0, 12, self.step)
        validator.setNotation(QDoubleValidator.Notation.ScientificNotation)
        self.step.setValidator(validator)
        self.auto = QCheckBox("Auto-recompute", self)
        self.auto.setChecked(True)
        self.auto.setToolTip("Recompute whenever the point, method, input or output changes")
        self.compute_button = QPushButton("Compute", self)
        self.compute_button.setToolTip("Compute the Jacobian now (F5)")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop the running computation (Esc)")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("%v / %m chunks")
        self.progress.setTextVisible(True)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Method", self.method)
        form.addRow("FD step", self.step)
        buttons = QHBoxLayout()
        buttons.addWidget(self.compute_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.auto)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)

        self.method.currentTextChanged.connect(self._on_method)
        self.step.editingFinished.connect(self._on_step)
        self.compute_button.clicked.connect(self.compute_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self._last_step = ""
        self._on_method(self.method.currentText())

    # -- state --------------------------------------------------------------------------------
    def method_name(self) -> str:
        """The selected method, one of :data:`~jacgui.core.job.METHODS`."""
        return self.method.currentText()

    def set_method(self, name: str) -> None:
        """Select ``name`` (ignored when unknown)."""
        if name in METHODS:
            self.method.setCurrentText(name)

    def step_value(self) -> float | None:
        """The finite-difference step, or ``None`` for the default."""
        text = self.step.text().strip()
        if not text or not self.method_name().startswith("fd"):
            return None
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            return None
        return value if value > 0 else None

    def options(self, base: JacobianOptions | None = None) -> JacobianOptions:
        """Options for a job: the step from the field, the rest from ``base``."""
        base = base or JacobianOptions()
        return JacobianOptions(step=self.step_value(), dtype=base.dtype, memory_budget=base.memory_budget)

    def auto_recompute(self) -> bool:
        """Whether changes trigger a recompute."""
        return self.auto.isChecked()

    # -- feedback -----------------------------------------------------------------------------
    @Slot(bool)
    def set_busy(self, busy: bool) -> None:
        """Show whether a computation runs."""
        self.cancel_button.setEnabled(busy)
        if busy:
            self.progress.setRange(0, 0)  # busy indicator until the first chunk count arrives

    @Slot(int, int)
    def set_progress(self, done: int, total: int) -> None:
        """Show ``done`` of ``total`` chunks."""
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def set_finished(self, ok: bool) -> None:
        """Fill or empty the bar at the end of a computation."""
        top = max(self.progress.maximum(), 1)
        self.progress.setRange(0, top)
        self.progress.setValue(top if ok else 0)

    # -- internals ----------------------------------------------------------------------------
    @Slot(str)
    def _on_method(self, name: str) -> None:
        fd = name.startswith("fd")
        self.step.setEnabled(fd)
        self.method.setToolTip(_METHOD_TIPS.get(name, ""))
        self.options_changed.emit()

    @Slot()
    def _on_step(self) -> None:
        if self.step.text() != self._last_step:
            self._last_step = self.step.text()
            self.options_changed.emit()
