"""Sensitivity map for image-shaped inputs: the input next to one Jacobian row as an image."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from . import colormaps
from .heatmap_colorbar import add_colorbar
from .heatmap_item import NanBackdrop
from .heatmap_math import color_levels

if TYPE_CHECKING:
    from jacgui.core.job import JacobianResult

__all__ = ["SensitivityMapView", "image_layout"]


def image_layout(shape: tuple[int, ...]) -> tuple[int, int, int, bool] | None:
    """Interpret an input shape as an image: ``(height, width, channels, channels_last)``.

    Leading length-1 axes (a batch of one) are ignored.  ``(H, W)`` has one channel;
    ``(H, W, C)`` is channels-last when ``C <= 4``, else ``(C, H, W)`` when the first axis is
    ``<= 4``.

    Parameters
    ----------
    shape : tuple of int

    Returns
    -------
    tuple or None
        ``None`` when the shape is not image-like (fewer than two axes of length > 1).
    """
    dims = list(shape)
    while len(dims) > 2 and dims[0] == 1:
        dims.pop(0)
    if len(dims) == 2 and min(dims) > 1:
        return dims[0], dims[1], 1, True
    if len(dims) == 3:
        if dims[2] <= 4 and min(dims[:2]) > 1:
            return dims[0], dims[1], dims[2], True
        if dims[0] <= 4 and min(dims[1:]) > 1:
            return dims[1], dims[2], dims[0], False
    return None


class SensitivityMapView(QtWidgets.QWidget):
    """The input image and ``∂ f_row / ∂ x`` reshaped to it, with a zero-centred colour bar.

    Both panels keep square pixels and start fitted to the image.  For several channels the
    derivative is summed over channels (the title says so).
    """

    def __init__(self, state: Any = None, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._glw = pg.GraphicsLayoutWidget()
        self._glw.setBackground("w")
        self._input_plot = self._glw.addPlot()
        self._map_plot = self._glw.addPlot()
        for plot in (self._input_plot, self._map_plot):
            plot.invertY(True)
            plot.setAspectLocked(True)  # square pixels, as in the input image
            plot.setDefaultPadding(0.0)
            plot.hideButtons()
            plot.setMenuEnabled(False)
            plot.titleLabel.opts["color"] = "k"
            for side in ("left", "bottom"):
                plot.getAxis(side).setPen("k")
                plot.getAxis(side).setTextPen("k")
        # Not linked: with square pixels and a colour bar beside only one panel, linked views
        # fight over the range and both end up showing mostly empty space.
        self._input_image = pg.ImageItem(axisOrder="row-major")
        self._input_plot.addItem(self._input_image)
        self._map_image = pg.ImageItem(axisOrder="row-major")
        self._backdrop = NanBackdrop()
        self._map_plot.addItem(self._backdrop, ignoreBounds=True)
        self._map_plot.addItem(self._map_image)
        self._bar = add_colorbar(self._map_image, self._map_plot,
                                 colormaps.DEFAULT_COLORMAP, width=16)

        self._message = QtWidgets.QLabel()
        self._message.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._glw, 1)
        layout.addWidget(self._message)
        self._row = 0
        self._summed_channels = 1
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
        """Show output ``row`` of ``result`` as a map over the input image.

        Parameters
        ----------
        result : JacobianResult or None
        row : int
            Output index (row of the Jacobian).
        """
        layout = None if result is None else image_layout(tuple(result.input_shape))
        if result is None or layout is None:
            self._input_image.clear()
            self._map_image.clear()
            self._glw.setVisible(False)
            self._message.setText("" if result is None else
                                  f"The input {tuple(result.input_shape)} is not image-shaped.")
            self._message.setVisible(result is not None)
            return
        self._glw.setVisible(True)
        self._message.setVisible(False)
        height, width, channels, channels_last = layout
        self._row = row
        self._summed_channels = channels

        image = _to_hwc(np.asarray(result.point, dtype=float), layout)
        sensitivity = _to_hwc(np.asarray(result.matrix[row], dtype=float), layout).sum(axis=2)
        # NaN in any channel must stay NaN, not vanish into the sum.
        sensitivity[np.isnan(_to_hwc(np.asarray(result.matrix[row], dtype=float),
                                     layout)).any(axis=2)] = np.nan

        self._show_input(image, result.input_name)
        low, high = color_levels(sensitivity)
        self._map_image.setImage(sensitivity, autoLevels=False, levels=(low, high))
        self._bar.setLevels((low, high))
        self._backdrop.set_shape(height, width)
        label = result.output_labels[row] if row < len(result.output_labels) else f"#{row}"
        title = f"∂ {label} / ∂ {result.input_name or 'x'}"
        if channels > 1:
            title += f" (summed over {channels} channels)"
        self._map_plot.setTitle(title)
        for plot in (self._input_plot, self._map_plot):
            plot.setRange(xRange=(0, width), yRange=(0, height), padding=0)

    def summed_channels(self) -> int:
        """Number of channels summed into the map (1 for a grey image)."""
        return self._summed_channels

    def map_image(self) -> pg.ImageItem:
        """The sensitivity image item."""
        return self._map_image

    def graphics_view(self) -> pg.GraphicsLayoutWidget:
        """The graphics view holding both panels."""
        return self._glw

    def _show_input(self, image: np.ndarray, name: str) -> None:
        channels = image.shape[2]
        finite = image[np.isfinite(image)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if high <= low:
            high = low + 1.0
        if channels in (3, 4):
            rgb = np.clip((image[..., :3] - low) / (high - low), 0.0, 1.0)
            self._input_image.setImage((rgb * 255).astype(np.uint8), autoLevels=False,
                                       levels=(0, 255))
            self._input_plot.setTitle(f"input {name}".strip())
        else:
            grey = image.mean(axis=2)
            self._input_image.setImage(grey, autoLevels=False, levels=(low, high))
            self._input_image.setColorMap(pg.colormap.get("CET-L1"))  # black -> white
            note = f" (mean of {channels} channels)" if channels > 1 else ""
            self._input_plot.setTitle(f"input {name}{note}".strip())


def _to_hwc(flat: np.ndarray, layout: tuple[int, int, int, bool]) -> np.ndarray:
    height, width, channels, channels_last = layout
    if channels_last:
        return flat.reshape(height, width, channels)
    return flat.reshape(channels, height, width).transpose(1, 2, 0)
