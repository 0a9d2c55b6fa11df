"""The composition root of the desktop application: ``jacgui [MODEL] [--point FILE] [--unsafe]``.

:func:`build` creates the one window state, the job runner over the engine, the flows that keep
them in step, the views and the menus, and wires them together; :func:`main` runs it. The
engine process is started by the caller before Qt is imported (see :mod:`jacgui.__main__`), so
its TensorFlow import overlaps the window's start; this process never imports TensorFlow.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from jacgui.core.reasons import one_line

from . import colormaps
from . import help as help_dialogs
from .actions import export as export_actions
from .actions import points as point_actions
from .analysis import AnalysisPanel, ViewHeatmap, ViewSelector, ViewValueBox
from .compute_panel import ComputePanel
from .dialogs import Dialogs
from .heatmap import VALUE_SCALES
from .inspector import CellInspector
from .jacobian_flow import JacobianFlow
from .main_window import MainWindow, Views
from .menus import Actions, Commands, build_menus, fill_examples, fill_recent
from .model_flow import ModelFlow
from .model_panel import ModelPanel
from .point_editor import PointActions, PointEditor
from .result_notes import ResultNotes
from .runner import EngineLink, JobRunner
from .sensitivity_view import SensitivityMapView
from .settings import APPLICATION, ORGANISATION, Settings
from .state import WindowState
from .status_bar import StatusFields

__all__ = ["Session", "build", "create_application", "main", "parse_args"]

MODEL_FILTERS = (
    "Models (*.keras *.h5 *.hdf5 *.py);;Keras (*.keras *.h5 *.hdf5);;"
    "Python model — runs the file's code (*.py);;All files (*)"
)
POINT_SUFFIXES = {".npy", ".npz", ".csv", ".json", ".png", ".jpg", ".jpeg"}

#: The session :func:`main` runs, once built: hooks that drive or watch the real application
#: (end-to-end tests, start-up probes) reach its state here.
current_session: Session | None = None


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the window's command line (without the program name)."""
    parser = argparse.ArgumentParser(
        prog="jacgui", description="Explore the Jacobian of a TensorFlow model in a window. "
        "Headless commands: jacgui compute|info|bench|analyse MODEL (see jacgui compute -h).")
    parser.add_argument("model", nargs="?", help="model file (.keras .h5 .hdf5 .py) or "
                        "SavedModel folder; the bundled demo when omitted")
    parser.add_argument("--point", metavar="FILE",
                        help="input point (.npy .npz .csv .json, or an image)")
    parser.add_argument("--unsafe", action="store_true",
                        help="trust the model: allow Lambda layers and Python code, and run it "
                        "without the sandbox")
    return parser.parse_args(list(argv) if argv is not None else None)


@dataclass
class Session:
    """Everything :func:`build` made: the window and the objects behind it."""

    window: MainWindow
    state: WindowState
    runner: JobRunner
    jacobian: JacobianFlow
    models: ModelFlow
    settings: Settings
    dialogs: Any
    actions: Actions
    heatmap: ViewHeatmap
    point_editor: PointEditor
    inspector: CellInspector
    analysis: AnalysisPanel
    status: StatusFields
    view_selector: ViewSelector


