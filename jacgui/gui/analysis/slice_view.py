"""Slice at a cell: f_i along input j through the point, its tangent, and the trust radius."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from .base import plot_widget, style_plot
from .cell_picker import CellPicker
from .jobs import slice_job
from .task_view import TaskView

__all__ = ["SliceView"]

_TRUST_BRUSH = (46, 160, 67, 45)


class SliceView(TaskView):
    """``f_i(x + t e_j)`` against ``x_j + t``, with the tangent ``f_i(x) + t J_ij``.

    The green band is the trust interval: where the tangent is within ``rtol`` (1 %) of the
    model. Computed by :func:`jacgui.core.analysis.slice_cell` in one batched model call on the
    worker thread.
    """

    kind = "slice"
    export_name = "slice"
    hint = "Click a cell of the heatmap to slice along its input."

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Slice through the point along one input", parent)
        self.picker = CellPicker()
        self.half_range = pg.SpinBox(value=0.5, bounds=(1e-12, 1e15), dec=True, minStep=1e-12,
                                     decimals=4, compactHeight=False)
        self.half_range.setMinimumWidth(100)
        self.half_range.setToolTip("Half-width of the slice in the input's units: "
                                   "t runs over [−range, +range]")
        self.auto_range = QtWidgets.QCheckBox("default")
        self.auto_range.setChecked(True)
        self.auto_range.setToolTip("0.5·max(1, |x_j|), the core's default")
        self.controls.addWidget(self.picker)
        self.controls.addStretch(1)
        row = self.add_control_row()
        row.addWidget(QtWidgets.QLabel("t range ±"))
        row.addWidget(self.half_range)
        row.addWidget(self.auto_range)
        row.addStretch(1)
        self.graphics = plot_widget()
        self.plot = self.graphics.addPlot()
        style_plot(self.plot)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.legend = self.plot.addLegend(offset=(10, 10), labelTextColor="k",
                                          brush=pg.mkBrush(255, 255, 255, 210))
        self.region = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(*_TRUST_BRUSH),
                                          pen=pg.mkPen(46, 160, 67, 160))
        self.region.setZValue(-10)
        self.plot.addItem(self.region)
        self.curve = self.plot.plot([], [], pen=pg.mkPen((52, 101, 164), width=2),
                                    name="model f_i(x + t e_j)")
        self.tangent = self.plot.plot([], [], pen=pg.mkPen((230, 120, 0), width=2,
                                                           style=pg.QtCore.Qt.PenStyle.DashLine),
                                      name="tangent f_i(x) + t·J_ij")
        self.point = self.plot.plot([], [], pen=None, symbol="o", symbolSize=8,
                                    symbolBrush="k", name="the point")
        self.legend.addItem(pg.BarGraphItem(x=[0], height=[0], width=0,
                                            brush=pg.mkBrush(*_TRUST_BRUSH)),
                            "tangent within 1 % (trust interval)")
        self.body.addWidget(self.graphics)
        self.picker.cell_changed.connect(self._on_cell)
        self.half_range.sigValueChanged.connect(self._on_range)
        self.auto_range.toggled.connect(self._on_range)
        self.status.setText(self.hint)

    # -- inputs -------------------------------------------------------------------------------
    def context_changed(self) -> None:
        """Follow a new Jacobian."""
        if self.context is not None:
            result = self.context.result
            self.picker.set_labels(result.output_labels, result.input_labels)
            self._update_default_range()

    def select_cell(self, row: int, col: int) -> None:
        """Slice cell ``(row, col)`` (the heatmap's selection)."""
        self.picker.set_cell(row, col)

    def _on_cell(self, _row: int, _col: int) -> None:
        self._update_default_range()
        self.inputs_changed()

    def _on_range(self, *_: Any) -> None:
        if self.sender() is self.half_range and self.auto_range.isChecked():
            self.auto_range.blockSignals(True)
            self.auto_range.setChecked(False)  # a typed range is the user's
            self.auto_range.blockSignals(False)
        self._update_default_range()
        self.inputs_changed()

    def _update_default_range(self) -> None:
        if self.context is None or not self.auto_range.isChecked():
            return
        from jacgui.core.analysis import default_half_range

        col = max(self.picker.cell()[1], 0)
        self.half_range.blockSignals(True)
        self.half_range.setValue(default_half_range(float(self.context.result.point[col])))
        self.half_range.blockSignals(False)

    def clear(self) -> None:
        """Forget the slice: no curves (another model was opened)."""
        super().clear()
        for item in (self.curve, self.tangent, self.point):
            item.setData([], [])

    def make_job(self) -> Any:
        """``(operation, arguments)`` for the current inputs, or ``None``."""
        row, col = self.picker.cell()
        if self.context is None or row < 0 or col < 0:
            return None
        return slice_job(self.context, row, col, float(self.half_range.value()))

    def describe_run(self) -> str:
        """Status text while the job runs."""
        return "Evaluating the model along the slice…"

    # -- drawing ------------------------------------------------------------------------------
    def show_analysis(self, analysis: Any) -> None:
        """Draw a :class:`~jacgui.core.analysis.SliceResult`."""
        super().show_analysis(analysis)
        s = analysis
        x = s.x_j + s.t
        self.curve.setData(x, s.values)
        self.tangent.setData(x, s.tangent)
        self.point.setData([s.x_j], [s.f_x])
        self.region.setRegion((s.x_j + s.t_minus, s.x_j + s.t_plus))
        style_plot(self.plot, left=s.output_label, bottom=s.input_label,
                   title=f"{s.output_label} along {s.input_label}")
        finite = s.values[np.isfinite(s.values)]
        if finite.size:
            low, high = float(finite.min()), float(finite.max())
            pad = 0.08 * ((high - low) or max(abs(high), 1.0))
            self.plot.setYRange(low - pad, high + pad, padding=0)  # tangent may run off
        self.plot.setXRange(float(x.min()), float(x.max()), padding=0.02)
        spacing = float(np.min(np.diff(s.t))) if s.t.size > 1 else 0.0
        edge = (" — the tangent holds over the whole range: widen it to find the radius"
                if s.whole_range else f" (on a grid of step {spacing:.3g}: the true edge lies "
                "less than one step further out)")
        lines = [
            f"Trust interval (tangent within {s.rtol:.0%}): t ∈ [<b>{s.t_minus:.4g}</b>, "
            f"<b>{s.t_plus:.4g}</b>], i.e. {s.input_label} ∈ [{s.x_j + s.t_minus:.6g}, "
            f"{s.x_j + s.t_plus:.6g}]{edge}.",
            f"At {s.input_label} = {s.x_j:.6g}: f = {s.f_x:.6g}, ∂f/∂x_j = {s.derivative:.6g} "
            f"({s.derivative_source}); evaluated in {s.dtype} at {s.t.size} points.",
            *[f"Note: {n}" for n in s.notes],
        ]
        self.status.setText("<br>".join(lines))

    def picture_widget(self) -> QtWidgets.QWidget:
        """What the exported picture shows."""
        return self.graphics
