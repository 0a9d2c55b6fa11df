"""Sensitivity map for image inputs: the input picture beside one Jacobian row laid out as it.

Both panels are the same size, keep square pixels and show exactly the image (no padding);
the colour bar sits in its own narrow column so that neither panel is squeezed. The map is the
signed row of J combined over channels by the one image rule (:mod:`jacgui.core.images`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from jacgui.core.images import ImageLayout, image_layout

from . import colormaps
from .heatmap_item import NanBackdrop
from .heatmap_math import color_levels

if TYPE_CHECKING:
    from jacgui.core.job import JacobianResult

__all__ = ["SensitivityMapView", "short_title"]

#: Titles longer than this are cut in the middle: a pyqtgraph title never gets narrower than
#: its text, so a long class name would push the panels apart or off the window.
TITLE_CHARACTERS = 40
#: Room (pixels) the plots need around their images: the left axis, the title and bottom axis,
#: the colour bar's column with its tick labels, and the layout's margins and spacing.
_AXIS_WIDTH, _TITLE_AND_AXIS_HEIGHT, _BAR_COLUMN, _MARGINS = 40, 62, 86, 40


def short_title(text: str, limit: int = TITLE_CHARACTERS) -> str:
    """``text`` cut in the middle with an ellipsis when it is longer than ``limit``."""
    if len(text) <= limit:
        return text
    keep = limit - 1
    return text[: (keep + 1) // 2] + "…" + text[len(text) - keep // 2:]


class SensitivityMapView(QtWidgets.QWidget):
    """The input image and ``∂ f_row / ∂ x`` laid out as it, with a zero-centred colour bar.

    Parameters
    ----------
    state : WindowState, optional
        When given, the view follows its result and selected cell (the cell's row is shown).
    parent : QWidget, optional
    """

    def __init__(self, state: Any = None, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._glw = pg.GraphicsLayoutWidget()
        self._glw.setBackground("w")
        self._glw.ci.layout.setContentsMargins(6, 6, 6, 6)
        self._input_plot = self._glw.addPlot(row=0, col=0)
        self._map_plot = self._glw.addPlot(row=0, col=1)
        for plot in (self._input_plot, self._map_plot):
            _style(plot)
        # The same stretch for both panels: they get equal shares of the width.
        for column in (0, 1):
            self._glw.ci.layout.setColumnStretchFactor(column, 1)
        self._input_image = pg.ImageItem(axisOrder="row-major")
        self._input_plot.addItem(self._input_image)
        self._map_image = pg.ImageItem(axisOrder="row-major")
        self._backdrop = NanBackdrop()
        self._map_plot.addItem(self._backdrop, ignoreBounds=True)
        self._map_plot.addItem(self._map_image)
        self._bar = pg.ColorBarItem(values=(-1.0, 1.0), interactive=False, colorMapMenu=False,
                                    width=14, colorMap=colormaps.get_colormap(
                                        colormaps.DEFAULT_COLORMAP))
        self._bar.setImageItem(self._map_image)
        for side in ("left", "right", "top", "bottom"):
            self._bar.getAxis(side).setPen("k")
            self._bar.getAxis(side).setTextPen("k")
        self._glw.addItem(self._bar, row=0, col=2)
        self._glw.ci.layout.setColumnStretchFactor(2, 0)

        for plot in (self._input_plot, self._map_plot):
            plot.getAxis("left").setWidth(_AXIS_WIDTH)
        self._glw.installEventFilter(self)
        self._message = QtWidgets.QLabel()
        self._message.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._caption = QtWidgets.QLabel()
        self._caption.setWordWrap(True)
        self._caption.setContentsMargins(8, 2, 8, 4)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._glw, 1)
        layout.addWidget(self._caption)
        layout.addWidget(self._message)
        self._row = 0
        self._layout: ImageLayout | None = None
        self._titles = ["", ""]  # full titles; shown cut to the panels' width
        self._refitting = False
        self.set_result(None, 0)
        if state is not None:
            state.result_changed.connect(self._follow)
            state.cell_changed.connect(self._follow)
            state.model_changed.connect(self._follow)

    @QtCore.Slot()
    def _follow(self) -> None:
        state = self._state
        spec = state.input_spec()
        if state.result is None or spec is None or not spec.is_image:
            self.set_result(None, 0)
            return
        self.set_result(state.result, state.cell[0] if state.cell else 0)

    def set_result(self, result: JacobianResult | None, row: int = 0) -> None:
        """Show output ``row`` of ``result`` as a map over the input image."""
        layout = None if result is None else image_layout(tuple(result.input_shape))
        self._layout = layout
        if result is None or layout is None:
            self._input_image.clear()
            self._map_image.clear()
            self._glw.setVisible(False)
            self._caption.setVisible(False)
            self._message.setText("" if result is None else
                                  f"The input {tuple(result.input_shape)} is not image-shaped.")
            self._message.setVisible(result is not None)
            return
        self._glw.setVisible(True)
        self._caption.setVisible(True)
        self._message.setVisible(False)
        self._row = row
        self._show_input(layout.to_hwc(np.asarray(result.point, dtype=float)),
                         result.input_name, layout)
        sensitivity = layout.reduce(np.asarray(result.matrix[row], dtype=float), signed=True)
        low, high = color_levels(sensitivity)
        self._map_image.setImage(sensitivity, autoLevels=False, levels=(low, high))
        self._bar.setLevels((low, high))
        self._backdrop.set_shape(layout.height, layout.width)
        label = result.output_labels[row] if row < len(result.output_labels) else f"#{row}"
        # The output (a class name, from a sidecar) is what the title must keep; the input is
        # named over the left panel.
        self._titles[1] = f"∂ {label}"
        summed = (f" Each pixel sums its {layout.channels} channels."
                  if layout.channels > 1 else "")
        self._caption.setText(
            f"<b>{label}</b> (output row {row}): red pixels raise it when brightened, blue "
            f"ones lower it; the colour bar is ∂f per unit of input.{summed} Select another "
            "row in the Jacobian heatmap or the Cell panel to see another output.")
        self._fit_panels()

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        """Refit the panels whenever the graphics view is resized or shown."""
        if watched is self._glw and event.type() in (QtCore.QEvent.Type.Resize,
                                                     QtCore.QEvent.Type.Show):
            self._fit_panels()
        return False

    def _fit_panels(self) -> None:
        layout = self._layout
        if layout is None:
            return
        # Both panels get the same size, exactly the image's shape: locked square pixels in a
        # box of another shape would pad the axes (or, with limits, crop the image).
        size = self._glw.viewport().size()
        # The room the axes and the title take, measured once laid out (estimated before).
        plot = self._map_plot
        box = plot.vb.geometry()
        deco_w, deco_h = float(_AXIS_WIDTH), float(_TITLE_AND_AXIS_HEIGHT)
        if box.width() > 1 and box.height() > 1:
            deco_w = plot.geometry().width() - box.width()
            deco_h = plot.geometry().height() - box.height()
        width = (size.width() - _BAR_COLUMN - _MARGINS) / 2 - deco_w
        height = size.height() - deco_h - _MARGINS / 2
        scale = max(min(width / layout.width, height / layout.height), 0.05)
        box_w, box_h = layout.width * scale, layout.height * scale
        # About 10 pixels per character of the title font: never wider than its panel.
        characters = max(12, int((box_w + deco_w) / 10))
        for plot, title in zip((self._input_plot, self._map_plot), self._titles, strict=True):
            plot.setTitle(short_title(title, characters))
            plot.setFixedWidth(box_w + deco_w)
            plot.setFixedHeight(box_h + deco_h)
            plot.vb.setLimits(xMin=0, xMax=layout.width, yMin=0, yMax=layout.height)
            plot.setRange(xRange=(0, layout.width), yRange=(0, layout.height), padding=0)
        self._bar.setFixedHeight(box_h + deco_h)
        if not self._refitting:  # once laid out, the measured decorations replace the estimate
            self._refitting = True
            QtCore.QTimer.singleShot(0, self._refit)

    def _refit(self) -> None:
        self._fit_panels()
        self._refitting = False

    def summed_channels(self) -> int:
        """Number of channels summed into the map (1 for a grey image)."""
        return 1 if self._layout is None else self._layout.channels

    def map_image(self) -> pg.ImageItem:
        """The sensitivity image item."""
        return self._map_image

    def map_plot(self) -> pg.PlotItem:
        """The plot holding the sensitivity map."""
        return self._map_plot

    def input_plot(self) -> pg.PlotItem:
        """The plot holding the input image."""
        return self._input_plot

    def graphics_view(self) -> pg.GraphicsLayoutWidget:
        """The graphics view holding both panels."""
        return self._glw

    def _show_input(self, image: np.ndarray, name: str, layout: ImageLayout) -> None:
        finite = image[np.isfinite(image)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if high <= low:
            high = low + 1.0
        if layout.channels in (3, 4):
            rgb = np.clip((image[..., :3] - low) / (high - low), 0.0, 1.0)
            self._input_image.setImage((rgb * 255).astype(np.uint8), autoLevels=False,
                                       levels=(0, 255))
            self._titles[0] = f"input {name}".strip()
        else:
            self._input_image.setImage(image.mean(axis=2), autoLevels=False, levels=(low, high))
            self._input_image.setColorMap(pg.colormap.get("CET-L1"))  # black -> white
            note = f" (mean of {layout.channels} channels)" if layout.channels > 1 else ""
            self._titles[0] = f"input {name}{note}".strip()


def _style(plot: pg.PlotItem) -> None:
    plot.invertY(True)
    plot.setAspectLocked(True)  # square pixels, as in the input image
    plot.setDefaultPadding(0.0)
    plot.hideButtons()
    plot.setMenuEnabled(False)
    plot.titleLabel.opts["color"] = "k"
    for side in ("left", "bottom"):
        plot.getAxis(side).setPen("k")
        plot.getAxis(side).setTextPen("k")
