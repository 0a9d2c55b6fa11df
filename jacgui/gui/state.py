"""The window's state: one object that every view observes and every action changes.

Nothing here draws or computes. Views read the state and connect to its signals; actions (plain
functions in :mod:`jacgui.gui.actions`) change it; the job runner turns it into engine jobs and
the engine's answers back into state. A value typed in the point editor therefore travels in
one direction: state -> job runner -> engine -> state -> views.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from jacgui.core.job import DEFAULT_MEMORY_BUDGET, METHODS, JacobianOptions

__all__ = [
    "UNDO_DEPTH", "EngineStatus", "JacobianRequest", "JobStatus", "PointState", "ViewSettings",
    "WindowState",
]

#: Changes of the point that can be undone.
UNDO_DEPTH = 50

#: Heatmap views (key -> menu text); the numbers behind them are in jacgui.core.views.
VIEW_KEYS = ("raw", "abs", "elasticity", "scaled", "row")


@dataclass(frozen=True)
class JacobianRequest:
    """Everything the engine needs for one Jacobian of the window's model.

    Attributes
    ----------
    point : dict of str to ndarray
        A value for every input.
    method, input, output : str
    options : JacobianOptions
    confirmed : bool
        The user agreed to a job estimated to take long (it is not stopped to ask again).
    """

    point: dict[str, np.ndarray]
    method: str
    input: str
    output: str
    options: JacobianOptions
    confirmed: bool = False


@dataclass(frozen=True)
class JobStatus:
    """The Jacobian job of the window: running with its progress, or how the last one ended.

    ``outcome`` is ``""`` (nothing yet, or running), ``"done"``, ``"failed"`` or ``"cancelled"``.
    """

    busy: bool = False
    outcome: str = ""
    done: int = 0
    total: int = 0
    started: float = 0.0
    eta_seconds: float | None = None
    #: Chunks done and the time when the first chunk was reported: the pace after it.
    first_chunk: tuple[int, float] | None = None

    @property
    def eta_settled(self) -> bool:
        """The ETA comes from the pace after the first chunk (which also traced the model)."""
        return (self.eta_seconds is not None and self.first_chunk is not None
                and self.done > self.first_chunk[0])

    def with_progress(self, done: int, total: int) -> JobStatus:
        """The status after ``done`` of ``total`` chunks, with an ETA from the pace so far.

        The first chunk pays for tracing the model, so once a later chunk is done, the ETA is
        paced by the chunks after it.
        """
        now = time.monotonic()
        first = self.first_chunk or (done, now)
        eta = None
        if 0 < done < total:
            if done > first[0] and now > first[1]:
                eta = (now - first[1]) / (done - first[0]) * (total - done)
            elif now > self.started:
                eta = (now - self.started) / done * (total - done)
        return dataclasses.replace(self, done=done, total=total, eta_seconds=eta,
                                   first_chunk=first)


@dataclass(frozen=True)
class EngineStatus:
    """What the window knows about its engine process."""

    ready: bool = False
    device: str = ""
    sandbox: str = ""
    failure: str = ""


@dataclass(frozen=True)
class ViewSettings:
    """How the heatmap shows the result: which view of J, and how it is coloured.

    ``key`` and ``scales`` belong to one model (a new model starts from the raw view);
    ``colormap`` and ``value_scale`` are the user's preferences and persist.
    """

    key: str = "raw"
    scales: np.ndarray | None = None
    colormap: str = "CET-D1"
    value_scale: str = "linear"


class PointState(QObject):
    """The value of every input of the loaded model, and the undo history of its changes.

    Signals
    -------
    changed(str, bool)
        The input whose value changed, and whether the change is live (a dragged slider).
    history_changed(bool)
        Whether there is something to undo.
    """

    changed = Signal(str, bool)
    history_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._values: dict[str, np.ndarray] = {}
        self._defaults: dict[str, np.ndarray] = {}
        self._undo: list[tuple[str, np.ndarray]] = []

    # -- reading ------------------------------------------------------------------------------
    def names(self) -> tuple[str, ...]:
        """The inputs that have a value."""
        return tuple(self._values)

    def value(self, name: str) -> np.ndarray:
        """A copy of the value of input ``name``."""
        return self._values[name].copy()

    def default(self, name: str) -> np.ndarray:
        """The model's default value of input ``name``."""
        return self._defaults[name].copy()

    def values(self) -> dict[str, np.ndarray]:
        """Copies of every input's value."""
        return {name: value.copy() for name, value in self._values.items()}

    def can_undo(self) -> bool:
        """Whether :meth:`undo` would change something."""
        return bool(self._undo)

    # -- changing -----------------------------------------------------------------------------
    def load(self, defaults: dict[str, np.ndarray], values: dict[str, np.ndarray]) -> None:
        """Start over for a new model: ``values`` per input (same shapes), an empty history."""
        self._defaults = {k: np.array(v, dtype=float) for k, v in defaults.items()}
        self._values = {k: np.array(values.get(k, v), dtype=float).reshape(v.shape)
                        for k, v in self._defaults.items()}
        self._undo = []
        self.history_changed.emit(False)

    def set(self, name: str, values: Any, *, undoable: bool = True, live: bool = False) -> None:
        """Replace the value of input ``name`` (any array of the right size).

        Raises
        ------
        ValueError
            When the size does not match the input.
        """
        current = self._values[name]
        array = np.asarray(values, dtype=float)
        if array.size != current.size:
            raise ValueError(f"expected {current.size} values for {name}, got {array.size}")
        if undoable:
            self.checkpoint(name)
        self._values[name] = array.reshape(current.shape).copy()
        self.changed.emit(name, live)

    def set_element(self, name: str, index: int, value: float, *, undoable: bool = True,
                    live: bool = False) -> None:
        """Set one (flattened, row-major) element of input ``name``."""
        if undoable:
            self.checkpoint(name)
        self._values[name].reshape(-1)[index] = float(value)
        self.changed.emit(name, live)

    def checkpoint(self, name: str) -> None:
        """Remember the value of ``name`` so that :meth:`undo` can restore it."""
        self._undo.append((name, self._values[name].copy()))
        del self._undo[:-UNDO_DEPTH]
        self.history_changed.emit(True)

    def undo(self) -> str | None:
        """Restore the value before the last change; returns the input it changed."""
        while self._undo:
            name, values = self._undo.pop()
            if name in self._values and self._values[name].size == values.size:
                self._values[name] = values
                self.history_changed.emit(bool(self._undo))
                self.changed.emit(name, False)
                return name
        self.history_changed.emit(False)
        return None


