"""Render the main window on a model (the demo by default) to a PNG for the README.

Usage::

    QT_QPA_PLATFORM=offscreen python scripts/screenshot.py [MODEL] [-o docs/screenshot.png]
        [--cell ROW COL] [--size 1280 800]

It loads the model, waits for the Jacobian and the cross-check of one selected cell, then
saves ``window.grab()``. Settings go to a temporary file so the user's are not touched.
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
    args = parser.parse_args()

    from PySide6.QtCore import QTimer

    from jacgui.gui import app
    from jacgui.gui.main_window import MainWindow
    from jacgui.gui.settings import Settings

    qapp = app.create_application()
    app.install_message_filter()
    with tempfile.TemporaryDirectory() as folder:
        window = MainWindow(settings=Settings.in_file(Path(folder) / "jacgui.ini"))
        window.resize(*args.size)
        window.show()
        status = {"code": 1}

        def save() -> None:
            window.grab().save(args.output)
            print(f"saved {args.output}")
            status["code"] = 0
            window.close()

        def on_result(result: object) -> None:
            window.controller.result_ready.disconnect(on_result)
            rows, cols = window.result.shape
            row, col = min(args.cell[0], rows - 1), min(args.cell[1], cols - 1)
            window.heatmap.select_cell(row, col)
            window._on_cell_selected(row, col)

        def fail(*message: object) -> None:
            print("failed:", *message, file=sys.stderr)
            window.close()

        window.controller.result_ready.connect(on_result)
        window.controller.cross_checked.connect(lambda _check: QTimer.singleShot(300, save))
        window.controller.failed.connect(fail)
        window.controller.model_failed.connect(fail)
        QTimer.singleShot(0, lambda: window.start(args.model))
        qapp.exec()
        window.controller.shutdown()
    return status["code"]


if __name__ == "__main__":
    sys.exit(main())
