"""The main window: assembles panels, docks, menus and the status bar; computes nothing itself.

Everything slow happens on the controller's worker thread. The window only turns user actions
into controller requests and controller answers into widget updates.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDockWidget, QFrame, QHBoxLayout, QLabel, QMainWindow, QMessageBox, QScrollArea,
    QStackedWidget, QTabWidget, QToolButton, QVBoxLayout, QWidget,
)

from jacgui.core.job import JacobianOptions, JacobianResult

from .analysis import ViewHeatmap, ViewSelector, install_analysis, with_toolbar
from .compute_panel import ComputePanel
from .controller import Controller
from .dialogs import Dialogs
from .export_actions import Exporter
from .inspector import CellInspector
from .menus import build_menus, fill_examples, fill_recent
from .model_panel import ModelPanel
from .point_editor import PointEditor
from .sensitivity_view import SensitivityMapView
from .settings import Settings
from .status_bar import StatusFields
from .window_logic import WindowLogic
from .worker import Backend

MODEL_FILTERS = (
    "Models (*.keras *.h5 *.hdf5 *.py);;Keras (*.keras *.h5 *.hdf5);;"
    "Python model — runs the file's code (*.py);;All files (*)"
)
POINT_SUFFIXES = {".npy", ".npz", ".csv", ".json", ".png", ".jpg", ".jpeg"}


class MainWindow(WindowLogic, QMainWindow):
    """The jacgui window.

    Parameters
    ----------
    settings : Settings, optional
        Where geometry, last directory and recent models are kept.
    backend : Backend, optional
        The core calls the worker makes (tests pass a fake).
    dialogs : Dialogs, optional
        File dialogs and the trust question (tests pass scripted answers).
    options : JacobianOptions, optional
        Base options of every job (tests lower the memory budget to get many chunks).
    """

    def __init__(self, settings: Settings | None = None, backend: Backend | None = None,
                 dialogs: Dialogs | None = None, options: JacobianOptions | None = None) -> None:
        QMainWindow.__init__(self)
        self.settings = settings or Settings()
        self.dialogs = dialogs or Dialogs()
        self.base_options = options or JacobianOptions()
        self.result: JacobianResult | None = None
        self.last_error = ""
        self.controller = Controller(backend, self)
        self.exporter = Exporter(self)
        self.setWindowTitle("jacgui")
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self._build_central()
        self._build_docks()
        self.status = StatusFields(self.statusBar(), self)
        self.actions = build_menus(self)
        fill_recent(self, self.actions.recent, self.settings.recent_models())
        self._fill_examples()
        self.resize(1280, 800)
        if (geometry := self.settings.geometry()) is not None:
            self.restoreGeometry(geometry)
        if (state := self.settings.window_state()) is not None:
            self.restoreState(state)
        else:
            # First start: the heatmap gets the room; the docks only what they need.
            self.resizeDocks([self.left_dock, self.inspector_dock], [340, 290],
                             Qt.Orientation.Horizontal)
        self._connect()
        install_analysis(self)  # Analysis tab, heatmap views, analysis jobs on the worker
        self.set_placeholder("Loading TensorFlow…")

    # -- construction -------------------------------------------------------------------------
    def _build_central(self) -> None:
        self.banner = QFrame(self)
        self.banner.setStyleSheet("QFrame { background: #fde2e1; border-bottom: 1px solid #e0a0a0; }")
        self.banner_text = QLabel(self.banner)
        self.banner_text.setWordWrap(True)
        self.banner_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self.banner)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.banner.hide)
        row = QHBoxLayout(self.banner)
        row.setContentsMargins(8, 4, 4, 4)
        row.addWidget(self.banner_text, 1)
        row.addWidget(close)
        self.banner.hide()

        self.placeholder = QLabel(self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("font-size: 15pt; color: palette(mid);")
        self.heatmap = ViewHeatmap(self)  # a HeatmapView that shows |J|, elasticity, ... too
        self.view_selector = ViewSelector(self.heatmap, self.dialogs, self)
        self.sensitivity = SensitivityMapView(self)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(with_toolbar(self.view_selector, self.heatmap), "Jacobian")
        self.tabs.addTab(self.sensitivity, "Sensitivity map")
        self.tabs.setTabToolTip(1, "The selected output's row of J, laid out as the input image")
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.tabs)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

    def _build_docks(self) -> None:
        self.model_panel = ModelPanel(self)
        self.compute_panel = ComputePanel(self)
        self.point_editor = PointEditor(self)
        self.point_editor.last_dir = self.settings.last_dir()
        self.point_editor.dialogs = self.dialogs
        self.inspector = CellInspector(self)

        left = QWidget(self)
        layout = QVBoxLayout(left)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(_section("Model"))
        layout.addWidget(self.model_panel)
        layout.addWidget(_section("Computation"))
        layout.addWidget(self.compute_panel)
        layout.addWidget(_section("Input point"))
        layout.addWidget(self.point_editor, 1)
        scroll = QScrollArea(self)
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.left_dock = _dock("Model and point", scroll, self, "left_dock")
        self.left_dock.setMinimumWidth(330)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.left_dock)
        self.inspector_dock = _dock("Cell", self.inspector, self, "inspector_dock")
        self.inspector_dock.setMinimumWidth(280)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.inspector_dock)

    def docks(self) -> list[QDockWidget]:
        """The dock widgets, for the View menu."""
        return [self.left_dock, self.inspector_dock]

    def _fill_examples(self) -> None:
        try:
            from jacgui._resources import examples

            found = examples()
        except (ImportError, FileNotFoundError):
            found = {}
        fill_examples(self, self.actions.examples, found)

    # -- feedback -----------------------------------------------------------------------------
    def set_placeholder(self, text: str) -> None:
        """Show ``text`` in the central area instead of the heatmap."""
        self.placeholder.setText(text)
        self.stack.setCurrentWidget(self.placeholder)
        self.statusBar().showMessage(text)

    def show_message(self, text: str, timeout_ms: int = 6000) -> None:
        """A transient one-line notice in the status bar."""
        self.statusBar().showMessage(text, timeout_ms)

    @Slot(str)
    def show_error(self, text: str) -> None:
        """A one-line error: shown in a dismissible banner and the status bar (non-blocking)."""
        self.last_error = text
        self.banner_text.setText(text)
        self.banner.show()
        self.statusBar().showMessage(text, 15000)

    @Slot()
    def show_about(self) -> None:
        """Non-modal About box."""
        from jacgui import __version__

        box = QMessageBox(QMessageBox.Icon.Information, "About jacgui",
                          f"jacgui {__version__}\nExplore the Jacobian of TensorFlow models.",
                          QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # -- window events ------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Save the layout and stop the worker thread before the window goes."""
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.settings.sync()
        self.hide()  # look closed at once even if the running chunk takes a moment
        self.controller.shutdown()  # gives up after SHUTDOWN_WAIT_MS; main() then exits
        event.accept()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        """Accept local files and folders."""
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        """A point file loads a point; anything else is opened as a model."""
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if not paths:
            return
        event.acceptProposedAction()
        path = paths[0]
        if Path(path).suffix.lower() in POINT_SUFFIXES and self.controller.model is not None:
            self.point_editor.load_point_file(path)
        else:
            self.open_model(path)


def _section(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-weight: bold; padding-top: 6px; border-bottom: 1px solid palette(mid);")
    return label


def _dock(title: str, widget: QWidget, parent: QMainWindow, name: str) -> QDockWidget:
    dock = QDockWidget(title, parent)
    dock.setObjectName(name)  # saveState() needs names
    dock.setWidget(widget)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetClosable
                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
    return dock


__all__ = ["MODEL_FILTERS", "MainWindow"]
