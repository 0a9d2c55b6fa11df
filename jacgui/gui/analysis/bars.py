"""Horizontal, labelled bar charts (long input names read best on the vertical axis)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from .base import style_plot

__all__ = ["BarPlot", "MAX_BARS", "SORTS"]

#: Sorted by value, at most this many bars are drawn (the largest); in input order, every bar
#: is drawn but only this many tick labels.
MAX_BARS = 30
SORTS = ("value", "order")
_POSITIVE, _NEGATIVE = (52, 101, 164), (192, 57, 43)
_LABEL_CHARS = 26


class BarPlot:
    """Horizontal bars with string ticks in a :class:`pyqtgraph.PlotItem`.

    Parameters
    ----------
    plot : pyqtgraph.PlotItem
        Where to draw (a cell of a ``GraphicsLayoutWidget``, so pictures hold every panel).
    """

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        style_plot(plot)
        plot.invertY(True)  # first bar at the top, as read
        plot.showGrid(x=True, y=False, alpha=0.25)
        self.shown: np.ndarray = np.zeros(0, dtype=int)
        self.values: np.ndarray = np.zeros(0)
        self.labels: tuple[str, ...] = ()
        self._items: list[object] = []

    def clear(self, title: str = "") -> None:
        """Remove the bars."""
        for item in self._items:
            self.plot.removeItem(item)
        self._items = []
        self.shown = np.zeros(0, dtype=int)
        self.plot.getAxis("left").setTicks([[]])
        self.plot.setTitle(title or None)

    def set_bars(self, labels: tuple[str, ...], values: np.ndarray, *, title: str = "",
                 value_label: str = "", sort: str = "value", errors: np.ndarray | None = None,
                 limit: int = MAX_BARS) -> np.ndarray:
        """Draw one bar per label; returns the indices shown, top to bottom.

        Parameters
        ----------
        sort : {'value', 'order'}
            Largest ``|value|`` first (only the ``limit`` largest), or in the given order.
        errors : ndarray, optional
            Standard errors drawn as whiskers.
        """
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {SORTS}, not {sort!r}")
        self.clear()
        values = np.asarray(values, dtype=float).reshape(-1)
        self.values, self.labels = values, tuple(labels)
        magnitude = np.where(np.isfinite(values), np.abs(values), -1.0)
        if sort == "value":
            order = np.argsort(-magnitude, kind="stable")[:limit]
        else:
            order = np.arange(values.size)
        self.shown = order
        count = order.size
        if count < values.size:
            title += f"<br><span style='font-size:8pt'>the {count} largest of {values.size}</span>"
        self.plot.setTitle(title or None)
        shown = values[order]
        finite = np.where(np.isfinite(shown), shown, 0.0)
        brushes = [pg.mkBrush(*(_NEGATIVE if v < 0 else _POSITIVE)) for v in finite]
        bars = pg.BarGraphItem(x0=np.minimum(finite, 0.0), y=np.arange(count), height=0.7,
                               width=np.abs(finite), brushes=brushes, pen=pg.mkPen(None))
        self._add(bars)
        if errors is not None:
            err = np.asarray(errors, dtype=float).reshape(-1)[order]
            self._add(pg.ErrorBarItem(x=finite, y=np.arange(count, dtype=float),
                                      left=err, right=err, beam=0.25, pen=pg.mkPen("k")))
        if count <= MAX_BARS:  # the number at each bar: tiny bars stay readable
            whisker = np.zeros(count) if errors is None else np.nan_to_num(err)
            for k, value in enumerate(shown):
                # Right of the bar's end (and of its whisker); for a negative bar, right of
                # zero, so no number runs into the tick labels on the left.
                text = pg.TextItem(_number(value), color="k", anchor=(0.0, 0.5))
                text.setPos(max(float(finite[k]), 0.0) + float(whisker[k]), float(k))
                self._add(text)
        step = max(1, int(np.ceil(count / MAX_BARS)))
        ticks = [(float(k), _short(self.labels[order[k]])) for k in range(0, count, step)]
        self.plot.getAxis("left").setTicks([ticks, []])
        self.plot.setLabel("bottom", value_label)
        span = np.concatenate([[0.0], finite, finite + (0 if errors is None else err),
                               finite - (0 if errors is None else err)])
        low, high = float(span.min()), float(span.max())
        # Room for the numbers beside the bars, on the side(s) that have bars.
        width = (high - low) or 1.0
        pad = (0.32 if count <= MAX_BARS else 0.05) * width
        self.plot.enableAutoRange(False)
        self.plot.vb.setRange(xRange=(low - (0.05 * width if low < 0 else 0), high + pad),
                              yRange=(-0.6, count - 0.4), padding=0)
        zero = pg.InfiniteLine(0.0, angle=90, pen=pg.mkPen("k", width=1))
        self._add(zero)
        return order

    def _add(self, item: object) -> None:
        self.plot.addItem(item)
        self._items.append(item)


def _number(value: float) -> str:
    return f"{value:.3g}" if np.isfinite(value) else "NaN"


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else label[:_LABEL_CHARS - 1] + "…"
