"""File and question dialogs behind one replaceable object.

Widgets call ``self.dialogs.open_file(...)`` instead of :class:`QFileDialog` directly, so tests
can substitute answers and never block on a modal dialog.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget


class Dialogs:
    """Modal dialogs used by the window; every method returns ``None``/``False`` on cancel."""

    def open_file(self, parent: QWidget | None, title: str, folder: str,
                  filters: str) -> str | None:
        """Ask for an existing file."""
        path, _ = QFileDialog.getOpenFileName(parent, title, folder, filters)
        return path or None

    def open_folder(self, parent: QWidget | None, title: str, folder: str) -> str | None:
        """Ask for an existing folder."""
        return QFileDialog.getExistingDirectory(parent, title, folder) or None

    def save_file(
        self, parent: QWidget | None, title: str, folder: str, filters: str
    ) -> tuple[str, str] | None:
        """Ask for a file to write; returns the path and the chosen filter."""
        path, chosen = QFileDialog.getSaveFileName(parent, title, folder, filters)
        return (path, chosen) if path else None

    def confirm(self, parent: QWidget | None, text: str) -> bool:
        """Ask a yes/no question (a long computation, say); No is the default."""
        answer = QMessageBox.question(
            parent, "jacgui", text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def ask_trust(self, parent: QWidget | None, path: str, reason: str) -> bool:
        """Ask whether to run possibly unsafe code from ``path``."""
        answer = QMessageBox.question(
            parent,
            "Trust this model?",
            f"{reason}\n\nLoading it can run code from this file:\n{path}\n\n"
            "Open it anyway? Only say yes if you trust where the file came from.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes
