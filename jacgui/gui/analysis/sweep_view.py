"""Finite-difference step sweep for one cell on log-log axes, to see where FD meets AD."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from .base import plot_widget, style_plot
from .cell_picker import CellPicker
from .jobs import sweep_job
from .task_view import TaskView

__all__ = ["SweepView"]

_COLORS = {"float64": (52, 101, 164), "float32": (230, 120, 0)}
_DASH = pg.QtCore.Qt.PenStyle.DashLine
_DOT = pg.QtCore.Qt.PenStyle.DotLine


class SweepView(TaskView):
    """``|FD − AD|`` (or ``|FD|``) against the step h, per dtype, for the selected cell.

    The vertical dashed line is the default step (the rule of thumb finite differences use);
    in the ``|FD|`` plot the horizontal line is the AD value.
    """

    kind = "sweep"
    export_name = "step_sweep"
    hint = "Click a cell of the heatmap to sweep its finite-difference step."

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Finite-difference step sweep for one cell", parent)
        self.picker = CellPicker()
        self.dtype = QtWidgets.QComboBox()
        for text, data in (("float64", "float64"), ("float32", "float32"),
                           ("both", "both")):
            self.dtype.addItem(text, data)
        self.scheme = QtWidgets.QComboBox()
        self.scheme.addItem("central", True)
        self.scheme.addItem("forward", False)
        self.quantity = QtWidgets.QComboBox()
        self.quantity.addItem("error |FD − AD|", "error")
        self.quantity.addItem("|FD derivative|", "derivative")
        self.controls.addWidget(self.picker)
        self.controls.addStretch(1)
        row = self.add_control_row()
        for widget in (QtWidgets.QLabel("dtype"), self.dtype, QtWidgets.QLabel("  scheme"),
                       self.scheme, QtWidgets.QLabel("  plot"), self.quantity):
            row.addWidget(widget)
        row.addStretch(1)
        self.graphics = plot_widget()
        self.plot = self.graphics.addPlot()
        style_plot(self.plot)
        self.plot.setLogMode(x=True, y=True)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.legend = self.plot.addLegend(offset=(-10, 10), labelTextColor="k",
                                          brush=pg.mkBrush(255, 255, 255, 210))
        self._items: list[Any] = []
        self.body.addWidget(self.graphics)
        self.picker.cell_changed.connect(self._on_inputs)
        self.dtype.currentIndexChanged.connect(self._on_inputs)
        self.scheme.currentIndexChanged.connect(self._on_inputs)
        self.quantity.currentIndexChanged.connect(self._redraw)
        self.status.setText(self.hint)

    def context_changed(self) -> None:
        """Follow a new Jacobian."""
        if self.context is not None:
            r = self.context.result
            self.picker.set_labels(r.output_labels, r.input_labels)

    def select_cell(self, row: int, col: int) -> None:
        """Sweep cell ``(row, col)``."""
        self.picker.set_cell(row, col)

    def _on_inputs(self, *_: Any) -> None:
        self.inputs_changed()

    def clear(self) -> None:
        """Forget the sweep: no curves, no lines (another model was opened)."""
        super().clear()
        self._redraw()  # with no analysis: removes the curves and lines

    def make_job(self) -> Any:
        """``(operation, arguments)`` for the current inputs, or ``None``."""
        row, col = self.picker.cell()
        if self.context is None or row < 0 or col < 0:
            return None
        return sweep_job(self.context, row, col, self.dtype.currentData(),
                          bool(self.scheme.currentData()))

    def describe_run(self) -> str:
        """Status text while the job runs."""
        return "Evaluating the model at every step…"

    def show_analysis(self, analysis: Any) -> None:
        """Draw a :class:`~jacgui.core.analysis.StepSweep`."""
        super().show_analysis(analysis)
        self._redraw()

    def _redraw(self, *_: Any) -> None:
        for item in self._items:
            self.plot.removeItem(item)
        self._items = []
        self.legend.clear()
        s = self._analysis
        if s is None:
            return
        error_mode = self.quantity.currentData() == "error"
        values = s.error if error_mode else np.abs(s.derivative)
        hidden = []
        for d, dtype in enumerate(s.dtypes):
            color = _COLORS.get(dtype, (0, 0, 0))
            y, h = values[d], s.steps[d]
            keep = np.isfinite(y) & (y > 0) & (h > 0)
            hidden.append(int((~keep).sum()))
            curve = self.plot.plot(h[keep], y[keep], pen=pg.mkPen(color, width=2), symbol="o",
                                   symbolSize=4, symbolBrush=color, symbolPen=None,
                                   name=f"{dtype}")
            self._items.append(curve)
            self._vline(s.rule_step[d], color, _DASH, f"default step {dtype}: "
                        f"h = {s.rule_step[d]:.2g}")
        if not error_mode and s.ad_value != 0:
            line = pg.InfiniteLine(np.log10(abs(s.ad_value)), angle=0,
                                   pen=pg.mkPen("k", width=1.5))
            self.plot.addItem(line)
            self._items.append(line)
            self.legend.addItem(pg.PlotDataItem(pen=pg.mkPen("k", width=1.5)),
                                f"|AD| = {abs(s.ad_value):.6g}")
        kind = "central" if s.central else "forward"
        quantity = "|FD − AD|" if error_mode else "|FD derivative|"
        style_plot(self.plot, left=quantity, bottom=f"step h (in units of {s.input_label})",
                   title=f"{kind} differences of ∂ {s.output_label} / ∂ {s.input_label}")
        lines = [f"AD value {s.ad_value:.10g} ({s.ad_dtype}), the reference."]
        for d, dtype in enumerate(s.dtypes):
            best = s.error[d][np.isfinite(s.error[d])]
            low = f"{best.min():.3g}" if best.size else "—"
            lines.append(f"{dtype}: smallest error {low} at h = {s.best_step[d]:.3g}; default "
                         f"h = {s.rule_step[d]:.3g}; curvature optimum h = "
                         f"{s.optimal_step[d]:.3g}" + (f" ({hidden[d]} step(s) with zero "
                                                       "error or a vanished step not drawn)"
                                                       if hidden[d] else ""))
        lines += [f"Note: {n}" for n in s.notes]
        self.status.setText("<br>".join(lines))

    def _vline(self, x: float, color: Any, style: Any, label: str) -> None:
        if not (np.isfinite(x) and x > 0):
            return
        pen = pg.mkPen(color, width=1.5, style=style)
        line = pg.InfiniteLine(np.log10(x), angle=90, pen=pen)  # view coordinates are log10
        self.plot.addItem(line)
        self._items.append(line)
        self.legend.addItem(pg.PlotDataItem(pen=pen), label)

    def picture_widget(self) -> QtWidgets.QWidget:
        """What the exported picture shows."""
        return self.graphics
