"""What the user should know about the Jacobian on screen, above the heatmap until it changes.

A note explains a surprising picture: a Jacobian that is (nearly) zero everywhere, NaN cells,
an input the output ignores, a fallback to another method. Status-bar messages vanish after a
few seconds; these stay with the result they describe.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QLabel, QWidget

from .state import WindowState

__all__ = ["ResultNotes"]


class ResultNotes(QLabel):
    """The warnings of ``state.result``, one per line; hidden when there are none.

    Parameters
    ----------
    state : WindowState
    parent : QWidget, optional
    """

    def __init__(self, state: WindowState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setStyleSheet("QLabel { background: #fff4d6; border-bottom: 1px solid #e6c76e;"
                           " padding: 4px 8px; }")
        state.result_changed.connect(self._show)
        state.model_changed.connect(self._show)
        self._show()

    def notes(self) -> tuple[str, ...]:
        """The notes shown."""
        result = self._state.result
        return () if result is None else tuple(result.warnings)

    @Slot()
    def _show(self) -> None:
        notes = self.notes()
        self.setText("<br>".join(f"⚠ {html.escape(note)}" for note in notes))
        self.setVisible(bool(notes))
