"""Variance-based global sensitivity: Sobol indices with 95 % intervals, and their convergence.

The bars rank the inputs of one output by their total index ST, with the first-order index S1
beside it; the whiskers are the bootstrap 95 % half-widths. The convergence plot shows each
index against N (prefixes of the same design), so a user can see whether N was enough.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from .base import plot_widget, style_plot
from .jobs import AnalysisContext, GlobalRequest, sobol_job
from .sampled_view import SampledTaskView

__all__ = ["SobolView"]

#: Inputs shown, largest total index first: more bars would not be readable.
MAX_INPUTS = 20
_S1, _ST = (52, 101, 164), (230, 120, 0)


class SobolView(SampledTaskView):
    """Runs :func:`jacgui.core.analysis.sobol_indices` in a box, with progress and Cancel."""

    kind = "sobol"
    sobol_indices = True
    export_name = "sobol_indices"
    progress_format = "step %v of %m"
    hint = "Press Run… to compute Sobol indices of the selected output over a box of inputs."

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Sobol indices: which inputs drive the output's variance",
                         "Choose the box and N, then run the Saltelli design", parent)
        self.output = QtWidgets.QComboBox()
        self.output.setToolTip("The output whose indices are shown")
        for widget in (self.run_button, self.cancel_button, self.bar,
                       QtWidgets.QLabel("  output"), self.output):
            self.controls.addWidget(widget)
        self.controls.addStretch(1)
        self.graphics = plot_widget()
        self.bars_plot = self.graphics.addPlot(row=0, col=0)
        self.convergence_plot = self.graphics.addPlot(row=0, col=1)
        style_plot(self.bars_plot, bottom="index (95 % interval)")
        style_plot(self.convergence_plot, left="total index ST", bottom="N (log scale)")
        self.convergence_plot.setLogMode(x=True, y=False)
        self.convergence_plot.showGrid(x=True, y=True, alpha=0.2)
        self.body.addWidget(self.graphics)
        self.output.currentIndexChanged.connect(self._draw)
        self._row = 0
        self.status.setText(self.hint)

    # -- inputs -------------------------------------------------------------------------------
    def context_changed(self) -> None:
        """A new Jacobian: the output list follows its labels."""
        labels = () if self.context is None else self.context.result.output_labels
        if tuple(self.output.itemText(k) for k in range(self.output.count())) != tuple(labels):
            self.output.blockSignals(True)
            self.output.clear()
            self.output.addItems(list(labels))
            self.output.blockSignals(False)

    def select_cell(self, row: int, _col: int) -> None:
        """Show the indices of the selected cell's output."""
        if 0 <= row < self.output.count():
            self.output.setCurrentIndex(row)

    def job_for(self, context: AnalysisContext, request: GlobalRequest) -> Any:
        """The engine's job for ``request``."""
        return sobol_job(context, request)

    def describe_run(self) -> str:
        """Status text while it runs."""
        n = self.request.n_samples if self.request else 0
        size = 0 if self.context is None else len(self.context.result.input_labels)
        return f"Evaluating the model {n * (size + 2):,} times (N = {n})…"

    def failed(self, message: str) -> None:
        """Back to idle."""
        self._idle()

    def cancelled(self) -> None:
        """Back to idle; a previous result stays."""
        self._idle()
        self.status.setText("Cancelled: indices of an unfinished design are not shown.")

    def clear(self) -> None:
        """Forget the indices (another model was opened)."""
        super().clear()
        self._idle()
        self.bars_plot.clear()
        self.convergence_plot.clear()
        self.status.setText(self.hint)

    # -- drawing ------------------------------------------------------------------------------
    def show_analysis(self, analysis: Any) -> None:
        """Draw a :class:`~jacgui.core.analysis.SobolIndices`."""
        super().show_analysis(analysis)
        self._idle()
        self._draw()

    @QtCore.Slot()
    def _draw(self, *_: Any) -> None:
        s = self._analysis
        if s is None:
            return
        row = min(max(self.output.currentIndex(), 0), len(s.output_labels) - 1)
        ranked = s.ranked(row)[:MAX_INPUTS]
        self._draw_bars(ranked, s.output_labels[row])
        self._draw_convergence(s, row, [s.input_labels.index(r[0]) for r in ranked[:5]])
        lines = [f"<b>{s.output_labels[row]}</b>: N = {s.n_samples}, {s.evaluations:,} model "
                 f"evaluations in {s.n_batches} batch(es); bars are S1 (first order, blue) and "
                 "ST (total, orange) with 95 % bootstrap intervals, largest ST first. ST − S1 is "
                 "what an input does through interactions.",
                 *[f"warning: {w}" for w in s.warnings]]
        self.status.setText("<br>".join(lines))

    def _draw_bars(self, ranked: list[tuple[str, float, float, float, float]],
                   output: str) -> None:
        plot = self.bars_plot
        plot.clear()
        y = np.arange(len(ranked), dtype=float)
        for offset, (value_at, conf_at, colour, name) in enumerate(
                ((1, 2, _S1, "S1"), (3, 4, _ST, "ST"))):
            values = np.array([r[value_at] for r in ranked])
            conf = np.array([r[conf_at] for r in ranked])
            ys = y - 0.18 + 0.36 * offset
            plot.addItem(pg.BarGraphItem(x0=np.minimum(values, 0), y=ys, height=0.34,
                                         width=np.abs(values), brush=pg.mkBrush(*colour),
                                         pen=pg.mkPen(None), name=name))
            plot.addItem(pg.ErrorBarItem(x=values, y=ys, left=conf, right=conf, beam=0.12,
                                         pen=pg.mkPen("k")))
        plot.getAxis("left").setTicks([[(float(k), r[0]) for k, r in enumerate(ranked)], []])
        plot.invertY(True)
        plot.setXRange(min(0.0, *(r[1] - r[2] for r in ranked)) if ranked else 0.0,
                       max(1.0, *(r[3] + r[4] for r in ranked)) if ranked else 1.0, padding=0.02)
        plot.setTitle(f"Sobol indices of {output}")

    def _draw_convergence(self, s: Any, row: int, inputs: list[int]) -> None:
        plot = self.convergence_plot
        plot.clear()
        legend = plot.addLegend(offset=(-10, 10), labelTextColor="k",
                                brush=pg.mkBrush(255, 255, 255, 210))
        sizes = np.asarray(s.convergence.n_samples, dtype=float)
        colours = [(52, 101, 164), (230, 120, 0), (46, 160, 67), (192, 57, 43), (120, 80, 160)]
        for colour, j in zip(colours, inputs, strict=False):
            values = s.convergence.total_order[:, row, j]
            conf = s.convergence.total_order_conf[:, row, j]
            plot.plot(sizes, values, pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=5,
                      symbolBrush=colour, name=s.input_labels[j])
            plot.addItem(pg.ErrorBarItem(x=np.log10(sizes), y=values, top=conf, bottom=conf,
                                         beam=0.03, pen=pg.mkPen(colour)))
        legend.setVisible(bool(inputs))
        plot.setTitle("convergence: ST against N")

    def picture_widget(self) -> QtWidgets.QWidget:
        """The two plots."""
        return self.graphics
