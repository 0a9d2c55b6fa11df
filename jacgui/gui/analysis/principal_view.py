"""Principal directions: singular values, condition number, and the singular vectors.

Singular values on a log axis, v_k over the inputs and u_k over the outputs, and a button that
moves the point along ±v_k.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from .bars import BarPlot
from .base import plot_widget, style_plot
from .jobs import principal_job
from .task_view import TaskView

__all__ = ["PrincipalView"]

#: Directions computed (and selectable) at most.
TOP_K = 5


class PrincipalView(TaskView):
    """The SVD ``J = U diag(s) Vᵀ`` of the displayed Jacobian, made readable.

    Signals
    -------
    move_requested(object)
        New values of the differentiated input (flat), for the point editor.
    """

    kind = "svd"
    export_name = "principal_directions"
    hint = "Compute a Jacobian to see its principal directions."
    move_requested = QtCore.Signal(object)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Principal directions (singular value decomposition)", parent)
        self.direction = QtWidgets.QSpinBox()
        self.direction.setRange(1, 1)
        self.direction.setPrefix("k = ")
        self.direction.setToolTip("Which singular pair to show and move along")
        self.sign = QtWidgets.QComboBox()
        self.sign.addItem("+v", 1.0)
        self.sign.addItem("−v", -1.0)
        self.amount = pg.SpinBox(value=0.1, bounds=(1e-12, 1e15), dec=True, minStep=1e-12,
                                 decimals=4, compactHeight=False)
        self.amount.setMinimumWidth(90)
        self.amount.setToolTip("Distance in the input's units (v_k has unit length)")
        self.move_button = QtWidgets.QPushButton("Move point")
        self.move_button.setToolTip("Set the input point to x ± amount·v_k and recompute")
        self.move_button.setEnabled(False)
        self.move_button.clicked.connect(self.move_point)
        for widget in (QtWidgets.QLabel("Show"), self.direction, QtWidgets.QLabel("  Move along"),
                       self.sign, QtWidgets.QLabel("by"), self.amount, self.move_button):
            self.controls.addWidget(widget)
        self.controls.addStretch(1)
        self.graphics = plot_widget()
        self.values_plot = self.graphics.addPlot(row=0, col=0)
        style_plot(self.values_plot, left="s_k", bottom="k", title="Singular values")
        self.values_plot.setLogMode(y=True)
        self.values_plot.showGrid(x=False, y=True, alpha=0.3)
        self.values_curve = self.values_plot.plot([], [], pen=pg.mkPen("k"), symbol="o",
                                                  symbolBrush=(52, 101, 164), symbolSize=7)
        self.inputs = BarPlot(self.graphics.addPlot(row=1, col=0))
        self.outputs = BarPlot(self.graphics.addPlot(row=0, col=1, rowspan=2))
        layout = self.graphics.ci.layout
        layout.setRowStretchFactor(0, 2)
        layout.setRowStretchFactor(1, 3)
        self.body.addWidget(self.graphics)
        self.direction.valueChanged.connect(self._draw_vectors)
        self.status.setText(self.hint)

    def make_job(self) -> Any:
        """``(operation, arguments)`` for the current inputs, or ``None``."""
        return None if self.context is None else principal_job(self.context, TOP_K)

    def describe_run(self) -> str:
        """Status text while the job runs."""
        return "Computing the singular value decomposition…"

    def clear(self) -> None:
        """Forget the decomposition: no values, no bars (another model was opened)."""
        super().clear()
        self.move_button.setEnabled(False)
        self.values_curve.setData([], [])
        self.inputs.clear()
        self.outputs.clear()

    def failed(self, message: str) -> None:
        """Back to idle after a failure."""
        self.move_button.setEnabled(False)

    def show_analysis(self, analysis: Any) -> None:
        """Draw a :class:`~jacgui.core.analysis.PrincipalDirections`."""
        super().show_analysis(analysis)
        p = analysis
        s = p.singular_values
        positive = s > 0
        k = np.arange(1, s.size + 1)
        self.values_curve.setData(k[positive], s[positive])
        self.values_plot.setXRange(0.5, s.size + 0.5, padding=0)
        zero = int((~positive).sum())
        self.direction.blockSignals(True)
        self.direction.setRange(1, p.k)
        self.direction.blockSignals(False)
        self.move_button.setEnabled(True)
        condition = "∞" if not np.isfinite(p.condition_number) else f"{p.condition_number:.4g}"
        lines = [f"Condition number s_max/s_min = <b>{condition}</b>, numerical rank "
                 f"{p.rank} of {s.size}. s_1 = {s[0]:.4g}: a unit step along v_1 moves the "
                 f"outputs by {s[0]:.4g} (Euclidean norm)."]
        if zero:
            lines.append(f"{zero} singular value(s) are exactly zero (not drawn on the log axis).")
        if p.note:
            lines.append(f"Note: {p.note}")
        self.status.setText("<br>".join(lines))
        self._draw_vectors()

    @QtCore.Slot()
    def _draw_vectors(self, *_: object) -> None:
        p = self._analysis
        if p is None:
            return
        index = self.direction.value() - 1
        s = p.singular_values[index]
        self.inputs.set_bars(p.input_labels, p.input_directions[index],
                             title=f"v_{index + 1}: input direction (s = {s:.4g})",
                             value_label="component (unit vector)")
        self.outputs.set_bars(p.output_labels, p.output_directions[index],
                              title=f"u_{index + 1}: output response",
                              value_label="component (unit vector)")

    @QtCore.Slot()
    def move_point(self) -> None:
        """Emit ``move_requested`` with ``x ± amount·v_k`` (via the core's ``move_along``)."""
        from jacgui.core.analysis import move_along

        if self._analysis is None or self.context is None:
            return
        index = self.direction.value() - 1
        amount = float(self.sign.currentData()) * float(self.amount.value())
        values = move_along(self.context.result.point, self._analysis.input_directions[index],
                            amount)
        self.message.emit(f"Moving the point by {amount:+.4g} along v_{index + 1}")
        self.move_requested.emit(values)

    def picture_widget(self) -> QtWidgets.QWidget:
        """What the exported picture shows."""
        return self.graphics
