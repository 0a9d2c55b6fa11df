"""Can I trust this number? AD and central differences side by side, cell by cell."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6 import QtCore, QtWidgets

from .. import colormaps
from ..heatmap import HeatmapView
from .base import carrier_for
from .jobs import agreement_job
from .task_view import CancellableTaskView

__all__ = ["AgreementView"]

_GOOD, _BAD = "#1b7f3b", "#c0392b"


class AgreementView(CancellableTaskView):
    """Heatmaps of ``AD − FD`` and of the FD error estimate, with a summary.

    Runs :func:`jacgui.core.analysis.compare_ad_fd` on demand (two full Jacobians, in chunks:
    progress and Cancel work between chunks).

    Signals
    -------
    cell_clicked(int, int)
        A cell of either heatmap was clicked (the window selects it everywhere).
    """

    kind = "compare"
    export_name = "ad_vs_fd"
    auto = False
    hint = "Press Compare to compute the Jacobian by both methods."
    cell_clicked = QtCore.Signal(int, int)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Automatic differentiation against central finite differences", parent)
        self.run_button = QtWidgets.QPushButton("Compare AD and FD")
        self.run_button.setToolTip("Computes the Jacobian both ways at the current point")
        self.run_button.clicked.connect(self.run)
        self.make_progress()
        for widget in (self.run_button, self.cancel_button, self.bar):
            self.controls.addWidget(widget)
        self.controls.addStretch(1)
        self.summary = QtWidgets.QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.difference = HeatmapView()
        self.error = HeatmapView()
        self.pictures = QtWidgets.QWidget()
        grid = QtWidgets.QGridLayout(self.pictures)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.summary, 0, 0)
        grid.addWidget(self.difference, 1, 0)
        grid.addWidget(self.error, 2, 0)
        grid.setRowStretch(1, 1)
        grid.setRowStretch(2, 1)
        self.body.addWidget(self.pictures)
        for view in (self.difference, self.error):
            view.cell_clicked.connect(self.cell_clicked)
        # An error estimate is a magnitude: sequential colours, zero at the dark end.
        self.error.set_colormap(colormaps.MAGNITUDE_COLORMAP)
        self.status.setText(self.hint)

    def make_job(self) -> Any:
        """``(operation, arguments)`` for the current inputs, or ``None``."""
        return None if self.context is None else agreement_job(self.context)

    def describe_run(self) -> str:
        """Status text while the job runs."""
        return "Computing the Jacobian by AD and by central differences…"


    def clear(self) -> None:
        """Forget the comparison: no summary, no maps (another model was opened)."""
        super().clear()
        self._idle()
        self.summary.setText("")
        self.difference.set_result(None)
        self.error.set_result(None)

    def failed(self, message: str) -> None:
        """Back to idle after a failure."""
        self._idle()

    def cancelled(self) -> None:
        """Back to idle after a cancel."""
        self._idle()
        self.status.setText("Cancelled: the comparison was not finished.")

    def context_changed(self) -> None:
        """Follow a new Jacobian."""
        if self._analysis is not None:
            self.status.setText("The point or model changed since this comparison: press "
                                "Compare to redo it.")

    def show_analysis(self, analysis: Any) -> None:
        """Draw an :class:`~jacgui.core.analysis.Agreement`."""
        super().show_analysis(analysis)
        self._idle()
        a = analysis
        carrier = carrier_for(a, self.context)
        self.difference.set_result(carrier, a.difference, "AD − FD")
        self.error.set_result(carrier, a.fd_error, "FD error estimate per cell")
        fraction_color = _GOOD if a.fraction_agree == 1.0 else _BAD
        rel = "—" if not np.isfinite(a.max_rel) else f"{a.max_rel:.3g}"
        lines = [
            f"AD: {a.ad_method} mode in {a.ad_dtype}; FD: central differences in {a.fd_dtype}",
            f"max |AD − FD| = <b>{a.max_abs:.3g}</b> at {a.cell_name(a.max_abs_cell)}",
            f"max relative disagreement = <b>{rel}</b> at {a.cell_name(a.max_rel_cell)}",
            f"<span style='color:{fraction_color}'>cells within the FD error estimate + AD "
            f"round-off: <b>{a.fraction_agree:.1%}</b> ({int(a.agree.sum())} of "
            f"{a.agree.size})</span>",
            *[f"warning: {w}" for w in a.warnings],
        ]
        self.summary.setText("<br>".join(lines))
        self.status.setText("Where a cell disagrees beyond its estimate, one method is wrong "
                            "there (a kink, a non-differentiable op, or too large an FD step): "
                            "try the step sweep for that cell.")

    def picture_widget(self) -> QtWidgets.QWidget:
        """What the exported picture shows."""
        return self.pictures

