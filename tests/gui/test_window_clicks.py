"""The real window on the bundled demo: a synthesized click and arrow keys drive the inspector."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt

from .test_heatmap import click_cell, settle
from .window_driver import start


def _shown_value(session: Any) -> float:
    return float(session.inspector.text("value"))


def test_click_and_keys_on_the_demo_show_exact_cells(qtbot: Any, make_session: Any,
                                                     real_engine: Any) -> None:
    session = make_session(real_engine)  # the real loader and engine: nothing faked
    result = start(qtbot, session, None)
    view = session.heatmap
    settle(qtbot, view)
    row, col = 13, 3  # x(t=2.60 s) / x0: a cell away from every edge
    with qtbot.waitSignal(view.cell_clicked, timeout=5000) as clicked:
        click_cell(view, row, col)
    assert clicked.args == [row, col]
    assert session.state.cell == (row, col)
    qtbot.waitUntil(lambda: session.inspector.text("title") != "")
    assert result.output_labels[row] in session.inspector.text("title")
    assert result.input_labels[col] in session.inspector.text("title")
    # The inspector prints 6 significant digits.
    np.testing.assert_allclose(_shown_value(session), result.matrix[row, col], rtol=1e-5)

    view.graphics_view().setFocus()
    for key, expected in ((Qt.Key.Key_Up, (12, 3)), (Qt.Key.Key_Left, (12, 2)),
                          (Qt.Key.Key_Down, (13, 2)), (Qt.Key.Key_Right, (13, 3))):
        with qtbot.waitSignal(view.selection_changed, timeout=5000) as moved:
            qtbot.keyClick(view.graphics_view(), key)
        assert tuple(moved.args) == expected
        assert session.state.cell == expected
        r, c = expected
        qtbot.waitUntil(lambda r=r, c=c: abs(_shown_value(session) - result.matrix[r, c])
                        <= 1e-5 * abs(result.matrix[r, c]) + 1e-12)
    assert view.selected_cell() == (13, 3)
