"""Behaviour of the main window: model loading, recomputes and cell inspection.

Kept apart from :mod:`main_window` (which builds widgets) so that each stays small. The mixin
expects the attributes that :class:`~jacgui.gui.main_window.MainWindow` creates.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Slot

from jacgui.core.handle import ModelHandle

from .menus import fill_recent

if TYPE_CHECKING:
    from .main_window import MainWindow as _Base
else:
    _Base = object

#: Arrow keys move the selection quickly; cross-check only where it comes to rest.
CROSS_CHECK_DELAY_MS = 120


class WindowLogic(_Base):
    """Slots of the main window."""

    _point_path: str | None = None
    _tf_ready = False

    def _connect(self) -> None:
        c = self.controller
        c.job_source = self._job_fields
        c.tf_ready.connect(self._on_tf_ready)
        c.tf_failed.connect(self._on_tf_failed)
        c.model_loaded.connect(self._on_model_loaded)
        c.model_failed.connect(self._on_model_failed)
        c.job_started.connect(self._on_job_started)
        c.progress.connect(self.compute_panel.set_progress)
        c.busy_changed.connect(self.compute_panel.set_busy)
        c.result_ready.connect(self._on_result)
        c.failed.connect(self._on_failed)
        c.cancelled.connect(self._on_cancelled)
        c.cross_checked.connect(self._on_cross_checked)
        c.cross_check_failed.connect(self._on_cross_check_failed)
        self.model_panel.selection_changed.connect(self._on_selection_changed)
        self.point_editor.point_changed.connect(self._on_inputs_changed)
        self.point_editor.message.connect(self.show_message)
        self.compute_panel.options_changed.connect(self._on_inputs_changed)
        self.compute_panel.compute_requested.connect(self.compute_now)
        self.compute_panel.cancel_requested.connect(self.controller.cancel)
        self.heatmap.selection_changed.connect(self._on_cell_selected)
        self.heatmap.cell_clicked.connect(self._on_cell_selected)
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CROSS_CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self._start_cross_check)
        self._cell: tuple[int, int] | None = None
        self._trusted_code: set[Path] = set()  # .py models the user agreed to run, this session

    # -- start-up -----------------------------------------------------------------------------
    def start(self, model: str | None = None, point: str | None = None, unsafe: bool = False) -> None:
        """Start the worker, then load ``model`` (the demo when ``None``) and compute."""
        self._point_path = point
        self.controller.start()
        if model is None:
            from jacgui._resources import demo_model

            model = str(demo_model())
        self.open_model(model, unsafe=unsafe)

    @Slot(str)
    def _on_tf_ready(self, device: str) -> None:
        self._tf_ready = True
        self.status.device.setText(device)
        if self.controller.is_loading:
            self.set_placeholder("Loading model…")

    @Slot(str)
    def _on_tf_failed(self, message: str) -> None:
        self.status.device.setText("TensorFlow unavailable")
        self.set_placeholder("TensorFlow could not be loaded")
        self.show_error(f"TensorFlow could not be loaded: {message}")

    # -- models -------------------------------------------------------------------------------
    def open_model(self, path: str | Path, unsafe: bool = False) -> None:
        """Load ``path`` on the worker thread; the current model stays until it succeeds.

        A ``.py`` model is Python code that runs when loaded, so the window asks first unless
        the file is a bundled example or was trusted already (``unsafe``, or an earlier yes).
        """
        path = str(path)
        if unsafe and path.lower().endswith(".py"):
            self._trusted_code.add(Path(path).resolve())  # trusted explicitly (--unsafe)
        elif not self._python_model_trusted(path):
            self.show_message(f"{Path(path).name} was not opened: its code was not trusted")
            return
        if self.controller.model is None:
            self.set_placeholder("Loading TensorFlow…" if not self._tf_ready else "Loading model…")
        self.show_message(f"Opening {Path(path).name}…", 0)
        self.controller.open_model(path, unsafe)

    def _python_model_trusted(self, path: str) -> bool:
        if not path.lower().endswith(".py"):
            return True
        from jacgui._resources import resources_dir

        resolved = Path(path).resolve()
        if resolved in self._trusted_code or resources_dir().resolve() in resolved.parents:
            return True
        reason = "This model is a Python file: opening it runs the code in it."
        if not self.dialogs.ask_trust(self, path, reason):
            return False
        self._trusted_code.add(resolved)
        return True

    @Slot()
    def choose_model_file(self) -> None:
        """File ▸ Open…"""
        path = self.dialogs.open_file(self, "Open model", self.settings.last_dir(), _filters())
        if path:
            self.open_model(path)

    @Slot()
    def choose_model_folder(self) -> None:
        """File ▸ Open SavedModel folder…"""
        path = self.dialogs.open_folder(self, "Open SavedModel folder", self.settings.last_dir())
        if path:
            self.open_model(path)

    @Slot()
    def open_recent(self) -> None:
        """Open the model named by the triggering action's data (recent list or Examples)."""
        action = self.sender()
        path = action.data() if action is not None else None
        if path:
            self.open_model(str(path))

    @Slot()
    def clear_recent(self) -> None:
        """Forget the recent models."""
        self.settings.clear_recent_models()
        fill_recent(self, self.actions.recent, [])

    @Slot(object)
    def _on_model_loaded(self, model: ModelHandle) -> None:
        self.banner.hide()
        self.result = None
        self._cell = None
        self.status.clear()
        self.inspector.clear()
        self.heatmap.set_result(None)
        self.setWindowTitle(f"{Path(model.path).name} — jacgui")
        opened = self.controller.model_path or model.path
        if not _is_bundled(opened):
            fill_recent(self, self.actions.recent, self.settings.add_recent_model(opened))
            self.settings.set_last_dir(opened)
        self.point_editor.set_model(model)
        self.model_panel.set_model(model)  # emits selection_changed -> point editor input
        self.stack.setCurrentWidget(self.tabs)
        self.tabs.setTabEnabled(1, _image_input(model, self.model_panel.selection()[0]))
        self.show_message(f"Loaded {Path(model.path).name}")
        if self._point_path:
            self.point_editor.load_point_file(self._point_path)
            self._point_path = None
        if not any(spec.is_float for spec in model.inputs):
            self.show_error("This model has no floating-point input to differentiate")
            return
        self.compute_now()

    @Slot(str, str, bool)
    def _on_model_failed(self, path: str, message: str, needs_trust: bool) -> None:
        if needs_trust and self.dialogs.ask_trust(self, path, message):
            self.open_model(path, unsafe=True)
            return
        self.show_error(f"Could not open {Path(path).name}: {message}")
        if self.controller.model is None:
            self.set_placeholder("No model loaded — use File ▸ Open or the Examples menu")

    # -- computing ----------------------------------------------------------------------------
    def _job_fields(self) -> dict[str, Any] | None:
        input_name, output_name = self.model_panel.selection()
        if self.controller.model is None or input_name is None or output_name is None:
            return None
        return {
            "point": self.point_editor.point(),
            "method": self.compute_panel.method_name(),
            "input": input_name,
            "output": output_name,
            "options": self.compute_panel.options(self.base_options),
        }

    @Slot()
    def compute_now(self) -> None:
        """Compute with the current settings now (F5)."""
        self.controller.compute_now()

    @Slot(str, str)
    def _on_selection_changed(self, input_name: str, _output_name: str) -> None:
        if self.point_editor.input_name() != input_name:
            self.point_editor.set_input(input_name)
        model = self.controller.model
        self.tabs.setTabEnabled(1, model is not None and _image_input(model, input_name))
        self._on_inputs_changed()

    @Slot()
    def _on_inputs_changed(self, *_: object) -> None:
        if self.compute_panel.auto_recompute():
            # A slider move updates live (throttled, coalesced); typed edits are debounced.
            self.controller.schedule(live=self.point_editor.is_live_change())

    @Slot(int, object)
    def _on_job_started(self, _job_id: int, plan: object) -> None:
        self.status.show_plan(plan)

    @Slot(object)
    def _on_result(self, result: Any) -> None:
        self.result = result
        self.compute_panel.set_finished(True)
        self.heatmap.set_result(result)
        self.status.show_result(result)
        if self.tabs.isTabEnabled(1):
            self.sensitivity.set_result(result, self._cell[0] if self._cell else 0)
        for warning in result.warnings:
            self.show_message(warning, 10000)
        if self._cell is not None and self._cell[0] < result.shape[0] and self._cell[1] < result.shape[1]:
            self.heatmap.select_cell(*self._cell)
            self._on_cell_selected(*self._cell)
        else:
            self._cell = None
            self.inspector.clear()
            self.show_message(f"Jacobian {result.shape[0]}×{result.shape[1]} by {result.method} "
                              f"in {result.seconds * 1000:.0f} ms")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.compute_panel.set_finished(False)
        self.show_error(message)

    @Slot(int)
    def _on_cancelled(self, _job_id: int) -> None:
        self.compute_panel.set_finished(False)
        self.show_message("Computation cancelled")

    # -- cells --------------------------------------------------------------------------------
    @Slot(int, int)
    def _on_cell_selected(self, row: int, col: int) -> None:
        if self.result is None:
            return
        self._cell = (row, col)
        try:
            from jacgui.core.cell import cell_info

            self.inspector.show_cell(cell_info(self.result, row, col))
        except Exception as exc:  # noqa: BLE001 - the inspector must never take the app down
            self.show_message(f"Cannot describe this cell: {exc}")
            return
        if self.tabs.isTabEnabled(1):
            self.sensitivity.set_result(self.result, row)
        self.inspector.show_cross_check(None, pending=True)
        self._check_timer.start()

    @Slot()
    def _start_cross_check(self) -> None:
        if self._cell is not None:
            self.controller.request_cross_check(*self._cell)

    @Slot(object)
    def _on_cross_checked(self, check: object) -> None:
        self.inspector.show_cross_check(check, pending=False)

    @Slot(str)
    def _on_cross_check_failed(self, message: str) -> None:
        self.inspector.show_cross_check(None, pending=False)
        self.show_message(f"Cross-check failed: {message}")


def _filters() -> str:
    from .main_window import MODEL_FILTERS

    return MODEL_FILTERS


def _image_input(model: ModelHandle, name: str | None) -> bool:
    try:
        return model.input(name).is_image
    except Exception:  # noqa: BLE001 - an unknown name simply is not an image
        return False


def _is_bundled(path: str) -> bool:
    try:
        from jacgui._resources import resources_dir

        return Path(path).resolve().is_relative_to(resources_dir().resolve())
    except (ImportError, FileNotFoundError, OSError):
        return False
