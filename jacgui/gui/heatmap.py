"""Interactive Jacobian heatmap: rows are outputs, columns are inputs, one pixel per cell."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from . import colormaps
from .heatmap_axes import LabelAxis
from .heatmap_colorbar import add_colorbar, apply_matrix
from .heatmap_item import JacobianImageItem, NanBackdrop, SelectionMarker
from .heatmap_math import color_levels
from .heatmap_selection import CellSelectionMixin, make_hover_label

if TYPE_CHECKING:
    from jacgui.core.job import JacobianResult

__all__ = ["HeatmapView", "VALUE_SCALES"]

VALUE_SCALES = ("linear", "symlog")
_FOREGROUND = "k"


class HeatmapView(CellSelectionMixin, QtWidgets.QWidget):
    """Heatmap of a Jacobian with labelled axes, a colour bar, hover read-out and selection.

    Signals
    -------
    cell_clicked(int, int)
        ``(row, col)`` of a left click on a cell.
    cell_hovered(int, int)
        ``(row, col)`` under the mouse; ``(-1, -1)`` when it leaves the image.
    selection_changed(int, int)
        ``(row, col)`` of the newly selected cell after any change (click, arrow key,
        :meth:`select_cell`).  Clearing the selection (a result of another shape, ``None``,
        :meth:`clear_selection`) is not signalled: listeners would take ``-1`` for an index.
    """

    cell_clicked = QtCore.Signal(int, int)
    cell_hovered = QtCore.Signal(int, int)
    selection_changed = QtCore.Signal(int, int)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._result: JacobianResult | None = None
        self._matrix: np.ndarray | None = None
        self._colormap = colormaps.DEFAULT_COLORMAP
        self._value_scale = "linear"
        self._selected: tuple[int, int] | None = None
        self._hovered: tuple[int, int] | None = None
        self._titles: tuple[str, str, str] | None = None
        self._frame: tuple | None = None  # shape and names of the matrix the view range fits

        self._glw = pg.GraphicsLayoutWidget()
        self._glw.setBackground("w")
        self._glw.ci.layout.setContentsMargins(4, 4, 12, 4)  # keep colour-bar text off the edge
        self._left = LabelAxis("left")
        self._bottom = LabelAxis("bottom")
        self._plot = self._glw.addPlot(axisItems={"left": self._left, "bottom": self._bottom})
        self._setup_plot()

        self._image = JacobianImageItem(self._on_image_click, self._on_image_hover)
        self._backdrop = NanBackdrop()
        self._plot.addItem(self._backdrop, ignoreBounds=True)
        self._plot.addItem(self._image)
        self._marker = SelectionMarker(lambda item: self._plot.addItem(item, ignoreBounds=True))

        self._bar = add_colorbar(self._image, self._plot, self._colormap, width=18)

        self._hover_label = make_hover_label()

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self._glw, 1)
        layout.addWidget(self._hover_label)

        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        # Arrow keys reach the graphics view first when it has focus; catch them there.
        self._glw.installEventFilter(self)
        self.set_result(None)

    # ----------------------------------------------------------------- public API
    def set_result(
        self,
        result: JacobianResult | None,
        matrix: np.ndarray | None = None,
        title: str = "",
    ) -> None:
        """Show ``result`` (or clear the view when ``None``).

        Parameters
        ----------
        result : JacobianResult or None
            Supplies labels and names; its ``matrix`` is shown unless ``matrix`` is given.
        matrix : ndarray, optional
            A matrix of the same shape to show instead (``|J|``, elasticities, ...).
        title : str
            Plot title; empty for none.
        """
        old_shape = None if self._matrix is None else self._matrix.shape
        old_frame = self._frame
        self._result = result
        # Only values change while a slider is dragged: labels, titles and the view range
        # (the user's zoom) are touched only when they differ, so an update redraws the image
        # and the colour bar but does not relayout or re-measure the axes.
        if result is None:
            self._matrix = None
            self._frame = None
            self._image.clear()
            self._left.set_labels(())
            self._bottom.set_labels(())
            self._set_titles("output", "input", title)
            self._backdrop.set_shape(0, 0)
        else:
            data = np.asarray(result.matrix if matrix is None else matrix, dtype=float)
            if data.ndim != 2 or data.shape != tuple(result.matrix.shape):
                raise ValueError(f"matrix shape {data.shape} != result shape {result.matrix.shape}")
            self._matrix = data
            rows, cols = data.shape
            self._left.set_labels(result.output_labels)
            self._bottom.set_labels(result.input_labels)
            self._set_titles(_axis_title("output", result.output_name),
                             _axis_title("input", result.input_name), title)
            self._update_image()
            self._frame = (data.shape, result.input_name, result.output_name)
            if self._frame != old_frame:  # another matrix: show all of it; else keep the zoom
                self._backdrop.set_shape(rows, cols)
                self._plot.vb.setLimits(xMin=0, xMax=cols, yMin=0, yMax=rows)
                self._plot.setRange(xRange=(0, cols), yRange=(0, rows), padding=0)
        self._hovered = None
        self._update_hover_label()
        if self._selected is not None and (self._matrix is None or self._matrix.shape != old_shape):
            self._set_selection(None)
        elif self._selected is not None:
            self._marker.show_cell(*self._selected)

    def result(self) -> JacobianResult | None:
        """The result shown, or ``None``."""
        return self._result

    def matrix(self) -> np.ndarray | None:
        """The matrix shown (before any symlog transform), or ``None``."""
        return self._matrix

    def set_colormap(self, name: str) -> None:
        """Colour the cells with ``name`` (see :func:`jacgui.gui.colormaps.available_colormaps`).

        Parameters
        ----------
        name : str
        """
        cmap = colormaps.get_colormap(name)
        self._colormap = name
        self._bar.setColorMap(cmap)
        self._update_image()

    def colormap(self) -> str:
        """Name of the colour map in use."""
        return self._colormap

    def set_value_scale(self, scale: str) -> None:
        """Map values to colours linearly or by ``sign(J) log10(1 + |J|/t)`` (``"symlog"``).

        The colour-bar ticks always show real J values; ``t`` is given in its label.

        Parameters
        ----------
        scale : {'linear', 'symlog'}
        """
        if scale not in VALUE_SCALES:
            raise ValueError(f"value scale must be one of {VALUE_SCALES}, not {scale!r}")
        self._value_scale = scale
        self._update_image()

    def value_scale(self) -> str:
        """``"linear"`` or ``"symlog"``."""
        return self._value_scale

    def levels(self) -> tuple[float, float]:
        """Colour levels in real J units (``±max|J|`` for diverging maps)."""
        if self._matrix is None:
            return (-1.0, 1.0)
        return color_levels(self._matrix, colormaps.is_diverging(self._colormap))

    def nan_count(self) -> int:
        """Number of cells without a finite value (shown grey)."""
        return 0 if self._matrix is None else int(np.count_nonzero(~np.isfinite(self._matrix)))

    def cell_scene_pos(self, row: int, col: int) -> QtCore.QPointF:
        """Centre of cell ``(row, col)`` in scene coordinates."""
        return self._image.mapToScene(QtCore.QPointF(col + 0.5, row + 0.5))

    def graphics_view(self) -> pg.GraphicsLayoutWidget:
        """The graphics view holding plot and colour bar (what picture export renders)."""
        return self._glw

    def plot_item(self) -> pg.PlotItem:
        """The plot item (axes, image, selection marker)."""
        return self._plot

    def image_item(self) -> JacobianImageItem:
        """The image item: one pixel per cell."""
        return self._image

    def colorbar(self) -> pg.ColorBarItem:
        """The colour bar beside the plot."""
        return self._bar

    # ----------------------------------------------------------------- internals
    def _setup_plot(self) -> None:
        plot = self._plot
        plot.invertY(True)  # row 0 (first output) at the top, like a printed matrix
        plot.setDefaultPadding(0.0)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.showAxes(True, showValues=(True, False, False, True))
        for side in ("left", "right", "top", "bottom"):
            axis = plot.getAxis(side)
            axis.setPen(_FOREGROUND)
            axis.setTextPen(_FOREGROUND)
        plot.titleLabel.opts["color"] = _FOREGROUND

    def _set_titles(self, left: str, bottom: str, title: str) -> None:
        if (left, bottom, title) == self._titles:
            return
        self._titles = (left, bottom, title)
        self._plot.setLabel("left", left)
        self._plot.setLabel("bottom", bottom)
        self._plot.setTitle(title or None)

    def _update_image(self) -> None:
        if self._matrix is not None:
            apply_matrix(self._image, self._bar, self._matrix,
                         colormaps.is_diverging(self._colormap), self._value_scale)


def _axis_title(kind: str, name: str) -> str:
    return f"{kind}: {name}" if name else kind