def build(link: EngineLink, settings: Settings | None = None, dialogs: Any = None,
          memory_budget: int | None = None) -> Session:
    """Create the window and everything behind it, wired together (nothing is started).

    Parameters
    ----------
    link : EngineLink
        The engine: a child process in the application, an in-process stand-in in tests.
    settings : Settings, optional
    dialogs : Dialogs, optional
        File dialogs and questions (tests answer them from attributes).
    memory_budget : int, optional
        Bytes per Jacobian job (tests lower it to get many chunks).
    """
    settings = settings or Settings()
    dialogs = dialogs or Dialogs()
    state = WindowState()
    if memory_budget is not None:
        state.memory_budget = memory_budget
    state.set_view(**_saved_colours(settings, state.view))
    runner = JobRunner(link)
    models = ModelFlow(state, runner, dialogs, settings)
    holder: dict[str, Any] = {}  # the window, once it exists (dialogs need a parent)

    def parent() -> Any:
        return holder.get("window")

    jacobian = JacobianFlow(state, runner, lambda text: dialogs.confirm(parent(), text))
    heatmap = ViewHeatmap(state)
    point_editor = PointEditor(state, PointActions(
        load=lambda: point_actions.choose_point_file(state, dialogs, parent(),
                                                     settings.last_dir()),
        save=lambda: point_actions.save_point(state, dialogs, parent(), settings.last_dir()),
        paste=lambda: point_actions.paste_point(state, QApplication.clipboard().text()),
        reset=lambda: point_actions.reset_point(state),
        randomise=lambda seed: point_actions.randomise_point(state, seed),
        undo=lambda: point_actions.undo_point(state)))
    inspector = CellInspector(state)
    view_selector = ViewSelector(state, dialogs)

    def move_point(values: Any) -> None:
        if state.input_name is not None:
            state.point.set(state.input_name, values)
            jacobian.compute_now()

    analysis = AnalysisPanel(state, runner, heatmap, dialogs, move_point)
    for view in analysis.views:
        view.folder = settings.last_dir()
    views = Views(
        model_panel=ModelPanel(state),
        compute_panel=ComputePanel(state, jacobian.compute_now, jacobian.cancel),
        point_editor=point_editor, view_selector=view_selector, notes=ResultNotes(state),
        heatmap=heatmap,
        sensitivity=SensitivityMapView(state), analysis=analysis, inspector=inspector,
        view_value=ViewValueBox(state, heatmap))

    def on_drop(path: str) -> None:
        if Path(path).suffix.lower() in POINT_SUFFIXES and state.model is not None:
            point_actions.load_point_file(state, path)
        else:
            models.open(path)

    def on_close() -> None:
        settings.save_window(window.saveGeometry(), window.saveState())
        settings.sync()
        runner.shutdown()

    window = MainWindow(state, views, on_drop, on_close)
    holder["window"] = window
    models.dialog_parent = window
    status = StatusFields(window.statusBar(), state)

    def open_file() -> None:
        path = dialogs.open_file(window, "Open model", settings.last_dir(), MODEL_FILTERS)
        if path:
            models.open(path)

    def open_folder() -> None:
        path = dialogs.open_folder(window, "Open SavedModel folder", settings.last_dir())
        if path:
            models.open(path)

    def clear_recent() -> None:
        settings.clear_recent_models()
        fill_recent(actions.recent, [], models.open, clear_recent)

    commands = Commands(
        open_file=open_file, open_folder=open_folder, clear_recent=clear_recent,
        load_point=point_editor.load_action.trigger, save_point=point_editor.save_action.trigger,
        quit=window.close,
        copy_image=lambda: export_actions.copy_image(state, heatmap),
        copy_values=lambda: export_actions.copy_values(state),
        paste_point=point_editor.paste_action.trigger,
        undo_point=lambda: point_actions.undo_point(state),
        compute=jacobian.compute_now, cancel=jacobian.cancel,
        export_heatmap=lambda: export_actions.export_heatmap(state, heatmap, dialogs, settings,
                                                             window),
        export_data=lambda: export_actions.export_data(state, dialogs, settings, window),
        show_shortcuts=lambda: help_dialogs.show_shortcuts(window, window.menuBar()),
        show_formats=lambda: help_dialogs.show_formats(window),
        show_guide=lambda: help_dialogs.show_document(window, "analyses.md"),
        show_safety=lambda: help_dialogs.show_document(window, "safety.md"),
        show_about=lambda: help_dialogs.show_about(window, state),
        open_path=models.open)
    actions = build_menus(window, state, commands, window.docks())
    fill_recent(actions.recent, settings.recent_models(), models.open, clear_recent)
    models.recent_changed.connect(
        lambda paths: fill_recent(actions.recent, paths, models.open, clear_recent))
    fill_examples(actions.examples, _examples(), models.open)
    state.view_changed.connect(lambda: (settings.set_heatmap_colormap(state.view.colormap),
                                        settings.set_heatmap_value_scale(state.view.value_scale)))
    window.resize(1280, 800)
    if (geometry := settings.geometry()) is not None:
        window.restoreGeometry(geometry)
    if (layout := settings.window_state()) is not None:
        window.restoreState(layout)
    else:
        window.first_layout()
    return Session(window, state, runner, jacobian, models, settings, dialogs, actions, heatmap,
                   point_editor, inspector, analysis, status, view_selector)


def _saved_colours(settings: Settings, default: Any) -> dict[str, str]:
    """The colour map and value scale the user chose last, where this version knows them.

    Settings written by another version, or edited by hand, fall back to the defaults.
    """
    colormap = settings.heatmap_colormap(default.colormap)
    scale = settings.heatmap_value_scale(default.value_scale)
    return {"colormap": colormap if colormap in colormaps.available_colormaps()
            else default.colormap,
            "value_scale": scale if scale in VALUE_SCALES else default.value_scale}


