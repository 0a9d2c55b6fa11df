"""Method, step size, Compute/Cancel, auto-recompute and the chunk progress bar with its ETA.

A view of :class:`~jacgui.gui.state.WindowState`: the controls write ``state.method``,
``state.step`` and ``state.auto_recompute``; the progress bar shows ``state.job``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from jacgui.core.job import METHODS

from .jacobian_flow import ETA_SHOWN_SECONDS, format_duration
from .state import WindowState

METHOD_TIPS = {
    "auto": "Reverse mode when there are fewer outputs than inputs, forward mode otherwise",
    "reverse": "Reverse-mode autodiff: one pass per output (good for few outputs)",
    "forward": "Forward-mode autodiff: one pass per input (good for few inputs)",
    "fd-forward": "Forward finite differences f(x + h) - f(x), Richardson-extrapolated; "
                  "no gradients needed",
    "fd-central": "Central finite differences f(x + h) - f(x - h), Richardson-extrapolated; "
                  "twice the cost of forward differences, far more accurate",
}


class ComputePanel(QWidget):
    """Controls of the Jacobian computation.

    Parameters
    ----------
    state : WindowState
    compute, cancel : callable
        Start the Jacobian now / stop it (the window's actions).
    parent : QWidget, optional
    """

    def __init__(self, state: WindowState, compute: Callable[[], object],
                 cancel: Callable[[], object], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self.method = QComboBox(self)
        for index, name in enumerate(METHODS):
            self.method.addItem(name)
            self.method.setItemData(index, METHOD_TIPS[name], Qt.ItemDataRole.ToolTipRole)
        self.step = QLineEdit(self)
        self.step.setPlaceholderText("default")
        self.step.setToolTip(
            "Relative finite-difference step c in h = c·max(1, |x|); empty picks the step "
            "that suits the method and the evaluation precision"
        )
        validator = QDoubleValidator(0.0, 1.0, 12, self.step)
        validator.setNotation(QDoubleValidator.Notation.ScientificNotation)
        self.step.setValidator(validator)
        self.auto = QCheckBox("Auto-recompute", self)
        self.auto.setToolTip("Recompute whenever the point, method, input or output changes")
        self.compute_button = QPushButton("Compute", self)
        self.compute_button.setToolTip("Compute the Jacobian now (F5)")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop the running computation (Esc)")
        self.progress = QProgressBar(self)
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
        self.auto.toggled.connect(state.set_auto_recompute)
        self.compute_button.clicked.connect(lambda: compute())
        self.cancel_button.clicked.connect(lambda: cancel())
        state.method_changed.connect(self._show_method)
        state.model_changed.connect(self._show_method)
        state.job_changed.connect(self._show_job)
        state.result_changed.connect(self._show_job)
        self._show_method()
        self._show_job()

    # -- state -> widgets ---------------------------------------------------------------------
    @Slot()
    def _show_method(self) -> None:
        state = self._state
        self.method.blockSignals(True)
        self.method.setCurrentText(state.method)
        self.method.blockSignals(False)
        self.method.setToolTip(METHOD_TIPS.get(state.method, ""))
        self.step.setEnabled(state.method.startswith("fd"))
        text = "" if state.step is None else f"{state.step:g}"
        if self.step.text() != text and not self.step.hasFocus():
            self.step.setText(text)
        self.auto.blockSignals(True)
        self.auto.setChecked(state.auto_recompute)
        self.auto.blockSignals(False)
        self.compute_button.setEnabled(state.model is not None)

    @Slot()
    def _show_job(self) -> None:
        job = self._state.job
        self.cancel_button.setEnabled(job.busy)
        if job.busy and job.total == 0:
            self.progress.setRange(0, 0)  # busy until the first chunk count arrives
            return
        if job.busy:
            self.progress.setRange(0, max(job.total, 1))
            self.progress.setValue(job.done)
            eta = job.eta_seconds
            suffix = (f" · {format_duration(eta)} left"
                      if eta is not None and eta >= ETA_SHOWN_SECONDS else "")
            self.progress.setFormat(f"%v / %m chunks{suffix}")
            return
        # Idle: full after a result, empty after a failure or a cancel (or before anything).
        done = job.outcome == "done"
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if done else 0)
        self.progress.setFormat("%v / %m chunks" if done else "")

    # -- widgets -> state ---------------------------------------------------------------------
    @Slot(str)
    def _on_method(self, name: str) -> None:
        self._state.set_method(name)

    @Slot()
    def _on_step(self) -> None:
        text = self.step.text().strip().replace(",", ".")
        try:
            value = float(text) if text else None
        except ValueError:
            value = None
        self._state.set_step(value if value is None or value > 0 else None)
