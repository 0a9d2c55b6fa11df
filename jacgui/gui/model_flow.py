"""Opening models: trust questions, the engine's answers, recent files and the start-up point.

A model is loaded by the engine process; the window only ever holds its description (a
ModelInfo). A failed load keeps the model that was open, with everything typed for it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from jacgui.core.errors import JacguiError
from jacgui.core.reasons import one_line

from .actions.points import read_point_file
from .runner import JobRunner
from .state import EngineStatus, WindowState

__all__ = ["ModelFlow", "is_bundled"]


class ModelFlow(QObject):
    """Opens models through ``runner`` and turns the answers into state.

    Parameters
    ----------
    state : WindowState
    runner : JobRunner
    dialogs : Dialogs
        Asks whether to trust a file.
    settings : Settings
        Recent models and the last folder.
    parent : QObject, optional

    Signals
    -------
    recent_changed(list)
        The recent-model list after a successful open (newest first).
    """

    recent_changed = Signal(list)

    def __init__(self, state: WindowState, runner: JobRunner, dialogs: Any, settings: Any,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state, self._runner = state, runner
        self._dialogs, self._settings = dialogs, settings
        self._startup_point: str | None = None
        self._trusted_code: set[Path] = set()  # .py files the user agreed to run unsandboxed
        self.dialog_parent: Any = None  # the window, for modal questions
        runner.engine_ready.connect(self._on_engine_ready)
        runner.model_opened.connect(self._on_opened)
        runner.model_failed.connect(self._on_failed)

    def start(self, model: str | None, point: str | None = None, unsafe: bool = False) -> None:
        """Start the engine and open ``model`` (the demo when ``None``), then ``point``."""
        self._startup_point = point
        self._runner.start()
        if model is None:
            from jacgui._resources import demo_model

            model = str(demo_model())
        self.open(model, unsafe=unsafe)

    def open(self, path: str | Path, unsafe: bool = False) -> bool:
        """Load ``path`` in the engine; the current model stays until the new one is loaded.

        A ``.py`` model is Python code that runs when loaded. Without a sandbox the window asks
        first, unless the file is a bundled example or was trusted already.
        """
        path = str(path)
        if path.lower().endswith(".py") and not unsafe and not self._may_run_code(path):
            self._state.inform(f"{Path(path).name} was not opened: its code was not trusted")
            return False
        if unsafe and path.lower().endswith(".py"):
            self._trusted_code.add(Path(path).resolve())
        self._state.set_loading(True)
        self._state.inform(f"Opening {Path(path).name}…")
        # The engine loads after the jobs it runs: the new model must not wait for them.
        self._runner.cancel_all()
        self._runner.open_model(path, unsafe)
        return True

    def _may_run_code(self, path: str) -> bool:
        resolved = Path(path).resolve()
        if resolved in self._trusted_code or is_bundled(path) or sandbox_available():
            return True
        reason = ("This model is a Python file: opening it runs the code in it, and this "
                  "system has no sandbox for the engine.")
        if not self._dialogs.ask_trust(self.dialog_parent, path, reason):
            return False
        self._trusted_code.add(resolved)
        return True

    # -- answers ------------------------------------------------------------------------------
    @Slot(object, str)
    def _on_engine_ready(self, status: Any, error: str) -> None:
        if error:
            self._state.set_engine(EngineStatus(failure=error))
            self._state.set_loading(False)
            self._state.report_error(f"The engine could not start: {error}")
            return
        self._state.set_engine(EngineStatus(
            ready=True, device=str(getattr(status, "device", "")),
            sandbox=str(getattr(status, "sandbox", ""))))

    @Slot(object, str)
    def _on_opened(self, info: Any, path: str) -> None:
        self._state.set_loading(False)
        if not is_bundled(path):
            self.recent_changed.emit(self._settings.add_recent_model(path))
            self._settings.set_last_dir(path)
        # The start-up point is part of the model's first state, so that the first Jacobian
        # is computed at it (not at the default point, and then again).
        start_values, point_notice = self._startup_values(info)
        sandbox = getattr(info, "sandbox", None)
        if sandbox is not None:  # how THIS model is confined (trusted files run unsandboxed)
            self._state.set_engine(replace(self._state.engine, sandbox=sandbox.summary))
        self._state.set_model(info, path, start_values)
        self._state.inform(f"Loaded {Path(path).name}")
        if point_notice:
            self._state.inform(point_notice)
        if not any(spec.is_float for spec in info.inputs):
            self._state.report_error("This model has no floating-point input to differentiate")

    def _startup_values(self, info: Any) -> tuple[dict[str, Any], str]:
        """The start-up point (once) for the input the window differentiates, and a notice."""
        path, self._startup_point = self._startup_point, None
        spec = next((s for s in info.inputs if s.is_float), None)
        if not path or spec is None:
            return {}, ""
        try:
            values = read_point_file(path, spec)
        except (JacguiError, OSError, ValueError) as exc:
            return {}, f"Could not load the point: {one_line(exc)}"
        return {spec.name: values}, f"Loaded point from {Path(path).name}"

    @Slot(str, str, bool)
    def _on_failed(self, path: str, message: str, needs_trust: bool) -> None:
        self._state.set_loading(False)
        if needs_trust and self._dialogs.ask_trust(self.dialog_parent, path, message):
            self.open(path, unsafe=True)
            return
        self._state.report_error(f"Could not open {Path(path).name}: {message}")


def is_bundled(path: str | Path) -> bool:
    """Whether ``path`` is one of jacgui's own example models."""
    try:
        from jacgui._resources import resources_dir

        return Path(path).resolve().is_relative_to(resources_dir().resolve())
    except (ImportError, FileNotFoundError, OSError):
        return False


def sandbox_available() -> bool:
    """Whether this system can sandbox the engine (Landlock); asked of the kernel, not TF."""
    from jacgui.core.process.sandbox import landlock_abi

    return landlock_abi()[0] > 0
