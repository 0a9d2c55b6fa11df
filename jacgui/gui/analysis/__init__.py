"""Sensitivity analyses beyond the raw Jacobian, on screen: heatmap views, importance bars,
slices, principal directions, AD/FD agreement, step sweeps, global sensitivity and image maps.

Every number comes from :mod:`jacgui.core.views` and :mod:`jacgui.core.analysis`; anything that
calls the model runs on the controller's worker thread through :class:`TaskRunner`.
"""

from __future__ import annotations

from .panel import AnalysisPanel, install_analysis, with_toolbar
from .tasks import TaskRunner
from .view_heatmap import VIEWS, ViewHeatmap, derive
from .view_selector import ViewSelector, ViewValueBox

__all__ = [
    "VIEWS", "AnalysisPanel", "TaskRunner", "ViewHeatmap", "ViewSelector", "ViewValueBox",
    "derive", "install_analysis", "with_toolbar",
]
