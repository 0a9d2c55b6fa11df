"""Render the main window on a model (the demo by default) to a PNG for the README.

Usage::

    QT_QPA_PLATFORM=offscreen python scripts/screenshot.py [MODEL] [-o docs/screenshot.png]
        [--cell ROW COL] [--size 1280 800] [--tab jacobian|sensitivity]

It builds the window as the application does (with its engine process), loads the model,
waits for the Jacobian and the cross-check of one selected cell, then saves
``window.grab()`` with the chosen tab in front (``sensitivity``: the selected output's row of
J laid out as the input image, for image models). Settings go to a temporary file so the
user's are not touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> int:
    """Render and save the screenshot; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", help="model to show (the demo when omitted)")
    parser.add_argument("-o", "--output", default=str(ROOT / "docs" / "screenshot.png"))
    parser.add_argument("--cell", nargs=2, type=int, default=(6, 2), metavar=("ROW", "COL"))
    parser.add_argument("--size", nargs=2, type=int, default=(1280, 800), metavar=("W", "H"))
    parser.add_argument("--tab", choices=("jacobian", "sensitivity"), default="jacobian")
    args = parser.parse_args()

    from jacgui.gui.engine_link import start_engine

    link = start_engine()  # first: its TensorFlow import overlaps the window's start

    from PySide6.QtCore import QTimer

    from jacgui.gui import app
    from jacgui.gui.settings import Settings

    qapp = app.create_application()
    app.install_message_filter()
    status = {"code": 1, "selected": False, "saving": False}
    with tempfile.TemporaryDirectory() as folder:
        session = app.build(link, Settings.in_file(Path(folder) / "jacgui.ini"))
        state, window = session.state, session.window
        window.resize(*args.size)
        window.show()

        def save() -> None:
            if args.tab == "sensitivity" and window.tabs.currentIndex() != 1:
                window.tabs.setCurrentIndex(1)
                QTimer.singleShot(500, save)  # let the maps fit their panels
                return
            window.grab().save(args.output)
            print(f"saved {args.output}")
            status["code"] = 0
            window.close()

        def on_result() -> None:
            if state.result is None or status["selected"]:
                return
            status["selected"] = True
            rows, cols = state.result.shape
            session.heatmap.select_cell(min(args.cell[0], rows - 1), min(args.cell[1], cols - 1))

        def on_check() -> None:
            if state.cross_check is not None and not status["saving"]:
                status["saving"] = True
                QTimer.singleShot(300, save)  # let the inspector lay out its text

        def on_notice(text: str, error: bool) -> None:
            if error:
                print("failed:", text, file=sys.stderr)
                window.close()

        state.result_changed.connect(on_result)
        state.cross_check_changed.connect(on_check)
        state.notice.connect(on_notice)
        QTimer.singleShot(0, lambda: session.models.start(args.model))
        qapp.exec()
        session.runner.shutdown()
    return status["code"]


if __name__ == "__main__":
    sys.exit(main())
