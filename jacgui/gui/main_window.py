"""The main window: lays out the views it is given; it computes nothing and owns no state.

The composition root (:mod:`jacgui.gui.app`) builds the state, the services and the views and
hands the views to :class:`MainWindow`, which places them in docks and tabs and follows the
state only for what is the window's own: its title, the placeholder and the error banner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .state import WindowState

__all__ = ["MainWindow", "Views"]


@dataclass
class Views:
    """The widgets the window lays out (each a view of the state)."""

    model_panel: QWidget
    compute_panel: QWidget
    point_editor: QWidget
    view_selector: QWidget
    notes: QWidget
    heatmap: QWidget
    sensitivity: QWidget
    analysis: QWidget
    inspector: QWidget
    view_value: QWidget


class MainWindow(QMainWindow):
    """The jacgui window.

    Parameters
    ----------
    state : WindowState
    views : Views
    on_drop : callable
        Called with the path of a file or folder dropped on the window.
    on_close : callable
        Called once when the window closes (save the layout, stop the engine).
    """

    def __init__(self, state: WindowState, views: Views, on_drop: Callable[[str], object],
                 on_close: Callable[[], object]) -> None:
        super().__init__()
        self._state = state
        self.views = views
        self._on_drop, self._on_close = on_drop, on_close
        self.setWindowTitle("jacgui")
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)
        self._build_central()
        self._build_docks()
        state.model_changed.connect(self._on_model_changed)
        state.loading_changed.connect(self._update_placeholder)
        state.engine_changed.connect(self._update_placeholder)
        state.selection_changed.connect(self._update_tabs)
        state.notice.connect(self._on_notice)
        state.suggestion.connect(self._on_suggestion)
        self._update_placeholder()

    # -- construction -------------------------------------------------------------------------
    def _build_central(self) -> None:
        self.banner = QFrame(self)
        self.banner.setStyleSheet(
            "QFrame { background: #fde2e1; border-bottom: 1px solid #e0a0a0; }")
        self.banner_text = QLabel(self.banner)
        self.banner_text.setWordWrap(True)
        self.banner_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner_action = QPushButton(self.banner)
        self.banner_action.hide()
        self.banner_action.clicked.connect(self._take_suggestion)
        self._suggested = ""
        close = QToolButton(self.banner)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.banner.hide)
        row = QHBoxLayout(self.banner)
        row.setContentsMargins(8, 4, 4, 4)
        row.addWidget(self.banner_text, 1)
        row.addWidget(self.banner_action)
        row.addWidget(close)
        self.banner.hide()

        self.placeholder = QLabel(self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("font-size: 15pt; color: palette(mid);")
        jacobian_page = QWidget(self)
        page = QVBoxLayout(jacobian_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.setSpacing(0)
        page.addWidget(self.views.view_selector)
        page.addWidget(self.views.heatmap, 1)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(jacobian_page, "Jacobian")
        self.tabs.addTab(self.views.sensitivity, "Sensitivity map")
        self.tabs.setTabToolTip(1, "The selected output's row of J, laid out as the input image")
        self.tabs.addTab(self.views.analysis, "Analysis")
        self.tabs.setTabToolTip(2, "Sensitivity analyses of this Jacobian")
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.tabs)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        # The result's notes (a vanishing Jacobian, a fallback) concern every tab.
        layout.addWidget(self.views.notes)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

    def _build_docks(self) -> None:
        left = QWidget(self)
        layout = QVBoxLayout(left)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(_section("Model"))
        layout.addWidget(self.views.model_panel)
        layout.addWidget(_section("Computation"))
        layout.addWidget(self.views.compute_panel)
        layout.addWidget(_section("Input point"))
        layout.addWidget(self.views.point_editor, 1)
        scroll = QScrollArea(self)
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.left_dock = _dock("Model and point", scroll, self, "left_dock")
        self.left_dock.setMinimumWidth(330)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.left_dock)
        cell = QWidget(self)
        cell_layout = QVBoxLayout(cell)
        cell_layout.setContentsMargins(0, 0, 0, 0)
        cell_layout.addWidget(self.views.view_value)
        cell_layout.addWidget(self.views.inspector, 1)
        self.inspector_dock = _dock("Cell", cell, self, "inspector_dock")
        self.inspector_dock.setMinimumWidth(280)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.inspector_dock)

    def docks(self) -> list[QDockWidget]:
        """The dock widgets, for the View menu."""
        return [self.left_dock, self.inspector_dock]

    def first_layout(self) -> None:
        """Give the heatmap the room on a first start; the docks get what they need."""
        self.resizeDocks([self.left_dock, self.inspector_dock], [340, 290],
                         Qt.Orientation.Horizontal)

    # -- following the state ------------------------------------------------------------------
    @Slot()
    def _on_model_changed(self) -> None:
        self.banner.hide()
        state = self._state
        name = Path(state.model_path).name if state.model is not None else ""
        self.setWindowTitle(f"{name} — jacgui" if name else "jacgui")
        self._update_placeholder()
        self._update_tabs()

    @Slot()
    def _update_tabs(self) -> None:
        spec = self._state.input_spec()
        self.tabs.setTabEnabled(1, spec is not None and spec.is_image)

    @Slot()
    def _update_placeholder(self, *_: object) -> None:
        state = self._state
        if state.model is not None:
            self.stack.setCurrentWidget(self.tabs)
            return
        if state.engine.failure:
            text = "The engine could not start"
        elif state.loading:
            text = "Loading model…" if state.engine.ready else "Starting the engine…"
        elif not state.engine.ready:
            text = "Starting the engine…"
        else:
            text = "No model loaded — use File ▸ Open or the Examples menu"
        self.placeholder.setText(text)
        self.stack.setCurrentWidget(self.placeholder)

    @Slot(str, bool)
    def _on_notice(self, text: str, error: bool) -> None:
        if error:
            self.banner_text.setText(text)
            self.banner_action.hide()  # an error offers a method only through a suggestion
            self.banner.show()

    @Slot(str)
    def _on_suggestion(self, method: str) -> None:
        self._suggested = method
        self.banner_action.setText(f"Use {method}")
        self.banner_action.show()

    @Slot()
    def _take_suggestion(self) -> None:
        self.banner.hide()
        if self._suggested:
            self._state.set_method(self._suggested)

    # -- window events ------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the layout and stop the engine before the window goes."""
        self.hide()  # look closed at once even if the engine takes a moment to stop
        self._on_close()
        event.accept()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept local files and folders."""
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Hand the first dropped file or folder to ``on_drop``."""
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self._on_drop(paths[0])


def _section(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet(
        "font-weight: bold; padding-top: 6px; border-bottom: 1px solid palette(mid);")
    return label


def _dock(title: str, widget: QWidget, parent: QMainWindow, name: str) -> QDockWidget:
    dock = QDockWidget(title, parent)
    dock.setObjectName(name)  # saveState() needs names
    dock.setWidget(widget)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetClosable
                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
    return dock
