"""Image-shaped inputs: saliency or gradient×input laid over the input image, with opacity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from .. import colormaps
from ..heatmap_math import color_levels
from .base import AnalysisView, plot_widget, style_plot

if TYPE_CHECKING:
    from jacgui.core.job import JacobianResult

__all__ = ["ImageMap", "SaliencyView"]

MAPS = {"saliency": "saliency |∂f_i/∂x|", "gxi": "gradient × input  x·∂f_i/∂x"}


@dataclass(frozen=True)
class ImageMap:
    """One output's map over the input image, exportable."""

    kind: str
    output_label: str
    values: np.ndarray  # (H, W)

    def to_rows(self) -> list[list[Any]]:
        """The map as a table: row index, then one column per image column."""
        from jacgui.core.analysis.tables import matrix_rows

        height, width = self.values.shape[:2]
        return matrix_rows(self.values.reshape(height, -1), [str(r) for r in range(height)],
                           [str(c) for c in range(self.values.reshape(height, -1).shape[1])],
                           f"{self.kind} of {self.output_label} (row\\col)")

    def to_dict(self) -> dict[str, Any]:
        """Arrays and metadata; ``primary`` names the main array."""
        return {"analysis": self.kind, "primary": "values", "output_label": self.output_label,
                "channel_reduction": "sum" if self.kind == "gxi" else "max |.|",
                "values": self.values}


class SaliencyView(AnalysisView):
    """Saliency (``|row|`` reshaped) or gradient×input over the input image.

    Sits beside :class:`~jacgui.gui.sensitivity_view.SensitivityMapView` (the signed row); the
    maps come from :func:`jacgui.core.analysis.saliency` and ``gradient_times_input``.
    """

    export_name = "image_map"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Saliency and gradient × input over the image", parent)
        self.output = QtWidgets.QComboBox()
        self.kind = QtWidgets.QComboBox()
        for key, text in MAPS.items():
            self.kind.addItem(text, key)
        self.opacity = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(70)
        self.opacity.setMaximumWidth(140)
        self.opacity.setToolTip("Opacity of the map over the input image")
        for widget in (QtWidgets.QLabel("output"), self.output, self.kind,
                       QtWidgets.QLabel("  opacity"), self.opacity):
            self.controls.addWidget(widget)
        self.controls.addStretch(1)
        self.graphics = plot_widget()
        self.plot = self.graphics.addPlot()
        style_plot(self.plot)
        self.plot.invertY(True)
        self.plot.setAspectLocked(True)
        self.plot.setDefaultPadding(0.0)
        self.base = pg.ImageItem(axisOrder="row-major")
        self.overlay = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.base)
        self.plot.addItem(self.overlay)
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), interactive=False, colorMapMenu=False,
                                        width=16, colorMap=pg.colormap.get("CET-L3"))
        self.colorbar.setImageItem(self.overlay, insert_in=self.plot)
        for side in ("left", "right", "top", "bottom"):
            self.colorbar.getAxis(side).setPen("k")
            self.colorbar.getAxis(side).setTextPen("k")
        self.body.addWidget(self.graphics)
        self._result: JacobianResult | None = None
        self._map: ImageMap | None = None
        self.output.currentIndexChanged.connect(self._redraw)
        self.kind.currentIndexChanged.connect(self._redraw)
        self.opacity.valueChanged.connect(self._on_opacity)
        self._on_opacity(self.opacity.value())

    def set_result(self, result: JacobianResult | None, row: int | None = None) -> None:
        """Show maps of ``result`` (an image-shaped input); ``row`` selects the output."""
        self._result = result
        self.output.blockSignals(True)
        labels = () if result is None else result.output_labels
        if tuple(self.output.itemText(k) for k in range(self.output.count())) != labels:
            self.output.clear()
            self.output.addItems(list(labels))
        if row is not None and 0 <= row < len(labels):
            self.output.setCurrentIndex(row)
        self.output.blockSignals(False)
        self._redraw()

    def set_row(self, row: int) -> None:
        """Select output ``row``."""
        if 0 <= row < self.output.count():
            self.output.setCurrentIndex(row)

    def image_map(self) -> ImageMap | None:
        """The map shown."""
        return self._map

    def analysis(self) -> ImageMap | None:  # noqa: D102
        return self._map

    def picture_widget(self) -> QtWidgets.QWidget:  # noqa: D102
        return self.graphics

    @QtCore.Slot(int)
    def _on_opacity(self, value: int) -> None:
        self.overlay.setOpacity(value / 100.0)

    @QtCore.Slot()
    def _redraw(self, *_: object) -> None:
        from jacgui.core.analysis import gradient_times_input, saliency
        from jacgui.core.images import image_layout

        result = self._result
        row = self.output.currentIndex()
        layout = None if result is None else image_layout(tuple(result.input_shape))
        if result is None or row < 0 or layout is None:
            self.base.clear()
            self.overlay.clear()
            self._map = None
            self.set_exportable(False)
            self.status.setText("The differentiated input is not image-shaped."
                                if result is not None else "")
            return
        kind = self.kind.currentData()
        values = saliency(result, row) if kind == "saliency" else gradient_times_input(result, row)
        grey = layout.to_hwc(np.asarray(result.point, dtype=float)).mean(axis=2)
        finite = grey[np.isfinite(grey)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        self.base.setImage(grey, autoLevels=False, levels=(low, high if high > low else low + 1))
        self.base.setColorMap(pg.colormap.get("CET-L1"))
        if kind == "saliency":
            top = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
            levels = (0.0, top if top > 0 else 1.0)
            cmap = pg.colormap.get("CET-L3")  # black-red-yellow-white: 0 is dark
        else:
            levels = color_levels(values)
            cmap = colormaps.get_colormap(colormaps.DEFAULT_COLORMAP)
        self.overlay.setImage(values, autoLevels=False, levels=levels)
        self.colorbar.setColorMap(cmap)
        self.colorbar.setLevels(levels)
        label = result.output_labels[row]
        self._map = ImageMap(kind, label, values)
        self.set_exportable(True)
        height, width = values.shape[:2]
        self.plot.setRange(xRange=(0, width), yRange=(0, height), padding=0)
        name = "saliency |∂ {0} / ∂ x|" if kind == "saliency" else "x · ∂ {0} / ∂ x"
        self.plot.setTitle(name.format(label) + " over the input image")
        total = float(np.nansum(values))
        note = (f"Sum over the image: {total:.4g} ≈ f(x) − f(0) to first order."
                if kind == "gxi" else f"Largest |∂f/∂x|: {levels[1]:.4g}.")
        self.status.setText(f"{note} Grey: the input image; colour: the map at "
                            f"{self.opacity.value()} % opacity.")
