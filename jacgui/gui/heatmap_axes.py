"""Axis that labels matrix cells by name and thins the labels to what fits."""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6 import QtGui

from .heatmap_math import label_step, visible_label_indices

__all__ = ["LabelAxis"]

# Longer names are elided on the axis; the hover text and inspector show them in full.
MAX_LABEL_CHARS = 28
_GAP_PX = 8.0


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
        self._labels: tuple[str, ...] = ()
        self._extent = 12.0
        self._font = QtGui.QFont()
        self.setStyle(tickFont=self._font, tickTextOffset=4)

    def set_labels(self, labels: Sequence[str]) -> None:
        """Use ``labels[i]`` for cell ``i``; an empty sequence shows no ticks.

        Parameters
        ----------
        labels : sequence of str
        """
        self._labels = tuple(_elide(str(s)) for s in labels)
        metrics = QtGui.QFontMetricsF(self._font)
        if self.orientation in ("left", "right"):
            self._extent = metrics.height() + _GAP_PX / 2
            widest = max((metrics.horizontalAdvance(s) for s in self._labels), default=0.0)
            # Fixed width (AxisItem would otherwise only ever grow), with room for the axis
            # title, which the heatmap always shows.
            title = QtGui.QFontMetricsF(self.label.font()).height() + 6
            self.setWidth(int(min(max(widest + 14, 30), 260) + title))
        else:
            widest = max((metrics.horizontalAdvance(s) for s in self._labels), default=0.0)
            self._extent = widest + _GAP_PX
        self.picture = None
        self.update()

    def labels(self) -> tuple[str, ...]:
        """The (possibly elided) labels currently in use."""
        return self._labels

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802
        """Cell centres to label in the visible range (pyqtgraph hook)."""
        # An inverted view (rows grow downwards) hands the range over reversed.
        minVal, maxVal = min(minVal, maxVal), max(minVal, maxVal)
        if not self._labels or size <= 0 or maxVal <= minVal:
            return []
        step = label_step(size / (maxVal - minVal), self._extent)
        indices = visible_label_indices(minVal, maxVal, len(self._labels), step)
        return [(float(step), [i + 0.5 for i in indices])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        """Names of the cells at ``values`` (pyqtgraph hook)."""
        out = []
        for v in values:
            i = round(v - 0.5)
            out.append(self._labels[i] if 0 <= i < len(self._labels) else "")
        return out


def _elide(text: str) -> str:
    return text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1] + "…"
