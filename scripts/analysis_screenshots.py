"""Render every analysis panel on the bundled demos to PNGs (for ``docs/analyses.md``).

Usage::

    QT_QPA_PLATFORM=offscreen python scripts/analysis_screenshots.py OUTDIR [--size 1280 800]

Opens the oscillator, borehole and digit-classifier demos in a real window (built as the
application builds it, with its engine process; settings in a temporary file), runs each
analysis through the window's job runner exactly as a click would, waits for its answer and
saves ``grab()`` of the panel. Files written:

``view_elasticity.png`` and ``window_analysis.png`` (whole window), ``importance.png``,
``slice.png``, ``principal.png``, ``agreement.png``, ``step_sweep.png``, ``global.png``,
``image_maps.png``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TIMEOUT_MS = 120_000
#: ``--docs-names``: the figure names ``docs/analyses.md`` links to (its own figures come from
#: ``scripts/analysis_figures.py``; these are the same analyses as the window shows them).
DOCS_NAMES = {"slice.png": "analysis_slice.png", "principal.png": "analysis_svd.png",
              "agreement.png": "analysis_compare.png", "step_sweep.png": "analysis_sweep.png",
              "global.png": "analysis_global.png", "image_maps.png": "analysis_saliency.png"}
_RENAME: dict[str, str] = {}


def wait_for(signal: Any, start: Any = None, accept: Any = None,
             timeout_ms: int = TIMEOUT_MS) -> list[Any]:
    """Call ``start()`` and run the event loop until ``signal`` fires with ``accept(*args)``.

    Returns the arguments of that emission.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    loop, got = QEventLoop(), []

    def done(*args: Any) -> None:
        if not got and (accept is None or accept(*args)):
            got.append(args)
            loop.quit()

    signal.connect(done)
    QTimer.singleShot(timeout_ms, loop.quit)
    if start is not None:
        start()
    if not got:
        loop.exec()
    signal.disconnect(done)
    if not got:
        raise TimeoutError(f"no answer within {timeout_ms / 1000:.0f} s")
    return list(got[0])


def settle(ms: int = 150) -> None:
    """Let layouts and repaints finish."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def open_model(session: Any, name: str) -> Any:
    """Open a bundled model and wait for its Jacobian."""
    from jacgui._resources import resource_path

    state = session.state
    wait_for(state.result_changed, lambda: session.models.open(resource_path("models", name)),
             lambda: state.result is not None)
    return state.result


def show(session: Any, view: Any) -> None:
    """Bring an analysis tab to the front."""
    session.window.tabs.setCurrentWidget(session.analysis)
    session.analysis.setCurrentWidget(view)


def run_view(session: Any, view: Any, start: Any = None) -> Any:
    """Show ``view`` and wait for its analysis (started by showing it, or by ``start``)."""
    def go() -> None:
        show(session, view)
        if start is not None:
            start()
    return wait_for(view.analysis_ready, go)[0]


def save(widget: Any, path: Path) -> None:
    """Grab ``widget`` to ``path``."""
    settle()
    path = path.with_name(_RENAME.get(path.name, path.name))
    widget.grab().save(str(path))
    print(f"saved {path} ({path.stat().st_size // 1024} KB)")


def main() -> int:
    """Render and save every picture; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--size", nargs=2, type=int, default=(1280, 800), metavar=("W", "H"))
    parser.add_argument("--docs-names", action="store_true",
                        help="write the panels under the file names docs/analyses.md uses")
    args = parser.parse_args()
    if args.docs_names:
        _RENAME.update(DOCS_NAMES)
    args.outdir.mkdir(parents=True, exist_ok=True)

    from jacgui.gui.engine_link import start_engine

    link = start_engine()  # first: its TensorFlow import overlaps the window's start

    from jacgui.gui import app
    from jacgui.gui.analysis.global_dialog import default_bounds
    from jacgui.gui.analysis.jobs import GlobalRequest
    from jacgui.gui.settings import Settings

    app.create_application()
    app.install_message_filter()
    with tempfile.TemporaryDirectory() as folder:
        session = app.build(link, Settings.in_file(Path(folder) / "jacgui.ini"))
        window, panel, out = session.window, session.analysis, args.outdir
        window.resize(*args.size)
        window.show()
        session.runner.start()
        try:
            open_model(session, "oscillator.keras")
            session.heatmap.select_cell(6, 2)
            session.view_selector.set_view("elasticity")
            save(window, out / "view_elasticity.png")
            session.view_selector.set_view("raw")
            run_view(session, panel.slice)
            save(panel, out / "slice.png")
            run_view(session, panel.principal)
            save(panel, out / "principal.png")
            save(window, out / "window_analysis.png")
            run_view(session, panel.sweep)
            save(panel, out / "step_sweep.png")

            result = open_model(session, "borehole.keras")
            session.heatmap.select_cell(0, 0)
            show(session, panel.importance)
            save(panel, out / "importance.png")
            run_view(session, panel.agreement, panel.agreement.run)
            save(panel, out / "agreement.png")
            request = GlobalRequest(bounds=default_bounds(result.point), n_samples=512,
                                    method="lhs", seed=1)
            run_view(session, panel.global_, lambda: panel.global_.start(request))
            save(panel, out / "global.png")

            open_model(session, "digits_cnn.keras")
            session.heatmap.select_cell(3, 0)
            show(session, panel.images)
            panel.images.set_row(3)
            save(panel, out / "image_maps.png")
        finally:
            window.close()
            session.runner.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
