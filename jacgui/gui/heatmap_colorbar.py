"""The heatmap's colour bar: building it, and putting a matrix on it (levels, scale, ticks)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui

from . import colormaps
from .heatmap_math import color_levels, max_abs_finite, symlog, symlog_threshold, symlog_ticks

__all__ = ["add_colorbar", "apply_matrix", "clear_colorbar"]


def add_colorbar(
    image: pg.ImageItem, plot: pg.PlotItem, colormap: str, width: int,
) -> pg.ColorBarItem:
    """A fixed colour bar for ``image``, placed beside ``plot``, with black axes.

    Parameters
    ----------
    image : pyqtgraph.ImageItem
    plot : pyqtgraph.PlotItem
        Holds ``image``; the bar goes into its layout.
    colormap : str
        Name for :func:`jacgui.gui.colormaps.get_colormap`.
    width : int
        Bar width in pixels.

    Returns
    -------
    pyqtgraph.ColorBarItem
    """
    # Levels follow the data and the map follows the caller; dragging or the bar's own menu
    # would silently disagree with both.
    bar = pg.ColorBarItem(
        values=(-1.0, 1.0),
        colorMap=colormaps.get_colormap(colormap),
        interactive=False,
        colorMapMenu=False,
        width=width,
    )
    bar.setImageItem(image, insert_in=plot)
    for side in ("left", "right", "top", "bottom"):
        axis = bar.getAxis(side)
        axis.setPen("k")  # pyqtgraph's default grey text is faint on the white background
        axis.setTextPen("k")
    return bar


def apply_matrix(
    image: pg.ImageItem,
    bar: pg.ColorBarItem,
    matrix: np.ndarray,
    diverging: bool,
    value_scale: str,
) -> None:
    """Show ``matrix`` on ``image`` with levels from finite values and a matching colour bar.

    With ``value_scale == "symlog"`` the image holds ``sign(J) log10(1 + |J|/t)`` while the
    colour-bar ticks are labelled with real J values and its title gives ``t``.

    Parameters
    ----------
    image : pyqtgraph.ImageItem
    bar : pyqtgraph.ColorBarItem
    matrix : ndarray
    diverging : bool
        Levels ``±max|J|`` (zero at the neutral centre) rather than the data range.
    value_scale : {'linear', 'symlog'}
    """
    low, high = color_levels(matrix, diverging)
    axis = bar.getAxis("right")
    if value_scale == "symlog":
        top = max(abs(low), abs(high))
        t = symlog_threshold(max_abs_finite(matrix))
        data = symlog(matrix, t)
        low, high = float(symlog(low, t)), float(symlog(high, t))
        axis.setTicks([symlog_ticks(top, t)])
        axis.setLabel(f"J, symlog (t = {t:.2g})")
    else:
        data = matrix
        if axis._tickLevels is not None:  # leaving symlog; unchanged otherwise (no relayout)
            axis.setTicks(None)
        if axis.labelText:
            axis.setLabel(None)
    image.setImage(data, autoLevels=False, levels=(low, high))
    bar.setLevels((low, high))
    _fit_axis(axis, low, high)


def clear_colorbar(bar: pg.ColorBarItem) -> None:
    """Back to the empty bar's plain ``-1 .. 1``: no matrix is shown, so no scale either."""
    axis = bar.getAxis("right")
    if axis._tickLevels is not None:
        axis.setTicks(None)
    if axis.labelText:
        axis.setLabel(None)
    bar.setLevels((-1.0, 1.0))


def _fit_axis(axis: pg.AxisItem, low: float, high: float) -> None:
    # The colour-bar axis sizes itself only from texts it has already drawn, so a fresh
    # export can clip tick labels or overlap them with the axis title; size it up front.
    metrics = QtGui.QFontMetricsF(axis.style["tickFont"] or QtGui.QFont())
    levels = axis._tickLevels or [
        (spacing, list(values)) for spacing, values in axis.tickValues(low, high, 400)]
    texts: list[str] = []
    for level in levels:
        if level and isinstance(level[0], tuple):  # explicit (value, label) ticks
            texts += [label for _, label in level]
        elif level:
            texts += axis.tickStrings(level[1], 1.0, level[0])
    widest = max((metrics.horizontalAdvance(t) for t in texts), default=30.0)
    title = metrics.height() + 6 if axis.label.isVisible() else 0
    axis.setWidth(int(widest + 12 + title))
