"""Entry point of the desktop application: ``jacgui [MODEL] [--point FILE] [--unsafe]``.

The window is shown before TensorFlow is imported: this module pulls in only Qt, pyqtgraph and
numpy; the worker thread imports TensorFlow and loads the model afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QEvent, QObject, QTimer, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from .settings import APPLICATION, ORGANISATION

if TYPE_CHECKING:
    from .main_window import MainWindow


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line (without the program name)."""
    parser = argparse.ArgumentParser(prog="jacgui", description="Explore the Jacobian of a TensorFlow model.")
    parser.add_argument("model", nargs="?", help="model file (.keras .h5 .hdf5 .py) or SavedModel folder; the demo when omitted")
    parser.add_argument("--point", metavar="FILE", help="input point (.npy .npz .csv .json, or an image)")
    parser.add_argument("--unsafe", action="store_true", help="trust the model: allow Lambda layers and Python code")
    return parser.parse_args(list(argv) if argv is not None else None)


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


def install_message_filter() -> None:
    """Keep Qt's own warnings off stderr unless JACGUI_DEBUG=1 (criticals always pass)."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    from .worker import debug_enabled

    def handler(kind: QtMsgType, _context: object, message: str) -> None:
        if debug_enabled() or kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def install_excepthook(window: MainWindow) -> None:
    """Show unexpected exceptions as one line in ``window``; tracebacks only with JACGUI_DEBUG=1."""
    from .worker import debug_enabled, describe_exception

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        if debug_enabled():
            traceback.print_exception(kind, exc, tb, file=sys.stderr)
        try:
            window.show_error(f"Unexpected error: {describe_exception(exc)}")
        except RuntimeError:  # the window is already gone at exit
            pass

    sys.excepthook = hook


def mark(event: str) -> None:
    """Append ``event <time.time()>`` to ``$JACGUI_TIMING_FILE`` (for benchmarks/startup.py)."""
    path = os.environ.get("JACGUI_TIMING_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{event} {time.time():.6f}\n")


class _StartupProbe(QObject):
    """Marks the first paint and the first displayed result; may quit after it.

    Only installed when ``JACGUI_TIMING_FILE`` is set. ``JACGUI_EXIT_AFTER_FIRST_RESULT=1``
    closes the window once the first Jacobian has been painted.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._painted = False
        window.installEventFilter(self)
        window.controller.tf_ready.connect(self._on_tf_ready)
        window.controller.model_loaded.connect(self._on_model_loaded)
        # Connected after the window's own slot, so the heatmap already holds the result.
        window.controller.result_ready.connect(self._on_result)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if not self._painted and event.type() == QEvent.Type.Paint:
            self._painted = True
            mark("painted")
        return False

    @Slot(str)
    def _on_tf_ready(self, _device: str) -> None:
        mark("tf_ready")

    @Slot(object)
    def _on_model_loaded(self, _model: object) -> None:
        mark("model_loaded")

    @Slot(object)
    def _on_result(self, _result: object) -> None:
        self._window.controller.result_ready.disconnect(self._on_result)
        self._window.heatmap.graphics_view().viewport().repaint()  # on screen, not just queued
        mark("first_result")
        if os.environ.get("JACGUI_EXIT_AFTER_FIRST_RESULT", "") not in ("", "0"):
            QTimer.singleShot(0, self._window.close)


def build_window(args: argparse.Namespace) -> MainWindow:
    """Create and show the window, and queue the model load for the event loop."""
    from .main_window import MainWindow

    window = MainWindow()
    mark("window_built")
    install_excepthook(window)
    if os.environ.get("JACGUI_TIMING_FILE"):
        _StartupProbe(window)
    window.show()
    mark("shown")
    # Start after the first paint so that the window is visible before any heavy work.
    QTimer.singleShot(0, lambda: window.start(args.model, args.point, args.unsafe))
    return window


def main(argv: Sequence[str] | None = None) -> int:
    """Run the jacgui window.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments without the program name; ``sys.argv[1:]`` when ``None``.

    Returns
    -------
    int
        The exit status: 0 after a normal quit.
    """
    mark("main")
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    app = create_application()
    mark("app_created")
    install_message_filter()
    window = build_window(args)
    status = app.exec()
    # Idempotent; covers quitting without closing the window.
    if not window.controller.shutdown():
        # One chunk of the model never ended: exiting with the thread alive would abort, and
        # waiting would hang, so leave at once (nothing is half-written: exports are atomic).
        print("jacgui: a computation did not stop; exiting without waiting for it",
              file=sys.stderr, flush=True)
        os._exit(int(status))
    # Destroy the widgets while Python is still whole: left to interpreter exit, PySide deletes
    # pyqtgraph items whose Python code then runs during finalisation and segfaults (seen in
    # about 3 of 10 closes mid-computation).
    shiboken6.delete(window)
    app.processEvents()
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
