"""What every analysis panel shares: a header with status and Export…, plot styling, export."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from jacgui.core.errors import JacguiError
from jacgui.core.job import JacobianResult

__all__ = ["AnalysisView", "BarTable", "carrier_for", "plot_widget", "style_plot", "unit_of"]

FOREGROUND = "k"
DATA_FILTERS = {"CSV table (*.csv)": ".csv", "JSON with metadata (*.json)": ".json"}
PNG_FILTER = "PNG image, 2× (*.png)"
_UNIT = re.compile(r"\[([^\]]+)\]\s*$")


def unit_of(label: str) -> str:
    """The unit in a label such as ``"mass [kg]"`` (``"kg"``), or ``""``."""
    match = _UNIT.search(label or "")
    return match.group(1) if match else ""


def style_plot(plot: pg.PlotItem, left: str = "", bottom: str = "", title: str = "") -> None:
    """Black axes and text on white, no pyqtgraph context menu or auto-range button."""
    plot.hideButtons()
    plot.setMenuEnabled(False)
    for side in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(side)
        axis.setPen(FOREGROUND)
        axis.setTextPen(FOREGROUND)
        # No "(x0.001)" rescaling: ticks show the real numbers (and it is wrong on log axes).
        axis.enableAutoSIPrefix(False)
    plot.titleLabel.opts["color"] = FOREGROUND
    if left:
        plot.setLabel("left", left, color=FOREGROUND)
    if bottom:
        plot.setLabel("bottom", bottom, color=FOREGROUND)
    plot.setTitle(title or None)


def plot_widget() -> pg.GraphicsLayoutWidget:
    """A white graphics layout widget."""
    widget = pg.GraphicsLayoutWidget()
    widget.setBackground("w")
    return widget


@dataclass(frozen=True)
class BarTable:
    """A labelled vector (importance, sensitivity, a singular vector) in exportable form."""

    name: str
    labels: tuple[str, ...]
    values: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_rows(self) -> list[list[Any]]:
        """Table: label, value."""
        return [["label", self.name], *[[lab, float(v)] for lab, v in zip(self.labels,
                                                                           self.values,
                                                                           strict=True)]]

    def to_dict(self) -> dict[str, Any]:
        """Arrays and metadata; ``primary`` names the main array."""
        return {"analysis": self.name, "primary": "values", "labels": list(self.labels),
                "values": np.asarray(self.values, dtype=float), **self.metadata}


class AnalysisView(QtWidgets.QWidget):
    """Base of the analysis panels: header (title, status, Export…) above a body.

    Subclasses fill :attr:`body`, set :attr:`export_name`, and override :meth:`analysis`.

    Signals
    -------
    message(str)
        A notice for the status bar (export written, failures).
    """

    message = QtCore.Signal(str)
    export_name = "analysis"

    def __init__(self, title: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.dialogs: Any = None
        self.folder = ""
        self.title = QtWidgets.QLabel(f"<b>{title}</b>")
        self.status = QtWidgets.QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.export_button = QtWidgets.QToolButton()
        self.export_button.setText("Export…")
        self.export_button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QtWidgets.QMenu(self.export_button)
        menu.addAction("Data (CSV or JSON)…", self.ask_export_data)
        menu.addAction("Picture (PNG)…", self.ask_export_picture)
        self.export_button.setMenu(menu)
        self.export_button.setEnabled(False)
        header = QtWidgets.QHBoxLayout()
        header.addWidget(self.title)
        header.addStretch(1)
        header.addWidget(self.export_button)
        self.controls = QtWidgets.QHBoxLayout()
        self.body = QtWidgets.QVBoxLayout()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(header)
        layout.addLayout(self.controls)
        self._layout = layout
        layout.addLayout(self.body, 1)
        layout.addWidget(self.status)

    def add_control_row(self) -> QtWidgets.QHBoxLayout:
        """A second row of controls under :attr:`controls` (panels are about 650 px wide)."""
        row = QtWidgets.QHBoxLayout()
        self._layout.insertLayout(self._layout.indexOf(self.controls) + 1, row)
        return row

    # -- to override --------------------------------------------------------------------------
    def analysis(self) -> Any:
        """The exportable analysis shown (``to_rows``/``to_dict``), or ``None``."""
        return None

    def picture_widget(self) -> QtWidgets.QWidget:
        """What the PNG shows: the body without the controls by default."""
        return self

    # -- export -------------------------------------------------------------------------------
    def set_exportable(self, enabled: bool) -> None:
        """Enable Export… when there is something to export."""
        self.export_button.setEnabled(enabled)

    def export_data(self, path: str | Path) -> Path:
        """Write the analysis via :func:`jacgui.core.analysis.save_analysis` (.csv/.json/...)."""
        from jacgui.core.analysis import save_analysis

        analysis = self.analysis()
        if analysis is None:
            raise JacguiError("nothing to export yet")
        return save_analysis(analysis, path)

    def export_picture(self, path: str | Path, scale: float = 2.0) -> Path:
        """Write a PNG of :meth:`picture_widget` at ``scale`` times its screen size."""
        from ..picture_export import save_qimage, settle_layout

        settle_layout()
        widget = self.picture_widget()
        size = widget.size()
        image = QtGui.QImage(round(size.width() * scale), round(size.height() * scale),
                             QtGui.QImage.Format.Format_ARGB32)
        image.setDevicePixelRatio(scale)
        image.fill(QtGui.QColor("white"))
        # GraphicsView overrides render(); the QWidget version draws every child (stack-facts §4).
        QtWidgets.QWidget.render(widget, image)
        return save_qimage(image, path)

    @QtCore.Slot()
    def ask_export_data(self) -> None:
        """Ask for a .csv or .json file and write the data."""
        answer = self._ask("Export analysis data", ";;".join(DATA_FILTERS))
        if answer:
            path, chosen = answer
            suffix = Path(path).suffix.lower()
            if suffix not in (".csv", ".json", ".npz", ".npy"):
                path += DATA_FILTERS.get(chosen, ".csv")
            self._report(lambda: self.export_data(path))

    @QtCore.Slot()
    def ask_export_picture(self) -> None:
        """Ask for a .png file and write the picture."""
        answer = self._ask("Export analysis picture", PNG_FILTER)
        if answer:
            path = answer[0] if answer[0].lower().endswith(".png") else answer[0] + ".png"
            self._report(lambda: self.export_picture(path))

    def _ask(self, title: str, filters: str) -> tuple[str, str] | None:
        if self.dialogs is None:
            from ..dialogs import Dialogs

            self.dialogs = Dialogs()
        return self.dialogs.save_file(self, title, self.folder, filters)

    def _report(self, write: Any) -> None:
        try:
            written = write()
        except (JacguiError, OSError) as exc:
            self.message.emit(f"Could not export: {exc}")
        else:
            self.message.emit(f"Saved {written}")


def carrier_for(analysis: Any, context: Any) -> JacobianResult:
    """A result carrying the labels of ``analysis`` (HeatmapView draws a JacobianResult)."""
    base = None if context is None else context.result
    m, n = len(analysis.output_labels), len(analysis.input_labels)
    if base is not None and base.shape != (m, n):
        base = None
    return JacobianResult(
        np.zeros((m, n)), np.zeros(m) if base is None else base.outputs,
        np.zeros(n) if base is None else base.point, tuple(analysis.input_labels),
        tuple(analysis.output_labels), "" if base is None else base.input_name,
        "" if base is None else base.output_name, (n,) if base is None else base.input_shape,
        (m,) if base is None else base.output_shape, "analysis")