def _examples() -> dict[str, Path]:
    try:
        from jacgui._resources import examples

        return examples()
    except (ImportError, FileNotFoundError):
        return {}


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    """The :class:`QApplication`, named and with the jacgui icon (reused when one exists)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "jacgui", *(argv or [])])
    QApplication.setOrganizationName(ORGANISATION)
    QApplication.setApplicationName(APPLICATION)
    QApplication.setApplicationDisplayName("jacgui")
    try:
        from jacgui._resources import icon_path

        icon = icon_path("jacgui")
        if icon.exists():
            QApplication.setWindowIcon(QIcon(str(icon)))
    except (ImportError, FileNotFoundError):
        pass
    return app  # type: ignore[return-value]


def debug_enabled() -> bool:
    """Whether ``JACGUI_DEBUG=1`` asks for tracebacks on stderr."""
    return os.environ.get("JACGUI_DEBUG", "") not in ("", "0")


def install_message_filter() -> None:
    """Keep Qt's own warnings off stderr unless JACGUI_DEBUG=1 (criticals always pass)."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    def handler(kind: QtMsgType, _context: object, message: str) -> None:
        if debug_enabled() or kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def install_excepthook(state: WindowState) -> None:
    """Show our own unexpected exceptions as one line; tracebacks only with JACGUI_DEBUG=1."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        if debug_enabled():
            traceback.print_exception(kind, exc, tb, file=sys.stderr)
        try:
            state.report_error(f"Internal error: {one_line(exc)} "
                               "(set JACGUI_DEBUG=1 for details)")
        except RuntimeError:  # the window is already gone at exit
            pass

    sys.excepthook = hook


def mark(event: str) -> None:
    """Append ``event <time.time()>`` to ``$JACGUI_TIMING_FILE`` (for benchmarks/startup.py)."""
    path = os.environ.get("JACGUI_TIMING_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{event} {time.time():.6f}\n")


class StartupProbe(QObject):
    """Marks the first paint, engine readiness, the model and the first result; may quit.

    Only installed when ``JACGUI_TIMING_FILE`` is set. ``JACGUI_EXIT_AFTER_FIRST_RESULT=1``
    closes the window once the first Jacobian has been painted.
    """

    def __init__(self, session: Session) -> None:
        super().__init__(session.window)
        self._session = session
        self._painted = False
        session.window.installEventFilter(self)
        self._marked: set[str] = set()
        # The engine status changes again when a model brings its sandbox summary: mark once.
        session.state.engine_changed.connect(lambda: self._mark_once("tf_ready"))
        session.state.model_changed.connect(lambda: self._mark_once("model_loaded"))
        # Connected after the views, so the heatmap already holds the result.
        session.state.result_changed.connect(self._on_result)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Mark the window's first paint."""
        if not self._painted and event.type() == QEvent.Type.Paint:
            self._painted = True
            mark("painted")
        return False

    def _mark_once(self, event: str) -> None:
        if event not in self._marked:
            self._marked.add(event)
            mark(event)

    def _on_result(self) -> None:
        if self._session.state.result is None:
            return
        self._session.state.result_changed.disconnect(self._on_result)
        self._session.heatmap.graphics_view().viewport().repaint()  # on screen, not queued
        mark("first_result")
        if os.environ.get("JACGUI_EXIT_AFTER_FIRST_RESULT", "") not in ("", "0"):
            QTimer.singleShot(0, self._session.window.close)


def main(argv: Sequence[str] | None = None, link: EngineLink | None = None) -> int:
    """Run the jacgui window.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments without the program name; ``sys.argv[1:]`` when ``None``.
    link : EngineLink, optional
        An engine already started by the caller; one is started here otherwise.

    Returns
    -------
    int
        The exit status: 0 after a normal quit.
    """
    mark("main")
    args = parse_args(argv)
    if link is None:
        from .engine_link import start_engine

        link = start_engine()
    app = create_application()
    mark("app_created")
    install_message_filter()
    global current_session
    session = current_session = build(link)
    mark("window_built")
    install_excepthook(session.state)
    if os.environ.get("JACGUI_TIMING_FILE"):
        StartupProbe(session)
    session.window.show()
    mark("shown")
    # Start after the first paint so that the window is visible before any heavy work.
    QTimer.singleShot(0, lambda: session.models.start(args.model, args.point, args.unsafe))
    status = app.exec()
    session.runner.shutdown()  # idempotent; covers quitting without closing the window
    # Destroy the widgets while Python is still whole: left to interpreter exit, PySide deletes
    # pyqtgraph items whose Python code then runs during finalisation and segfaults.
    shiboken6.delete(session.window)
    app.processEvents()
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
