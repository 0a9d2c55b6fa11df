"""CellInspector with duck-typed CellInfo / CrossCheck stand-ins."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from jacgui.core.agreement import agree
from jacgui.core.cell import CrossCheck
from jacgui.gui.inspector import CellInspector, grade_of


def info(**kw: object) -> SimpleNamespace:
    fields = dict(row=2, col=0, output_label="flow", input_label="rw", value=1234.56789123,
                  x_j=0.1, f_i=72.5, elasticity=1.70285, elasticity_note="")
    fields.update(kw)
    return SimpleNamespace(**fields)


def check(ad: float, fd: float, fd_error: float, method: str = "fd-central",
          row_scale: float | None = None) -> CrossCheck:
    """A check whose verdict comes from the core's agreement policy (the inspector decides
    nothing itself)."""
    verdict = agree(ad, fd, fd_error, abs(ad) if row_scale is None else row_scale, "float32")
    other = fd if method.startswith("fd") else ad
    return CrossCheck(other, method, ad - fd, abs(ad - fd) / max(abs(ad), abs(fd)), fd_error,
                      verdict)


@pytest.fixture
def inspector(qtbot) -> CellInspector:
    w = CellInspector()
    qtbot.addWidget(w)
    w.show()
    return w


def test_show_cell_names_the_derivative_and_values(inspector: CellInspector) -> None:
    inspector.show_cell(info())
    assert inspector.text("title") == "∂ flow / ∂ rw"
    assert inspector.text("value") == "1234.57"
    assert inspector.text("x_j") == "0.1" and inspector.text("f_i") == "72.5"
    assert inspector.text("elasticity") == "1.70285"
    assert not inspector.is_shown("error")
    assert inspector.text("check") == "not checked"


def test_masked_elasticity_shows_the_reason(inspector: CellInspector) -> None:
    inspector.show_cell(info(x_j=0.0, elasticity=None, elasticity_note="x_j is 0"))
    assert "x_j is 0" in inspector.text("elasticity")


def test_cross_check_pending_then_coloured(inspector: CellInspector) -> None:
    inspector.show_cell(info())
    inspector.show_cross_check(None, pending=True)
    assert inspector.text("check") == "checking with central finite differences…"
    assert inspector.is_shown("check")
    assert not inspector.is_shown("other")
    inspector.show_cross_check(check(1234.5789, 1234.5, fd_error=0.1))  # within the FD error
    assert inspector.text("check").startswith("agrees")
    assert inspector.is_shown("other") and inspector.text("other") == "1234.5"
    assert inspector.text("difference") == "0.0789"
    assert inspector.text("relative") == "6.39e-05"
    green = inspector.check_color()
    inspector.show_cross_check(check(1234.5789, 1234.5, fd_error=0.02))  # 4x outside: amber
    amber = inspector.check_color()
    inspector.show_cross_check(check(1234.5, 1300.0, fd_error=0.01, method="reverse"))
    red = inspector.check_color()
    assert len({green, amber, red}) == 3
    assert "DISAGREES" in inspector.text("check") and "reverse" in inspector.text("check")


def test_fd_result_is_checked_by_reverse_mode(inspector: CellInspector) -> None:
    inspector.show_cell(info(error_estimate=2e-7))
    assert inspector.text("error") == "± 2e-07"
    inspector.show_cross_check(None, pending=True)
    assert "reverse-mode" in inspector.text("check")


def test_clear_and_failed_check(inspector: CellInspector) -> None:
    inspector.show_cell(info())
    inspector.show_cross_check(None, pending=False)
    assert inspector.text("check") == "not checked"
    inspector.clear()
    assert inspector.text("title") == "" and inspector.text("value") == ""


def test_tiny_values_do_not_cry_wolf() -> None:
    # AD 1.2e-15 against FD 0 in a row whose largest |J| is 1, FD error 1e-12: relative
    # difference 1.00, but the two agree.
    assert grade_of(check(1.2e-15, 0.0, fd_error=1e-12, row_scale=1.0)) == "green"
    assert grade_of(check(1.0, float("nan"), fd_error=1e-9)) == "red"