class WindowState(QObject):
    """Everything the window shows and edits, owned in one place.

    Signals
    -------
    model_changed()
        Another model (or none) was loaded: every view starts from a clean slate.
    loading_changed(bool)
        A model load started or ended.
    selection_changed()
        The differentiated input or output changed.
    method_changed()
        The method, the finite-difference step or auto-recompute changed.
    view_changed()
        How the heatmap shows the result changed (view, scales, colours).
    result_changed()
        A new Jacobian (or none) is to be shown.
    cell_changed()
        The selected cell changed.
    cross_check_changed()
        The check of the selected cell arrived, failed or started.
    job_changed()
        The Jacobian job started, progressed or ended.
    engine_changed()
        The engine became ready, restarted or failed.
    notice(str, bool)
        A one-line message for the user, and whether it is an error.
    suggestion(str)
        A method the user may switch to after a failure (shown beside the error).
    """

    model_changed = Signal()
    loading_changed = Signal(bool)
    selection_changed = Signal()
    method_changed = Signal()
    view_changed = Signal()
    result_changed = Signal()
    cell_changed = Signal()
    cross_check_changed = Signal()
    job_changed = Signal()
    engine_changed = Signal()
    notice = Signal(str, bool)
    suggestion = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model: Any = None  # ModelInfo: the description of the model, never the model
        self.model_path = ""  # as the user named it
        self.loading = False
        self.input_name: str | None = None
        self.output_name: str | None = None
        self.method = "auto"
        self.step: float | None = None
        self.auto_recompute = True
        self.memory_budget = DEFAULT_MEMORY_BUDGET
        self.point = PointState(self)
        self.view = ViewSettings()
        self.result: Any = None  # JacobianResult
        self.result_request: JacobianRequest | None = None
        self.cell: tuple[int, int] | None = None
        self.cross_check: Any = None  # CrossCheck
        self.cross_check_pending = False
        self.job = JobStatus()
        self.engine = EngineStatus()
        self.last_error = ""
        # Values typed for every model opened in this session: (path, input, shape) -> value.
        self._remembered: dict[tuple[str, str, tuple[int, ...]], np.ndarray] = {}

    # -- the model ----------------------------------------------------------------------------
    def set_loading(self, loading: bool) -> None:
        """A model load started (True) or ended."""
        if loading != self.loading:
            self.loading = loading
            self.loading_changed.emit(loading)

    def set_model(self, model: Any, path: str,
                  values: dict[str, np.ndarray] | None = None) -> None:
        """Show ``model`` (a ModelInfo) opened from ``path``, from a clean slate.

        The method, the heatmap view, the result, the selected cell and the undo history start
        afresh; values typed earlier for the same file come back, and ``values`` (a start-up
        point, by input name) take their place.
        """
        self._remember_point()
        self.model, self.model_path = model, path
        self.method, self.step = "auto", None
        self.view = dataclasses.replace(ViewSettings(), colormap=self.view.colormap,
                                        value_scale=self.view.value_scale)
        self.result, self.result_request = None, None
        self.cell, self.cross_check, self.cross_check_pending = None, None, False
        self.job = JobStatus()
        self.input_name = next((s.name for s in model.inputs if s.is_float), None)
        self.output_name = model.outputs[0].name if model.outputs else None
        defaults = {s.name: _default_value(model, s) for s in model.inputs}
        typed = {s.name: self._remembered[(path, s.name, s.shape)] for s in model.inputs
                 if (path, s.name, s.shape) in self._remembered}
        typed.update(values or {})
        self.point.load(defaults, typed)
        self.model_changed.emit()

    def _remember_point(self) -> None:
        if self.model is None:
            return
        for spec in self.model.inputs:
            if spec.name in self.point.names():
                key = (self.model_path, spec.name, spec.shape)
                self._remembered[key] = self.point.value(spec.name)

    def input_spec(self) -> Any:
        """The TensorInfo of the differentiated input, or ``None``."""
        return _spec(self.model and self.model.inputs, self.input_name)

    def output_spec(self) -> Any:
        """The TensorInfo of the differentiated output, or ``None``."""
        return _spec(self.model and self.model.outputs, self.output_name)

    # -- what to compute ----------------------------------------------------------------------
    def select(self, input_name: str | None = None, output_name: str | None = None) -> None:
        """Differentiate ``output_name`` with respect to ``input_name`` (None keeps either)."""
        new_input = input_name if _spec(self.model and self.model.inputs, input_name) else None
        new_output = output_name if _spec(self.model and self.model.outputs, output_name) else None
        changed = False
        if new_input is not None and new_input != self.input_name:
            if not self.model.input(new_input).is_float:
                return
            self.input_name, changed = new_input, True
        if new_output is not None and new_output != self.output_name:
            self.output_name, changed = new_output, True
        if changed:
            self.selection_changed.emit()

    def set_method(self, method: str) -> None:
        """Use ``method`` (one of :data:`jacgui.core.job.METHODS`) from now on."""
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}")
        if method != self.method:
            self.method = method
            self.method_changed.emit()

    def set_step(self, step: float | None) -> None:
        """The relative finite-difference step (``None``: the method's default)."""
        if step != self.step:
            self.step = step
            self.method_changed.emit()

    def set_auto_recompute(self, on: bool) -> None:
        """Whether edits recompute the Jacobian on their own."""
        if on != self.auto_recompute:
            self.auto_recompute = on
            self.method_changed.emit()

    def jacobian_request(self, confirmed: bool = False) -> JacobianRequest | None:
        """The Jacobian job the state describes, or ``None`` when there is nothing to compute."""
        if self.model is None or self.input_name is None or self.output_name is None:
            return None
        step = self.step if self.method.startswith("fd") else None
        options = JacobianOptions(step=step, memory_budget=self.memory_budget)
        return JacobianRequest(self.point.values(), self.method, self.input_name,
                               self.output_name, options, confirmed)

    # -- answers ------------------------------------------------------------------------------
    def set_job(self, job: JobStatus) -> None:
        """The Jacobian job's status changed."""
        self.job = job
        self.job_changed.emit()

    def set_result(self, result: Any, request: JacobianRequest | None) -> None:
        """Show ``result``, computed for ``request``; a cell that still exists stays selected."""
        self.result, self.result_request = result, request
        self.cross_check, self.cross_check_pending = None, False
        if self.cell is not None and (result is None or not _inside(self.cell, result.shape)):
            self.cell = None
        self.result_changed.emit()
        if self.cell is not None:
            self.cell_changed.emit()

    def select_cell(self, cell: tuple[int, int] | None) -> None:
        """Select ``cell`` (row, column) of the result, or nothing."""
        if cell is not None and (self.result is None or not _inside(cell, self.result.shape)):
            raise IndexError(f"cell {cell} is outside the Jacobian")
        if cell != self.cell:
            self.cell = cell
            self.cross_check, self.cross_check_pending = None, cell is not None
            self.cell_changed.emit()

    def set_cross_check(self, check: Any, pending: bool = False) -> None:
        """The other method's value of the selected cell (``None``: none, or still pending)."""
        self.cross_check, self.cross_check_pending = check, pending
        self.cross_check_changed.emit()

    def set_view(self, **changes: Any) -> None:
        """Change how the heatmap shows the result (``key``, ``scales``, ``colormap``, ...)."""
        view = dataclasses.replace(self.view, **changes)
        if view is not self.view:
            self.view = view
            self.view_changed.emit()

    def set_engine(self, status: EngineStatus) -> None:
        """What the engine process reported about itself."""
        self.engine = status
        self.engine_changed.emit()

    # -- messages -----------------------------------------------------------------------------
    def inform(self, text: str) -> None:
        """A transient one-line message."""
        self.notice.emit(text, False)

    def report_error(self, text: str, suggested_method: str = "") -> None:
        """A one-line error the user should see until dismissed, maybe with a method to try."""
        self.last_error = text
        self.notice.emit(text, True)
        if suggested_method:
            self.suggestion.emit(suggested_method)


def _spec(specs: Any, name: str | None) -> Any:
    if not specs or name is None:
        return None
    return next((s for s in specs if s.name == name), None)


def _inside(cell: tuple[int, int], shape: tuple[int, int]) -> bool:
    return 0 <= cell[0] < shape[0] and 0 <= cell[1] < shape[1]


def _default_value(model: Any, spec: Any) -> np.ndarray:
    value = model.default_point.get(spec.name)
    if value is None or np.asarray(value).size != spec.size:
        return np.zeros(spec.shape)
    return np.asarray(value, dtype=float).reshape(spec.shape)
