"""Interactive Jacobian heatmap: rows are outputs, columns are inputs, one pixel per cell."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from . import colormaps
from .heatmap_axes import LabelAxis
from .heatmap_colorbar import add_colorbar, apply_matrix, clear_colorbar
from .heatmap_item import JacobianImageItem, NanBackdrop, SelectionMarker
from .heatmap_math import cell_at, color_levels

if TYPE_CHECKING:
    from jacgui.core.job import JacobianResult

__all__ = ["HeatmapView", "VALUE_SCALES"]

VALUE_SCALES = ("linear", "symlog")
#: Matrices with at most this many cells carry their values as text: a 1×1 Jacobian is
#: otherwise one coloured square that says nothing.
LABELLED_CELLS = 32
_FOREGROUND = "k"
_ARROWS = {
    QtCore.Qt.Key.Key_Up: (-1, 0),
    QtCore.Qt.Key.Key_Down: (1, 0),
    QtCore.Qt.Key.Key_Left: (0, -1),
    QtCore.Qt.Key.Key_Right: (0, 1),
}


class HeatmapView(QtWidgets.QWidget):
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

        self._plot.vb.sigRangeChanged.connect(self._fit_value_labels)
        self._plot.vb.sigResized.connect(self._fit_value_labels)
        self._bar = add_colorbar(self._image, self._plot, self._colormap, width=18)
        self._value_labels: list[pg.TextItem] = []
        self._values_shown = True

        self._hover_label = QtWidgets.QLabel()
        self._hover_label.setFont(
            QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        self._hover_label.setTextInteractionFlags(
            QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        # Reserve one line even when empty, so hovering in and out does not resize the plot.
        self._hover_label.setMinimumHeight(self._hover_label.fontMetrics().height() + 4)

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
            self._update_value_labels()
            clear_colorbar(self._bar)  # another model's scale must not stay beside nothing
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

    def title(self) -> str:
        """The plot title (empty for none)."""
        return self._titles[2] if self._titles else ""

    def set_title(self, title: str) -> None:
        """Replace the plot title (empty for none)."""
        left, bottom, _ = self._titles or ("output", "input", "")
        self._set_titles(left, bottom, title)

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

    # ----------------------------------------------------------------- cells
    def hover_text(self) -> str:
        """Read-out of the hovered cell: labels, (row, col) and value; empty when none."""
        return "" if self._hovered is None else self.cell_text(*self._hovered)

    def cell_text(self, row: int, col: int) -> str:
        """Read-out of any cell, in the same format as :meth:`hover_text`."""
        if self._result is None or self._matrix is None:
            return ""
        value = float(self._matrix[row, col])
        shown = f"{value:.6g}" if np.isfinite(value) else f"{value} (no data)"
        out = _label(self._result.output_labels, row)
        inp = _label(self._result.input_labels, col)
        return f"∂ {out} / ∂ {inp}   (row {row}, col {col})   = {shown}"

    def select_cell(self, row: int, col: int) -> None:
        """Select and outline cell ``(row, col)``; emits ``selection_changed``.

        Raises
        ------
        IndexError
            If there is no such cell.
        """
        if self._matrix is None:
            raise IndexError("no result is shown")
        rows, cols = self._matrix.shape
        if not (0 <= row < rows and 0 <= col < cols):
            raise IndexError(f"cell ({row}, {col}) outside {rows} x {cols}")
        self._set_selection((row, col))

    def clear_selection(self) -> None:
        """Remove the selection (silently; see ``selection_changed``)."""
        self._set_selection(None)

    def selected_cell(self) -> tuple[int, int] | None:
        """``(row, col)`` of the selected cell, or ``None``."""
        return self._selected

    def _on_image_click(self, pos: QtCore.QPointF) -> None:
        if self._matrix is None:
            return
        row, col = cell_at(pos.x(), pos.y(), self._matrix.shape)
        self.setFocus(QtCore.Qt.FocusReason.MouseFocusReason)
        self._set_selection((row, col))
        self.cell_clicked.emit(row, col)

    def _on_image_hover(self, pos: QtCore.QPointF | None) -> None:
        if self._matrix is None:
            return
        cell = None if pos is None else cell_at(pos.x(), pos.y(), self._matrix.shape)
        if cell == self._hovered:
            return
        self._hovered = cell
        self._update_hover_label()
        self.cell_hovered.emit(*(cell if cell is not None else (-1, -1)))

    def _set_selection(self, cell: tuple[int, int] | None) -> None:
        if cell == self._selected:
            return
        self._selected = cell
        if cell is None:
            self._marker.hide()
        else:
            self._marker.show_cell(*cell)
        self._update_hover_label()
        if cell is not None:
            self.selection_changed.emit(*cell)

    def _update_hover_label(self) -> None:
        if self._hovered is not None:
            text = self.hover_text()
        elif self._selected is not None and self._matrix is not None:
            text = "selected: " + self.cell_text(*self._selected)
        else:
            text = ""
        self._hover_label.setText(text)

    def _move_selection(self, d_row: int, d_col: int) -> None:
        if self._matrix is None:
            return
        rows, cols = self._matrix.shape
        row, col = self._selected if self._selected is not None else (0, 0)
        if self._selected is not None:
            row = min(max(row + d_row, 0), rows - 1)
            col = min(max(col + d_col, 0), cols - 1)
        self._set_selection((row, col))

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        """Arrow keys move the selection (clamped at the edges)."""
        step = _ARROWS.get(event.key())
        if step is None:
            super().keyPressEvent(event)
            return
        self._move_selection(*step)
        event.accept()

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        """Route arrow keys in the graphics view to :meth:`keyPressEvent`; refit the title."""
        if event.type() == QtCore.QEvent.Type.KeyPress and event.key() in _ARROWS:
            self.keyPressEvent(event)
            return True
        if event.type() == QtCore.QEvent.Type.Resize and watched is self._glw:
            self._show_title()
        return super().eventFilter(watched, event)

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
        # pyqtgraph renders labels as HTML: names from the user's files are text.
        self._plot.setLabel("left", html.escape(left))
        self._plot.setLabel("bottom", html.escape(bottom))
        self._show_title()

    def _show_title(self) -> None:
        """The title, one line per " — " part, each elided to the view's width.

        A title wider than the view would widen the plot's layout beyond the picture and
        cut off the matrix and the colour bar of an export.
        """
        title = self._titles[2] if self._titles else ""
        if not title:
            self._plot.setTitle(None)
            return
        metrics = QtGui.QFontMetricsF(self._plot.titleLabel.item.font())
        width = max(self._glw.width() - 40.0, 80.0)
        lines = [metrics.elidedText(part, QtCore.Qt.TextElideMode.ElideMiddle, width)
                 for part in title.split(" — ")]
        self._plot.setTitle("<br>".join(html.escape(line) for line in lines))
        # pyqtgraph sizes the title row for one line.
        height = round(metrics.lineSpacing() * len(lines) + 16)
        self._plot.titleLabel.setMaximumHeight(height)
        self._plot.layout.setRowFixedHeight(0, height)

    def _update_image(self) -> None:
        if self._matrix is not None:
            apply_matrix(self._image, self._bar, self._matrix,
                         colormaps.is_diverging(self._colormap), self._value_scale)
        self._update_value_labels()

    def show_values(self, shown: bool) -> None:
        """Whether small matrices carry their values as text (on by default)."""
        self._values_shown = shown
        self._update_value_labels()

    def value_labels(self) -> list[str]:
        """The texts written on the cells, row-major.

        Empty for matrices too large to write on, or cells too narrow for their text.
        """
        return [item.textItem.toPlainText() for item in self._value_labels if item.isVisible()]

    def _update_value_labels(self) -> None:
        matrix = self._matrix
        small = matrix is not None and matrix.size <= LABELLED_CELLS
        cells = matrix.size if small and self._values_shown else 0
        while len(self._value_labels) > cells:
            self._plot.removeItem(self._value_labels.pop())
        while len(self._value_labels) < cells:
            # A light box behind dark text reads on every colour of every map.
            item = pg.TextItem(color="k", anchor=(0.5, 0.5), fill=pg.mkBrush(255, 255, 255, 190))
            item.setZValue(15)
            self._plot.addItem(item, ignoreBounds=True)
            self._value_labels.append(item)
        if not cells:
            return
        for index, item in enumerate(self._value_labels):
            row, col = divmod(index, matrix.shape[1])
            value = float(matrix[row, col])
            item.setText(f"{value:.3g}" if np.isfinite(value) else "no data")
            item.setPos(col + 0.5, row + 0.5)
        self._fit_value_labels()

    def _fit_value_labels(self) -> None:
        """Show the values only where every one fits its cell: overlapping text reads as none."""
        if not self._value_labels:
            return
        view_box = self._plot.vb
        pixel_w, pixel_h = view_box.viewPixelSize()
        cell_w = 1.0 / pixel_w if pixel_w > 0 else 0.0
        cell_h = 1.0 / pixel_h if pixel_h > 0 else 0.0
        text_w = max(item.textItem.boundingRect().width() for item in self._value_labels)
        text_h = max(item.textItem.boundingRect().height() for item in self._value_labels)
        fits = view_box.width() > 0 and text_w + 4 <= cell_w and text_h <= cell_h
        for item in self._value_labels:
            item.setVisible(fits)


def _label(labels: tuple[str, ...], index: int) -> str:
    return labels[index] if 0 <= index < len(labels) else f"#{index}"


def _axis_title(kind: str, name: str) -> str:
    return f"{kind}: {name}" if name else kind
