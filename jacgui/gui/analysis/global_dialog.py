"""The dialog that sets up a global (many-point) sensitivity run."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6 import QtWidgets

from jacgui.core.errors import JacguiError

from .jobs import GlobalRequest

__all__ = ["GlobalDialog", "default_bounds"]


def default_bounds(point: np.ndarray) -> np.ndarray:
    """A starting box: ``x ± 10 %`` of each input (``± 0.1`` where it is zero)."""
    x = np.asarray(point, dtype=np.float64).reshape(-1)
    half = np.where(x == 0, 0.1, 0.1 * np.abs(x))
    return np.stack([x - half, x + half], axis=1)


class GlobalDialog(QtWidgets.QDialog):
    """Points from a file, or N samples (scrambled Sobol, Latin hypercube or uniform) in a box.

    Parameters
    ----------
    spec : TensorInfo
        The differentiated input (labels; bounds files are read against it).
    point : ndarray
        The current point (flat), centre of the default box.
    dialogs : Dialogs
        File dialogs (tests script the answers).
    sobol_indices : bool
        Set up variance-based Sobol indices instead: a box and a power-of-2 N only (the
        Saltelli design needs independent uniform inputs; a points file cannot give that).
    """

    def __init__(self, spec: Any, point: np.ndarray, dialogs: Any,
                 parent: QtWidgets.QWidget | None = None, sobol_indices: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sobol indices" if sobol_indices else
                            "Global sensitivity over many points")
        self._spec, self._dialogs = spec, dialogs
        self._sobol_indices = sobol_indices
        self._labels = tuple(spec.element_labels())
        self.box_mode = QtWidgets.QRadioButton("Sample points in a box")
        self.file_mode = QtWidgets.QRadioButton("Read points from a file (.npy, .npz, .csv)")
        self.box_mode.setChecked(True)
        self.table = QtWidgets.QTableWidget(len(self._labels), 2)
        self.table.setHorizontalHeaderLabels(["low", "high"])
        self.table.setVerticalHeaderLabels(list(self._labels))
        self.table.horizontalHeader().setStretchLastSection(True)
        self.set_bounds(default_bounds(point))
        load = QtWidgets.QPushButton("Load bounds…")
        load.setToolTip("CSV rows label,low,high (or low,high) or JSON {label: [low, high]}")
        load.clicked.connect(self._on_load_bounds)
        self.method = QtWidgets.QComboBox()
        self.method.addItem("scrambled Sobol", "sobol")
        self.method.addItem("Latin hypercube", "lhs")
        self.method.addItem("uniform", "uniform")
        self.method.setToolTip("Scrambled Sobol points converge fastest; use a power of 2")
        self.samples = QtWidgets.QSpinBox()
        self.samples.setRange(2, 10_000_000)
        self.samples.setValue(256)
        if sobol_indices:  # the Saltelli design: N a power of 2, N (n + 2) evaluations
            self.samples.setRange(8, 1 << 20)
            self.samples.setValue(1024)
            self.samples.setToolTip("N, a power of 2; the model is evaluated N (n + 2) times")
        self.seed = QtWidgets.QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        form = QtWidgets.QFormLayout()
        form.addRow("sampling", self.method)
        form.addRow("N samples", self.samples)
        form.addRow("seed", self.seed)
        self.path = QtWidgets.QLineEdit()
        browse = QtWidgets.QPushButton("Browse…")
        browse.clicked.connect(self._on_browse)
        file_row = QtWidgets.QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(browse)
        self.error = QtWidgets.QLabel()
        self.error.setStyleSheet("color: #c0392b")
        self.error.setWordWrap(True)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setText("Run")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.box_mode)
        layout.addWidget(self.table, 1)
        layout.addWidget(load)
        layout.addLayout(form)
        if sobol_indices:
            self.box_mode.setText("Independent uniform inputs in a box")
            self.method.setVisible(False)
            form.labelForField(self.method).setVisible(False)
            self.path.setVisible(False)
            browse.setVisible(False)
            self.file_mode.setVisible(False)
        layout.addWidget(self.file_mode)
        layout.addLayout(file_row)
        layout.addWidget(QtWidgets.QLabel("Other inputs stay at the current point. Runs in "
                                          "batches within the memory budget; Cancel stops "
                                          "between batches."))
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(460, 560)

    def set_bounds(self, bounds: np.ndarray) -> None:
        """Fill the box table."""
        for row, (low, high) in enumerate(np.asarray(bounds, dtype=float)):
            self.table.setItem(row, 0, QtWidgets.QTableWidgetItem(f"{low:.6g}"))
            self.table.setItem(row, 1, QtWidgets.QTableWidgetItem(f"{high:.6g}"))

    def bounds(self) -> np.ndarray:
        """The typed box, checked by the core."""
        from jacgui.core.analysis import check_bounds

        pairs = []
        for row in range(self.table.rowCount()):
            cells = [self.table.item(row, c) for c in (0, 1)]
            try:
                pairs.append([float(c.text() if c else "") for c in cells])
            except ValueError:
                raise JacguiError(f"the bounds of {self._labels[row]} are not numbers") from None
        return check_bounds(pairs, len(self._labels))

    def load_bounds(self, path: str) -> bool:
        """Fill the table from a bounds file (core ``read_bounds``); False on error."""
        from jacgui.core.analysis import read_bounds

        try:
            self.set_bounds(read_bounds(path, self._spec))
        except JacguiError as exc:
            self.error.setText(str(exc))
            return False
        self.error.setText("")
        return True

    def request(self) -> GlobalRequest:
        """What to run; raises :class:`JacguiError` when the form is not valid."""
        if self._sobol_indices:
            n = self.samples.value()
            if n & (n - 1):
                raise JacguiError(f"N must be a power of 2 for Sobol indices, not {n}")
            return GlobalRequest(bounds=self.bounds(), n_samples=n, method="sobol",
                                 seed=self.seed.value())
        if self.file_mode.isChecked():
            path = self.path.text().strip()
            if not path:
                raise JacguiError("choose a points file")
            return GlobalRequest(points_file=path)
        return GlobalRequest(bounds=self.bounds(), n_samples=self.samples.value(),
                             method=self.method.currentData(), seed=self.seed.value())

    def accept(self) -> None:
        """Close only when the form is valid."""
        try:
            self.request()
        except JacguiError as exc:
            self.error.setText(str(exc))
            return
        super().accept()

    def _on_load_bounds(self) -> None:
        path = self._dialogs.open_file(self, "Load bounds", "", "Bounds (*.csv *.json)")
        if path:
            self.load_bounds(path)
            self.box_mode.setChecked(True)

    def _on_browse(self) -> None:
        path = self._dialogs.open_file(self, "Points file", "", "Points (*.npy *.npz *.csv)")
        if path:
            self.path.setText(path)
            self.file_mode.setChecked(True)
