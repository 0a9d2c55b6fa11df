"""Graphics items of the heatmap: the one-pixel-per-cell image, the NaN backdrop, the marker."""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from typing import Any

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

from .colormaps import NAN_COLOR

__all__ = ["JacobianImageItem", "NanBackdrop", "SelectionMarker"]

# Upscaled copy of the image embedded in SVG: big enough that viewers which ignore
# ``image-rendering: pixelated`` still show crisp cells, small enough to keep files sane.
_SVG_TARGET_SIDE = 2000
_SVG_MAX_PIXELS = 4_000_000


class JacobianImageItem(pg.ImageItem):
    """Row-major :class:`~pyqtgraph.ImageItem` that reports clicks and hovers in image coords.

    Subclassed (not monkey-patched) as pyqtgraph recommends.  Cell ``(r, c)`` covers
    ``[c, c+1) x [r, r+1)`` in item coordinates.

    Parameters
    ----------
    on_click : callable
        Called with the item-coordinate :class:`QPointF` of a left click.
    on_hover : callable
        Called with the item-coordinate position under the mouse, or ``None`` on leaving.

    Notes
    -----
    Bound methods are held weakly. A strong reference from the item back to the widget that
    owns it made a reference cycle through the scene; when Python's garbage collector broke
    it, the widget's C++ side deleted the scene with the item's wrapper half-collected and
    the process segfaulted (any parentless ``HeatmapView`` that went out of scope).
    """

    def __init__(
        self,
        on_click: Callable[[QtCore.QPointF], None],
        on_hover: Callable[[QtCore.QPointF | None], None],
    ) -> None:
        super().__init__(axisOrder="row-major")
        self._on_click = _weak(on_click)
        self._on_hover = _weak(on_hover)

    def mouseClickEvent(self, ev: object) -> None:  # pyqtgraph hook
        """Report a left click; other buttons go on to the view box (its context menu)."""
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            ev.accept()
            self._on_click(ev.pos())
        else:
            ev.ignore()

    def hoverEvent(self, ev: object) -> None:  # pyqtgraph hook
        """Report the hovered position, or ``None`` when the mouse leaves the image."""
        if ev.isExit():
            self._on_hover(None)
        else:
            # Claim left clicks so the view box doesn't treat them as its own.
            ev.acceptClicks(QtCore.Qt.MouseButton.LeftButton)
            self._on_hover(ev.pos())

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        """Paint; into SVG, embed a nearest-neighbour upscaled copy so cells stay crisp."""
        if not (self._exportOpts and isinstance(painter.device(), QtSvg.QSvgGenerator)):
            super().paint(painter, *args)
            return
        if self.image is None:
            return
        if self._renderRequired:
            self.render()
        if self.qimage is None:
            return
        rows, cols = self.image.shape[:2]
        # Per axis: a 10 x 784 matrix needs its rows, not its columns, blown up.
        kx, ky = math.ceil(_SVG_TARGET_SIDE / cols), math.ceil(_SVG_TARGET_SIDE / rows)
        shrink = math.sqrt(_SVG_MAX_PIXELS / (kx * ky * rows * cols))
        if shrink < 1:
            kx, ky = max(1, math.floor(kx * shrink)), max(1, math.floor(ky * shrink))
        big = self.qimage.scaled(
            cols * kx,
            rows * ky,
            QtCore.Qt.AspectRatioMode.IgnoreAspectRatio,
            QtCore.Qt.TransformationMode.FastTransformation,
        )
        painter.drawImage(QtCore.QRectF(0, 0, cols, rows), big)


def _weak(callback: Callable[..., None]) -> Callable[..., None]:
    """``callback``, holding its object weakly when it is a bound method (a no-op once gone)."""
    if not hasattr(callback, "__self__"):
        return callback
    method = weakref.WeakMethod(callback)

    def call(*args: Any) -> None:
        target = method()
        if target is not None:
            target(*args)

    return call


class NanBackdrop(QtWidgets.QGraphicsRectItem):
    """Flat grey rectangle under the image: NaN cells render transparent and show it."""

    def __init__(self) -> None:
        super().__init__()
        self.setBrush(QtGui.QBrush(QtGui.QColor(*NAN_COLOR)))
        self.setPen(QtGui.QPen(QtCore.Qt.PenStyle.NoPen))
        self.setZValue(-10)

    def set_shape(self, rows: int, cols: int) -> None:
        """Cover ``rows x cols`` cells."""
        self.setRect(QtCore.QRectF(0, 0, cols, rows))


class SelectionMarker:
    """Black-and-yellow double outline around one cell; visible on every colour map.

    Cosmetic pens keep the outline a few screen pixels wide at any zoom, so a selected cell of
    a 1000 x 1000 matrix is still findable.

    Parameters
    ----------
    add_item : callable
        Adds a graphics item to the plot (``PlotItem.addItem`` with ``ignoreBounds``).
    """

    def __init__(self, add_item: Callable[[QtWidgets.QGraphicsItem], None]) -> None:
        self._items = []
        for color, width, z in (("k", 4.0, 20), ("y", 2.0, 21)):
            pen = pg.mkPen(color, width=width)
            pen.setCosmetic(True)
            pen.setJoinStyle(QtCore.Qt.PenJoinStyle.MiterJoin)
            item = QtWidgets.QGraphicsRectItem()
            item.setPen(pen)
            item.setBrush(QtGui.QBrush(QtCore.Qt.BrushStyle.NoBrush))
            item.setZValue(z)
            item.setVisible(False)
            add_item(item)
            self._items.append(item)

    def show_cell(self, row: int, col: int) -> None:
        """Outline cell ``(row, col)``."""
        for item in self._items:
            item.setRect(QtCore.QRectF(col, row, 1, 1))
            item.setVisible(True)

    def hide(self) -> None:
        """Remove the outline."""
        for item in self._items:
            item.setVisible(False)

    def is_visible(self) -> bool:
        """Whether a cell is outlined."""
        return self._items[0].isVisible()
