"""Image-shaped inputs: saliency or gradient×input laid over the input image, with opacity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from .. import colormaps
from ..heatmap_math import color_levels
from .base import plot_widget, style_plot
from .jobs import attribution_job
from .task_view import TaskView

if TYPE_CHECKING:
    from jacgui.core.job import JacobianResult

__all__ = ["ImageMap", "SaliencyView"]

MAPS = {"saliency": "saliency |∂f_i/∂x|", "gxi": "gradient × input  x·∂f_i/∂x",
        "integrated_gradients": "integrated gradients (from a blurred image)",
        "smoothgrad": "SmoothGrad (50 noisy copies, σ = 15 % of the range)"}
#: Maps the engine computes (many gradients); the others come from the Jacobian on screen.
ENGINE_MAPS = ("integrated_gradients", "smoothgrad")


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


class SaliencyView(TaskView):
    """Saliency, gradient × input, integrated gradients or SmoothGrad over the input image.

    Sits beside :class:`~jacgui.gui.sensitivity_view.SensitivityMapView` (the signed row).
    Saliency and gradient × input come from the Jacobian on screen
    (:func:`jacgui.core.analysis.saliency`, ``gradient_times_input``); integrated gradients and
    SmoothGrad are engine jobs (:func:`~jacgui.core.analysis.integrated_gradients`,
    :func:`~jacgui.core.analysis.smoothgrad`), run when chosen while the tab is shown. Channels
    combine by the one image rule (:mod:`jacgui.core.images`).
    """

    export_name = "image_map"
    kind = "attribution"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Attribution maps over the image", parent)
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
        self._attribution: Any = None  # the engine's answer for the current output and kind
        self.output.currentIndexChanged.connect(self._on_choice)
        self.kind.currentIndexChanged.connect(self._on_choice)
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

    def clear(self) -> None:
        """Forget maps and results (another model was opened)."""
        super().clear()
        self._attribution = None
        self.set_result(None)

    # -- engine maps --------------------------------------------------------------------------
    @QtCore.Slot()
    def _on_choice(self, *_: object) -> None:
        self._attribution = None
        if self.kind.currentData() in ENGINE_MAPS:
            self.inputs_changed()
        self._redraw()

    def context_changed(self) -> None:
        """A new Jacobian: any integrated gradients of the old point are stale."""
        self._attribution = None

    def make_job(self) -> Any:
        """Integrated gradients or SmoothGrad of the chosen output, when one of them is shown."""
        kind, row = self.kind.currentData(), self.output.currentIndex()
        if self.context is None or kind not in ENGINE_MAPS or row < 0:
            return None
        if not self.context.input_spec.is_image:
            return None
        return attribution_job(self.context, kind, row)

    def describe_run(self) -> str:
        """Status text while the engine works."""
        return f"Computing {MAPS[self.kind.currentData()]}…"

    def show_analysis(self, analysis: Any) -> None:
        """An engine map arrived: draw it."""
        self._attribution = analysis
        self._redraw()

    def analysis(self) -> ImageMap | None:
        """The analysis shown, exportable."""
        return self._map

    def picture_widget(self) -> QtWidgets.QWidget:
        """What the exported picture shows."""
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
        if kind in ENGINE_MAPS:
            answer = self._attribution
            if answer is None or answer.row != row:
                self.overlay.clear()
                self._map = None
                self.set_exportable(False)
                return
            values = layout.reduce(np.asarray(answer.map_values, dtype=float), signed=True)
        elif kind == "saliency":
            values = saliency(result, row)
        else:
            values = gradient_times_input(result, row)
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
        names = {"saliency": "saliency |∂ {0} / ∂ x|", "gxi": "x · ∂ {0} / ∂ x",
                 "integrated_gradients": "integrated gradients of {0}",
                 "smoothgrad": "SmoothGrad of {0}"}
        self.plot.setTitle(names[kind].format(label))
        total = float(np.nansum(values))
        if kind == "gxi":
            note = f"Sum over the image: {total:.4g} ≈ f(x) − f(0) to first order."
        elif kind == "integrated_gradients":
            a = self._attribution
            note = (f"Sum over the image: {total:.4g}; f(x) − f(baseline) = "
                    f"{a.f_x - a.f_baseline:.4g}; completeness gap {a.completeness_gap:.3g} "
                    f"({100 * a.relative_gap:.2g} % with {a.steps} steps).")
        elif kind == "smoothgrad":
            a = self._attribution
            note = (f"Mean gradient over {a.samples} noisy copies (σ = {a.sigma:.3g}); its "
                    f"largest standard error is {float(np.nanmax(a.standard_error)):.3g}.")
        else:
            note = f"Largest |∂f/∂x|: {levels[1]:.4g}."
        self.status.setText(f"{note} Grey: the input image; colour: the map at "
                            f"{self.opacity.value()} % opacity.")
