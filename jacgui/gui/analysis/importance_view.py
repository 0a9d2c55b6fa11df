"""Which inputs matter, which outputs react: norms of the Jacobian as sortable bar charts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from jacgui.core.views import input_importance, output_sensitivity

from .bars import BarPlot
from .base import AnalysisView, plot_widget

if TYPE_CHECKING:
    from jacgui.core.job import JacobianResult

__all__ = ["ImportanceTable", "ImportanceView"]


@dataclass(frozen=True)
class ImportanceTable:
    """Input importance and output sensitivity, exportable."""

    input_labels: tuple[str, ...]
    importance: np.ndarray
    importance_of: str
    output_labels: tuple[str, ...]
    sensitivity: np.ndarray
    view: str

    def to_rows(self) -> list[list[Any]]:
        """Two labelled columns, inputs then outputs, separated by a blank row."""
        rows: list[list[Any]] = [["input", f"importance ({self.importance_of})"]]
        rows += [[lab, float(v)] for lab, v in zip(self.input_labels, self.importance, strict=True)]
        rows += [[], ["output", "sensitivity (row norm)"]]
        rows += [[lab, float(v)]
                 for lab, v in zip(self.output_labels, self.sensitivity, strict=True)]
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Arrays and metadata; ``primary`` names the main array."""
        return {"analysis": "importance", "primary": "importance", "view": self.view,
                "importance_of": self.importance_of, "input_labels": list(self.input_labels),
                "importance": self.importance, "output_labels": list(self.output_labels),
                "sensitivity": self.sensitivity}


class ImportanceView(AnalysisView):
    """Input importance (column norms, or ``|J[row, :]|``) and output sensitivity (row norms).

    The norms are of the matrix the heatmap shows, so with the scaled view inputs in different
    units become comparable.
    """

    export_name = "importance"
    _HINT = "Compute a Jacobian to rank its inputs."

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Input importance and output sensitivity", parent)
        self.scope = QtWidgets.QComboBox()
        self.scope.addItem("all outputs: column norm ‖J[:, j]‖", None)
        self.scope.addItem("the selected output: |J[i, j]|", "row")
        self.sort = QtWidgets.QComboBox()
        self.sort.addItem("largest first", "value")
        self.sort.addItem("input order", "order")
        self.controls.addWidget(QtWidgets.QLabel("Rank inputs for"))
        self.controls.addWidget(self.scope)
        self.controls.addWidget(QtWidgets.QLabel("Sort"))
        self.controls.addWidget(self.sort)
        self.controls.addStretch(1)
        self.graphics = plot_widget()
        self.inputs = BarPlot(self.graphics.addPlot())
        self.outputs = BarPlot(self.graphics.addPlot())
        self.body.addWidget(self.graphics)
        self.scope.currentIndexChanged.connect(self._redraw)
        self.sort.currentIndexChanged.connect(self._redraw)
        self._result: JacobianResult | None = None
        self._matrix: np.ndarray | None = None
        self._view_name = "∂f_i/∂x_j"
        self._row = 0
        self._table: ImportanceTable | None = None
        self._undrawn: tuple[Any, ...] | None = None  # bars computed while hidden
        self.status.setText(self._HINT)

    def set_data(self, result: JacobianResult | None, matrix: np.ndarray | None = None,
                 view_name: str = "∂f_i/∂x_j") -> None:
        """Rank the inputs of ``matrix`` (default ``result.matrix``)."""
        self._result = result
        self._matrix = None if result is None else (result.matrix if matrix is None else matrix)
        self._view_name = view_name
        if result is not None and self._row >= result.shape[0]:
            self._row = 0
        self._redraw()

    def set_row(self, row: int) -> None:
        """The selected output (used when ranking for one output)."""
        self._row = row
        if self.scope.currentData() == "row":
            self._redraw()

    def analysis(self) -> ImportanceTable | None:
        """The analysis shown, exportable."""
        return self._table

    def picture_widget(self) -> QtWidgets.QWidget:
        """What the exported picture shows."""
        return self.graphics

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        """Draw the bars of a Jacobian that arrived while the tab was hidden."""
        super().showEvent(event)
        self._draw_bars()

    def _draw_bars(self) -> None:
        if self._undrawn is None:
            return
        result, importance, sensitivity, of, name = self._undrawn
        self._undrawn = None
        sort = self.sort.currentData()
        self.inputs.set_bars(result.input_labels, importance, title="Input importance",
                             value_label=of, sort=sort)
        self.outputs.set_bars(result.output_labels, sensitivity, title="Output sensitivity",
                              value_label=f"‖row‖ of {name} over all inputs", sort=sort)

    @QtCore.Slot()
    def _redraw(self, *_: object) -> None:
        result, matrix = self._result, self._matrix
        if result is None or matrix is None:
            self.inputs.clear()
            self.outputs.clear()
            self._table = None
            self._undrawn = None
            self.set_exportable(False)
            self.status.setText(self._HINT)  # not the previous model's most important input
            return
        row = self._row if self.scope.currentData() == "row" else None
        importance = input_importance(matrix, row)
        sensitivity = output_sensitivity(matrix)
        name = self._view_name
        if row is None:
            of = f"‖column‖ of {name} over all outputs"
        else:
            of = f"|{name}| for output {result.output_labels[row]}"
        # Drawing the bars is the costly part (a text item per bar): while the tab is hidden,
        # as during a slider drag in the Jacobian tab, it waits until the tab is shown.
        self._undrawn = (result, importance, sensitivity, of, name)
        if self.isVisible():
            self._draw_bars()
        self._table = ImportanceTable(result.input_labels, importance, of, result.output_labels,
                                      sensitivity, name)
        self.set_exportable(True)
        nan = int(np.count_nonzero(~np.isfinite(matrix)))
        note = f" {nan} masked/NaN cell(s) left out of the norms." if nan else ""
        top = result.input_labels[int(np.nanargmax(importance))] if importance.size else ""
        self.status.setText(f"Most important input: <b>{top}</b>. Bars are norms of the "
                            f"heatmap's current view ({name}).{note}")
