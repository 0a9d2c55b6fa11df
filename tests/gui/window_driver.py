"""Driving the window like a user, and waiting on its state instead of on time.

A test builds a :class:`~jacgui.gui.app.Session` (tests/gui/conftest.py) and uses these to
open models, type values and wait for what the window shows. Every wait is on a signal or a
condition of the state, bounded by :data:`LONG`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

LONG = 60000  # ms; generous so a loaded CI machine does not flake


def wait_result(qtbot: Any, session: Any, action: Callable[[], object] | None = None,
                timeout: int = LONG) -> Any:
    """Run ``action`` and wait until the state shows a (new) Jacobian; returns it."""
    state = session.state
    with qtbot.waitSignal(state.result_changed, timeout=timeout,
                          check_params_cb=lambda: state.result is not None):
        if action is not None:
            action()
    return state.result


def start(qtbot: Any, session: Any, model: str | None, point: str | None = None,
          unsafe: bool = False) -> Any:
    """Start the engine, open ``model`` (the demo for ``None``) and wait for its Jacobian."""
    return wait_result(qtbot, session, lambda: session.models.start(model, point, unsafe))


def open_from_menu(session: Any, path: str | Path) -> None:
    """File ▸ Open model… (or Open SavedModel folder… for a folder), answered with ``path``."""
    session.dialogs.open_path = str(path)
    is_folder = Path(path).is_dir()
    (session.actions.open_folder if is_folder else session.actions.open).trigger()


def status(session: Any) -> str:
    """The status bar's message."""
    return session.window.statusBar().currentMessage()


def model_panel(session: Any) -> Any:
    """The Model panel (input and output pickers)."""
    return session.window.views.model_panel


def compute_panel(session: Any) -> Any:
    """The Computation panel (method, step, auto-recompute, progress)."""
    return session.window.views.compute_panel


def choose(session: Any, input: str | None = None, output: str | None = None) -> None:
    """Pick the input and output to differentiate in the Model panel's combo boxes.

    As with the mouse, an entry that is shown disabled (an integer input) cannot be picked.
    """
    panel = model_panel(session)
    for combo, name in ((panel.input_combo, input), (panel.output_combo, output)):
        index = combo.findData(name) if name is not None else -1
        if index >= 0 and combo.model().item(index).isEnabled():
            combo.setCurrentIndex(index)


def choose_method(session: Any, method: str) -> None:
    """Pick ``method`` in the Computation panel."""
    combo = compute_panel(session).method
    index = combo.findText(method)
    assert index >= 0, f"{method} is not offered"
    combo.setCurrentIndex(index)


def type_into(qtbot: Any, editor: Any, row: int, text: str) -> None:
    """Open a value cell's editor like a user would, type ``text`` and press Enter."""
    view, index = editor.table, editor.table_model.index(row, 1)
    view.setCurrentIndex(index)
    view.edit(index)
    line = view.indexWidget(index)
    assert line is not None, "no cell editor opened"
    line.selectAll()
    qtbot.keyClick(line, Qt.Key.Key_Backspace)
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key.Key_Return)
    # The delegate commits and closes its editor through a queued call.
    qtbot.waitUntil(lambda: view.indexWidget(index) is None, timeout=2000)


class Events:
    """What the runner reports about models and Jacobians, in order.

    Kinds: ``"loaded"`` (the model description), ``"load-failed"`` (the message),
    ``"result"`` (the JacobianResult), ``"failed"`` (the message), ``"cancelled"``. The slots
    are connected after the window's own, so the state is up to date when an event is seen.
    """

    def __init__(self, session: Any) -> None:
        self.seen: list[tuple[str, Any]] = []
        self.after = 0
        runner = session.runner
        runner.model_opened.connect(lambda info, _path: self.seen.append(("loaded", info)))
        runner.model_failed.connect(
            lambda _path, text, _trust: self.seen.append(("load-failed", text)))
        runner.finished.connect(self._on_finished)
        runner.failed.connect(self._on_failed)
        runner.cancelled.connect(self._on_cancelled)

    def _on_finished(self, kind: str, value: Any, _context: Any) -> None:
        if kind == "jacobian":
            self.seen.append(("result", value))

    def _on_failed(self, kind: str, message: str) -> None:
        if kind == "jacobian":
            self.seen.append(("failed", message))

    def _on_cancelled(self, kind: str) -> None:
        if kind == "jacobian":
            self.seen.append(("cancelled", None))

    def mark(self) -> int:
        """Where the events from now on start."""
        return len(self.seen)

    def of(self, kind: str, since: int = 0) -> list[Any]:
        """The payloads of the events of ``kind`` from position ``since``."""
        return [payload for k, payload in self.seen[since:] if k == kind]

    def next(self, qtbot: Any, since: int, kinds: tuple[str, ...]) -> tuple[str, Any]:
        """The first event of ``kinds`` after position ``since`` (waits for it)."""

        def found() -> int | None:
            return next((i for i in range(since, len(self.seen)) if self.seen[i][0] in kinds),
                        None)

        qtbot.waitUntil(lambda: found() is not None, timeout=LONG)
        index = found()
        assert index is not None
        self.after = index + 1  # where to look for what follows this event
        return self.seen[index]
