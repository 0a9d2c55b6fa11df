r"""Axis that labels matrix cells by name and thins the labels to what fits.

The bottom (input) axis lays its labels out in the first of three ways that shows every
label of the visible range, and thins only in the last:

1. ``horizontal``: one line per label, when the widest label fits in a column;
2. ``wrapped``: two lines, broken before the unit (``"stiffness\n[N/m]"``) or at the space
   that best balances the lines, when the wider line fits in a column;
3. ``rotated``: vertical text reading upwards, one text line per column, thinned only when
   columns are narrower than a line; the axis is as tall as the longest visible label.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from .heatmap_math import label_step, visible_label_indices

__all__ = ["LABEL_LAYOUTS", "LabelAxis", "wrap_label"]

# Longer names are elided on the axis; the hover text and inspector show them in full.
MAX_LABEL_CHARS = 28
#: Rotated labels longer than this many pixels are elided (keeps the heatmap tall).
MAX_ROTATED_PX = 130
LABEL_LAYOUTS = ("horizontal", "wrapped", "rotated")
_GAP_PX = 8.0
# Pixels a label may reach past either end of the axis (the first/last column's label).
_OVERHANG_PX = 12


def wrap_label(text: str) -> str:
    """``text`` on two lines: before a trailing ``[unit]``/``(unit)``, else at the middle space.

    Returns ``text`` unchanged when it has no space to break at.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
    """
    for opener in (" [", " ("):
        cut = text.rfind(opener)
        if cut > 0:
            return text[:cut] + "\n" + text[cut + 1:]
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    if not spaces:
        return text
    cut = min(spaces, key=lambda i: max(i, len(text) - i - 1))
    return text[:cut] + "\n" + text[cut + 1:]


class LabelAxis(pg.AxisItem):
    """An :class:`~pyqtgraph.AxisItem` whose ticks are cell names at cell centres ``i + 0.5``.

    Labels are recomputed on every repaint from the visible range, so zooming in reveals the
    labels that were thinned out; only the visible ones are ever drawn (no per-label items).

    Parameters
    ----------
    orientation : {'left', 'bottom'}
    **kwargs
        Passed to :class:`~pyqtgraph.AxisItem`.
    """

    def __init__(self, orientation: str, **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        # SI prefixes would rescale cell indices ("k" for 1000) and break the label lookup.
        self.enableAutoSIPrefix(False)
        self._source: tuple[str, ...] | None = None
        self._labels: tuple[str, ...] = ()
        self._wrapped: tuple[str, ...] = ()
        self._widths: tuple[float, ...] = ()
        self._extent = 12.0
        self._extents = {"horizontal": 12.0, "wrapped": math.inf, "rotated": 12.0}
        self._layout = "horizontal"
        self._shown: list[int] = []
        self._font = QtGui.QFont()
        self._metrics = QtGui.QFontMetricsF(self._font)
        self.setStyle(tickFont=self._font, tickTextOffset=4)
        if self._horizontal_axis():
            # The axis height follows the layout (one line, two lines, rotated), not the
            # texts pyqtgraph measured last time.
            self.setStyle(autoExpandTextSpace=False, hideOverlappingLabels=_OVERHANG_PX,
                          tickTextHeight=self._text_height())

    def _horizontal_axis(self) -> bool:
        return self.orientation in ("bottom", "top")

    def set_labels(self, labels: Sequence[str]) -> None:
        """Use ``labels[i]`` for cell ``i``; an empty sequence shows no ticks.

        Setting the labels already in use does nothing (a recompute at a new point keeps
        its names), so that live updates do not re-measure a thousand texts.

        Parameters
        ----------
        labels : sequence of str
        """
        source = tuple(str(s) for s in labels)
        if source == self._source:
            return
        self._source = source
        self._labels = tuple(_elide(s) for s in source)
        metrics = self._metrics
        if not self._horizontal_axis():
            self._extent = metrics.height() + _GAP_PX / 2
            widest = max((metrics.horizontalAdvance(s) for s in self._labels), default=0.0)
            # Fixed width (AxisItem would otherwise only ever grow), with room for the axis
            # title, which the heatmap always shows.
            title = QtGui.QFontMetricsF(self.label.font()).height() + 6
            self.setWidth(int(min(max(widest + 14, 30), 260) + title))
        else:
            self._widths = tuple(metrics.horizontalAdvance(s) for s in self._labels)
            self._wrapped = tuple(wrap_label(s) for s in self._labels)
            widest = max(self._widths, default=0.0)
            wrapped = max((metrics.horizontalAdvance(line) for s in self._wrapped
                           for line in s.split("\n")), default=0.0)
            self._extents = {
                "horizontal": widest + _GAP_PX,
                "wrapped": wrapped + _GAP_PX if wrapped < widest else math.inf,
                "rotated": metrics.height() + _GAP_PX / 2,
            }
            self._extent = self._extents[self._layout]
            if not self._labels:
                self._layout, self._shown = "horizontal", []
                self._fit_height()
        self.picture = None
        self.update()

    def labels(self) -> tuple[str, ...]:
        """The (possibly elided) labels currently in use."""
        return self._labels

    def label_layout(self) -> str:
        """How the labels are laid out now: one of :data:`LABEL_LAYOUTS`."""
        return self._layout if self._horizontal_axis() else "horizontal"

    def shown_indices(self) -> list[int]:
        """Indices of the labels drawn at the last repaint."""
        return list(self._shown)

    def choose_layout(self, pixels_per_cell: float) -> str:
        """Pick and apply the first layout in which every label fits (see the module doc).

        Parameters
        ----------
        pixels_per_cell : float
            Screen pixels per cell along the axis.

        Returns
        -------
        str
        """
        if not self._horizontal_axis():
            return "horizontal"
        layout = "rotated"
        for name in ("horizontal", "wrapped"):
            if pixels_per_cell >= self._extents[name]:
                layout = name
                break
        if layout != self._layout:
            self._layout = layout
            self.picture = None
        self._extent = self._extents[layout]
        return layout

    # -- pyqtgraph hooks -------------------------------------------------------------------------
    def tickValues(self, low: float, high: float, size: float) -> list:
        """Cell centres to label in the visible range (pyqtgraph hook)."""
        # An inverted view (rows grow downwards) hands the range over reversed.
        low, high = min(low, high), max(low, high)
        if not self._labels or size <= 0 or high <= low:
            self._shown = []
            return []
        step = label_step(size / (high - low), self._extent)
        self._shown = visible_label_indices(low, high, len(self._labels), step)
        return [(float(step), [i + 0.5 for i in self._shown])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        """Names of the cells at ``values`` (pyqtgraph hook)."""
        labels = self._wrapped if self.label_layout() == "wrapped" else self._labels
        if self.label_layout() == "rotated":
            labels = ("",) * len(self._labels)  # drawn by drawPicture, not pyqtgraph
        out = []
        for v in values:
            i = round(v - 0.5)
            out.append(labels[i] if 0 <= i < len(labels) else "")
        return out

    def generateDrawSpecs(self, p: QtGui.QPainter) -> tuple | None:
        """Choose the layout from the on-screen width, then let pyqtgraph place the ticks."""
        if not self._horizontal_axis() or not self._labels:
            return super().generateDrawSpecs(p)
        bounds = self.mapRectFromParent(self.geometry())
        low, high = sorted(self.range)
        if high > low and bounds.width() > 0:
            self.choose_layout(bounds.width() / (high - low))
        specs = super().generateDrawSpecs(p)
        if specs is None:
            return None
        self._fit_height()
        if self._layout != "rotated":
            return specs
        axis_spec, tick_specs, _ = specs
        scale = bounds.width() / (high - low)
        top = bounds.top() + max(0, self.style["tickLength"]) + self.style["tickTextOffset"][1]
        texts = []
        for i in self._shown:
            x = bounds.left() + (i + 0.5 - low) * scale
            if bounds.left() - _OVERHANG_PX <= x <= bounds.right() + _OVERHANG_PX:
                texts.append((QtCore.QPointF(x, top), self._rotated_text(i)))
        return axis_spec, tick_specs, texts

    def drawPicture(self, p: QtGui.QPainter, axis_spec: tuple, tick_specs: list,
                    text_specs: list) -> None:
        """Draw axis and ticks as pyqtgraph does; rotated labels turned by -90 degrees."""
        if self._layout != "rotated" or not self._horizontal_axis():
            super().drawPicture(p, axis_spec, tick_specs, text_specs)
            return
        super().drawPicture(p, axis_spec, tick_specs, [])
        p.setFont(self._font)
        p.setPen(self.textPen())
        height = self._metrics.height()
        flags = int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        for anchor, text in text_specs:
            p.save()
            p.translate(anchor)
            p.rotate(-90)
            p.drawText(QtCore.QRectF(-MAX_ROTATED_PX - 4, -height / 2, MAX_ROTATED_PX + 4, height),
                       flags, text)
            p.restore()

    # -- internals -------------------------------------------------------------------------------
    def _rotated_text(self, index: int) -> str:
        text = self._labels[index]
        if self._widths[index] <= MAX_ROTATED_PX:
            return text
        return self._metrics.elidedText(text, QtCore.Qt.TextElideMode.ElideRight, MAX_ROTATED_PX)

    def _text_height(self) -> int:
        """Pixels the labels need across the axis in the current layout."""
        line = self._metrics.height()
        if self._layout == "wrapped":
            return math.ceil(2 * line)
        if self._layout == "rotated":
            longest = max((self._widths[i] for i in self._shown), default=0.0)
            return math.ceil(min(longest, MAX_ROTATED_PX)) + 2
        return math.ceil(line)

    def _fit_height(self) -> None:
        wanted = self._text_height()
        if wanted != self.style["tickTextHeight"]:
            # Resizes the axis; the layout repaints it at its new height.
            self.setStyle(tickTextHeight=wanted)


def _elide(text: str) -> str:
    return text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1] + "…"
