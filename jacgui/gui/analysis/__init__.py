"""Sensitivity analyses beyond the raw Jacobian, on screen.

Heatmap views, importance bars, slices, principal directions, AD/FD agreement, step sweeps,
global sensitivity (DGSM and Sobol indices) and image maps.

Every number comes from :mod:`jacgui.core.views` and :mod:`jacgui.core.analysis`; anything that
evaluates the model runs in the engine process through the window's job runner.
"""

from __future__ import annotations

from .panel import AnalysisPanel
from .view_heatmap import VIEWS, ViewHeatmap, derive
from .view_selector import ViewSelector, ViewValueBox

__all__ = ["VIEWS", "AnalysisPanel", "ViewHeatmap", "ViewSelector", "ViewValueBox", "derive"]
