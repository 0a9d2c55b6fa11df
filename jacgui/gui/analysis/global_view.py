"""Global sensitivity: Jacobian statistics over many points, as heatmaps and DGSM bars."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6 import QtCore, QtWidgets

from .. import colormaps
from ..heatmap import HeatmapView
from .bars import BarPlot
from .base import carrier_for, plot_widget
from .jobs import AnalysisContext, GlobalRequest, global_job
from .sampled_view import SampledTaskView

__all__ = ["AGGREGATE_VIEWS", "GlobalView"]

#: Selector entries: key -> (text, attribute of GlobalSensitivity, title).
AGGREGATE_VIEWS: dict[str, tuple[str, str, str]] = {
    "mean": ("mean J", "mean", "E[∂f_i/∂x_j]"),
    "mean-abs": ("mean |J|", "mean_abs", "E|∂f_i/∂x_j|"),
    "std": ("std J", "std", "std of ∂f_i/∂x_j"),
    "dgsm": ("DGSM ν", "dgsm", "DGSM ν_ij = E[(∂f_i/∂x_j)²]"),
    "share": ("normalised DGSM", "dgsm_share", "ν_ij / Σ_j ν_ij (rows sum to 1)"),
    "bound": ("total Sobol index bound", "total_index_bound",
              "Sobol total-index bound (b−a)²ν/(π² Var f)"),
}


class GlobalView(SampledTaskView):
    """Runs :func:`jacgui.core.analysis.global_sensitivity` in batches with progress and Cancel.

    ``state`` is ``"idle"``, ``"running"``, ``"done"``, ``"cancelled"`` or ``"failed"``.
    """

    progress_format = "batch %v of %m"

    kind = "global"
    export_name = "global_sensitivity"
    hint = "Press Run… to average the Jacobian over many points."

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Global sensitivity over many points",
                         "Choose points (a file, or N samples in a box) and run", parent)
        self.state = "idle"
        self.aggregate = QtWidgets.QComboBox()
        for key, (text, _, _) in AGGREGATE_VIEWS.items():
            self.aggregate.addItem(text, key)
        for widget in (self.run_button, self.cancel_button, self.bar,
                       QtWidgets.QLabel("  Show"), self.aggregate):
            self.controls.addWidget(widget)
        self.controls.addStretch(1)
        self.heatmap = HeatmapView()
        self.graphics = plot_widget()
        self.dgsm = BarPlot(self.graphics.addPlot())
        self.pictures = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self.pictures.addWidget(self.heatmap)
        self.pictures.addWidget(self.graphics)
        self.pictures.setSizes([500, 500])
        self.body.addWidget(self.pictures)
        self.aggregate.currentIndexChanged.connect(self._draw_heatmap)
        self.heatmap.selection_changed.connect(self._on_row)
        self._row = 0
        self.status.setText(self.hint)

    # -- running ------------------------------------------------------------------------------
    def job_for(self, context: AnalysisContext, request: GlobalRequest) -> Any:
        """The engine's job for ``request``."""
        return global_job(context, request)

    def describe_run(self) -> str:
        """Status text while the job runs."""
        return f"Running on {self.request.describe() if self.request else ''}…"

    def run(self) -> bool:
        """Submit the job; ``False`` when there is nothing to run."""
        started = super().run()
        if started:
            self.state = "running"
        return started

    def clear(self) -> None:
        """Forget the statistics: no heatmap, no bars (another model was opened)."""
        super().clear()
        self.state = "idle"
        self._idle()
        self.heatmap.set_result(None)
        self.dgsm.clear()

    def failed(self, message: str) -> None:
        """Back to idle after a failure."""
        self.state = "failed"
        self._idle()

    def cancelled(self) -> None:
        """Back to idle after a cancel."""
        self.state = "cancelled"
        done, total = self.bar.value(), self.bar.maximum()
        self._idle()
        kept = " The previous result stays on screen." if self._analysis is not None else ""
        self.status.setText(f"Cancelled after {max(done, 0)} of {total} batches: "
                            f"statistics of an unfinished run are not shown.{kept}")

    # -- drawing ------------------------------------------------------------------------------
    def show_analysis(self, analysis: Any) -> None:
        """Draw a :class:`~jacgui.core.analysis.GlobalSensitivity`."""
        super().show_analysis(analysis)
        self.state = "done"
        self._idle()
        g = analysis
        index = self.aggregate.findData("bound")
        self.aggregate.model().item(index).setEnabled(g.total_index_bound is not None)
        if g.total_index_bound is None and self.aggregate.currentData() == "bound":
            self.aggregate.setCurrentIndex(self.aggregate.findData("mean-abs"))
        if self._row >= len(g.output_labels):
            self._row = 0
        self._draw_heatmap()
        source = self.request.describe() if self.request else ""
        lines = [f"N = <b>{g.n_samples}</b> points ({source})"
                 f", {g.n_batches} batch(es) of {g.batch_size}, {g.method} mode. Whiskers are "
                 f"bootstrap 95 % intervals ({g.n_resamples} resamples; conservative for Latin "
                 "hypercube and Sobol points, which spread more evenly than random ones).",
                 *[f"warning: {w}" for w in g.warnings]]
        self.status.setText("<br>".join(lines))

    def selected_matrix(self) -> np.ndarray | None:
        """The aggregate the heatmap shows."""
        if self._analysis is None:
            return None
        return getattr(self._analysis, AGGREGATE_VIEWS[self.aggregate.currentData()][1])

    @QtCore.Slot()
    def _draw_heatmap(self, *_: Any) -> None:
        g = self._analysis
        matrix = self.selected_matrix()
        if g is None or matrix is None:
            return
        key = self.aggregate.currentData()
        title = AGGREGATE_VIEWS[key][2]
        # Every statistic but the mean is a magnitude: sequential colours, zero at the dark end.
        self.heatmap.set_colormap(colormaps.DEFAULT_COLORMAP if key == "mean"
                                  else colormaps.MAGNITUDE_COLORMAP)
        self.heatmap.set_result(carrier_for(g, self.context), matrix,
                                f"{title}, N = {g.n_samples}")
        self._draw_bars()

    @QtCore.Slot(int, int)
    def _on_row(self, row: int, _col: int) -> None:
        self._row = row
        self._draw_bars()

    def _draw_bars(self) -> None:
        g = self._analysis
        if g is None:
            return
        row = self._row
        self.dgsm.set_bars(g.input_labels, g.dgsm[row], errors=g.conf_dgsm[row],
                           title=f"DGSM ν for {g.output_labels[row]}",
                           value_label="E[(∂f_i/∂x_j)²], 95 % interval")

    def picture_widget(self) -> QtWidgets.QWidget:
        """What the exported picture shows."""
        return self.pictures
