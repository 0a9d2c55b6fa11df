"""Headless rendering of a Jacobian heatmap to PNG or SVG (``jacgui compute ... --image``).

Qt is imported inside the function: on a Linux machine without a display the offscreen
platform must be chosen *before* the first Qt import, and importing this module must stay cheap
for the command line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jacgui.core.job import JacobianResult

__all__ = ["render_result_image"]


def render_result_image(
    result: JacobianResult,
    path: str | Path,
    *,
    scale: float = 2.0,
    colormap: str = "CET-D1",
    value_scale: str = "linear",
    size: tuple[int, int] = (900, 600),
    title: str | None = None,
) -> Path:
    """Render ``result`` as a heatmap picture without showing a window.

    Parameters
    ----------
    result : JacobianResult
    path : str or Path
        Ends in ``.png`` or ``.svg``.
    scale : float
        PNG only: output pixels per layout pixel (``size`` is the layout size).
    colormap : str
        See :func:`jacgui.gui.colormaps.available_colormaps`.
    value_scale : {'linear', 'symlog'}
    size : tuple of int
        ``(width, height)`` of the laid-out view in pixels.
    title : str, optional
        Plot title; by default names the Jacobian and the method.

    Returns
    -------
    Path
        ``path``.
    """
    _choose_offscreen_platform_if_headless()
    from PySide6 import QtCore, QtWidgets

    from .heatmap import HeatmapView
    from .picture_export import export_picture

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["jacgui-render"])
    view = HeatmapView()
    try:
        # Laid out and painted like a shown window, but never put on a real screen.
        view.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        view.resize(*size)
        view.show()
        view.set_colormap(colormap)
        view.set_value_scale(value_scale)
        if title is None:
            title = f"∂ {result.output_name} / ∂ {result.input_name}  ({result.method})"
        view.set_result(result, title=title)
        # Two rounds: the layout settles, then the view box applies its deferred range.
        for _ in range(2):
            app.processEvents()
        return export_picture(view, path, scale)
    finally:
        view.close()
        view.deleteLater()
        app.processEvents()


def _choose_offscreen_platform_if_headless() -> None:
    # Only X11/Wayland systems can lack a display; macOS and Windows always have one.
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
