"""Cell inspector: one derivative ∂f_i/∂x_j explained, and checked by the other method.

Whether the two methods agree is decided by the core's one agreement policy
(:func:`jacgui.core.agreement.agree`: within the FD error estimate plus AD round-off), not here.

A view of :class:`~jacgui.gui.state.WindowState`: it shows the selected cell of the result
and the cross-check of it.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

__all__ = ["CellInspector", "grade_of"]

_COLORS = {"green": "#1b7f3b", "amber": "#a35f00", "red": "#c0392b", "none": "#666666"}
_VERDICT = {"green": "agrees", "amber": "roughly agrees", "red": "DISAGREES"}
_METHODS = {
    "fd-central": "central finite differences",
    "fd-forward": "forward finite differences",
    "reverse": "reverse-mode autodiff",
    "forward": "forward-mode autodiff",
}


def grade_of(check: Any) -> str:
    """``"green"``, ``"amber"`` or ``"red"``: the core's agreement policy's verdict on a check.

    The one agreement policy lives in :mod:`jacgui.core.agreement`; a check without a verdict
    (no value was compared) is red only when its values are not finite.
    """
    verdict = getattr(check, "verdict", None)
    if verdict is not None:
        return str(verdict.level)
    return "green" if math.isfinite(float(check.value)) else "red"


class CellInspector(QtWidgets.QWidget):
    """Shows a ``CellInfo`` (value, x_j, f_i, elasticity) and a ``CrossCheck`` of it.

    Both are duck-typed: any object with the fields of :class:`jacgui.core.cell.CellInfo` /
    :class:`jacgui.core.cell.CrossCheck` will do.  All numbers are selectable for copying.

    Parameters
    ----------
    state : WindowState, optional
        When given, the inspector follows its selected cell and cross-check.
    parent : QWidget, optional
    """

    def __init__(self, state: Any = None, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._info: Any = None
        mono = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)

        self._title = QtWidgets.QLabel()
        title_font = self._title.font()
        title_font.setPointSizeF(title_font.pointSizeF() * 1.3)
        title_font.setBold(True)
        self._title.setFont(title_font)
        self._title.setWordWrap(True)
        self._title.setTextInteractionFlags(_SELECTABLE)
        self._where = QtWidgets.QLabel()
        self._where.setStyleSheet(f"color: {_COLORS['none']}")

        form = QtWidgets.QFormLayout()
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._names: dict[str, QtWidgets.QLabel] = {}
        self._values: dict[str, QtWidgets.QLabel] = {}
        rows = [
            ("value", "∂f_i/∂x_j"),
            ("x_j", "x_j"),
            ("f_i", "f_i(x)"),
            ("elasticity", "elasticity"),
            ("error", "FD error estimate"),
        ]
        check_rows = [
            ("check", "cross-check"),
            ("other", "other method"),
            ("difference", "|difference|"),
            ("relative", "relative difference"),
        ]
        for key, name in rows + check_rows:
            label = QtWidgets.QLabel(name)
            value = QtWidgets.QLabel()
            value.setTextInteractionFlags(_SELECTABLE)
            value.setWordWrap(True)
            if key not in ("check",):
                value.setFont(mono)
            self._names[key] = label
            self._values[key] = value
            if key == "check":
                line = QtWidgets.QFrame()
                line.setFrameShape(QtWidgets.QFrame.Shape.HLine)
                line.setFrameShadow(QtWidgets.QFrame.Shadow.Sunken)
                form.addRow(line)
            form.addRow(label, value)
        self._names["elasticity"].setToolTip(
            "(x_j / f_i) · ∂f_i/∂x_j: % change of f_i per % of x_j")

        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self._title)
        layout.addWidget(self._where)
        layout.addLayout(form)
        layout.addStretch(1)
        self.clear()
        if state is not None:
            state.cell_changed.connect(self._on_cell)
            state.result_changed.connect(self._on_cell)
            state.model_changed.connect(self._on_cell)  # another model: no cell, no result
            state.cross_check_changed.connect(self._on_cross_check)

    @QtCore.Slot()
    def _on_cell(self) -> None:
        state = self._state
        if state.result is None or state.cell is None:
            self.clear()
            return
        from jacgui.core.cell import cell_info

        self.show_cell(cell_info(state.result, *state.cell))
        self.show_cross_check(None, pending=state.cross_check_pending)

    @QtCore.Slot()
    def _on_cross_check(self) -> None:
        state = self._state
        if state.cell is not None and state.result is not None:
            self.show_cross_check(state.cross_check, pending=state.cross_check_pending)

    # ----------------------------------------------------------------- public API
    def show_cell(self, info: Any) -> None:
        """Show one derivative.

        Parameters
        ----------
        info : CellInfo-like
            Fields ``row, col, output_label, input_label, value, x_j, f_i, elasticity``
            (float or None), ``elasticity_note`` and optionally ``error_estimate``.
        """
        self._info = info
        out, inp = str(info.output_label), str(info.input_label)
        self._title.setText(f"∂ {out} / ∂ {inp}")
        self._where.setText(f"output row {info.row}, input column {info.col}")
        self._set("value", _number(info.value))
        self._names["x_j"].setText(f"x_j = {inp}")
        self._set("x_j", _number(info.x_j))
        self._names["f_i"].setText(f"f_i(x) = {out}")
        self._set("f_i", _number(info.f_i))
        if info.elasticity is None:
            self._set("elasticity", f"— ({info.elasticity_note})" if info.elasticity_note else "—")
            self._values["elasticity"].setFont(self.font())
        else:
            self._set("elasticity", _number(info.elasticity))
            self._values["elasticity"].setFont(self._values["value"].font())
        error = getattr(info, "error_estimate", None)
        self._show_row("error", error is not None)
        if error is not None:
            self._set("error", f"± {_number(error)}")
        self.show_cross_check(None)

    def show_cross_check(self, check: Any, pending: bool = False) -> None:
        """Show the other method's value and how well it agrees.

        Parameters
        ----------
        check : CrossCheck-like or None
            Fields ``value, method, difference, relative_difference``.  ``None`` with
            ``pending=False`` means no check is available (not run, or it failed).
        pending : bool
            The check is running: say so instead of showing numbers.
        """
        for key in ("other", "difference", "relative"):
            self._show_row(key, check is not None and not pending)
        self._show_row("check", pending or check is not None or self._info is not None)
        status = self._values["check"]
        if pending:
            method = getattr(check, "method", None) or self._expected_check_method()
            status.setText(f"checking with {_METHODS.get(method, method)}…")
            status.setStyleSheet(f"color: {_COLORS['none']}")
            return
        if check is None:
            status.setText("not checked" if self._info is not None else "")
            status.setStyleSheet(f"color: {_COLORS['none']}")
            return
        grade = grade_of(check)
        method = _METHODS.get(str(check.method), str(check.method))
        status.setText(f"{_VERDICT[grade]} with {method}")
        status.setStyleSheet(f"color: {_COLORS[grade]}; font-weight: bold")
        verdict = getattr(check, "verdict", None)
        notes = [verdict.describe()] if verdict is not None else []
        notes += list(getattr(check, "notes", ()) or ())
        status.setToolTip("\n".join(notes))
        self._set("other", _number(check.value))
        self._set("difference", _number(abs(float(check.difference))))
        self._set("relative", f"{float(check.relative_difference):.2e}")
        self._values["relative"].setStyleSheet(f"color: {_COLORS[grade]}")

    def clear(self) -> None:
        """Show nothing but a hint."""
        self._info = None
        self._title.setText("")
        self._where.setText("Click a cell of the heatmap to inspect its derivative.")
        for key, value in self._values.items():
            value.setText("")
            value.setStyleSheet("")
            self._show_row(key, key in ("value", "x_j", "f_i", "elasticity"))
        self._names["x_j"].setText("x_j")
        self._names["f_i"].setText("f_i(x)")
        self.show_cross_check(None)

    def text(self, key: str) -> str:
        """Text of one field, or ``title``; for tests and copying.

        Fields: ``value``, ``x_j``, ``f_i``, ``elasticity``, ``error``, ``check``, ``other``,
        ``difference``, ``relative``.
        """
        if key == "title":
            return self._title.text()
        return self._values[key].text()

    def is_shown(self, key: str) -> bool:
        """Whether the row ``key`` is shown."""
        return not self._values[key].isHidden()

    def check_color(self) -> str:
        """Colour name of the cross-check verdict (``#rrggbb``)."""
        sheet = self._values["check"].styleSheet()
        return sheet.split("color:")[1].split(";")[0].strip() if "color:" in sheet else ""

    # ----------------------------------------------------------------- internals
    def _set(self, key: str, text: str) -> None:
        self._values[key].setText(text)

    def _show_row(self, key: str, visible: bool) -> None:
        self._names[key].setHidden(not visible)
        self._values[key].setHidden(not visible)

    def _expected_check_method(self) -> str:
        # cross_check uses the other family: FD results (which carry an error estimate) are
        # checked by reverse mode, autodiff results by central differences.
        if self._info is not None and getattr(self._info, "error_estimate", None) is not None:
            return "reverse"
        return "fd-central"


_SELECTABLE = (
    QtCore.Qt.TextInteractionFlag.TextSelectableByMouse
    | QtCore.Qt.TextInteractionFlag.TextSelectableByKeyboard
)


def _number(value: float) -> str:
    value = float(value)
    return f"{value:.6g}" if math.isfinite(value) else str(value)
