"""A model held by its own engine process: what ``load_model(path, isolated=True)`` returns.

>>> model = jacgui.load_model("untrusted.keras", isolated=True)   # sandboxed engine
>>> result = jacgui.jacobian(model, method="reverse")               # computed in the engine
>>> model.close()                                                    # or use ``with``

A :class:`RemoteModel` has the descriptive attributes of a
:class:`~jacgui.core.handle.ModelHandle` (``path``, ``format``, ``inputs``, ``outputs``,
``default_point``, ``notes``, ``summary()``, ``input()``, ``output()``) but not the live model
(``forward``, ``source``, ``cache``), which stays in the engine. The public functions decorated
with :func:`~.dispatch.isolated_operation` (``jacobian``, ``run_job``, ``plan_job``,
``cross_check``, ``compare_ad_fd``, ``slice_cell``, ``step_sweep``, ``global_sensitivity``,
``time_method``) accept it and run in its engine with the same numbers as in-process; the
functions that only post-process a result (``principal_directions``, ``saliency``, ...) run here.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..model_info import ModelInfo, SandboxStatus
from ..spec import TensorInfo
from .client import EngineClient

__all__ = ["RemoteModel"]


class RemoteModel:
    """A model loaded, sandboxed unless ``unsafe``, in an engine process of its own.

    Parameters
    ----------
    path : str or PathLike
        The model file or SavedModel folder.
    unsafe : bool
        Trust the file: no sandbox, and Keras safe mode off (as for ``load_model``).
    memory_limit : int, optional
        The engine's memory ceiling in bytes (default: half the physical memory).
    timeout : float, optional
        Time limit in seconds of every call (and of the load).
    client : EngineClient, optional
        An engine client already started (the command line spawns it before parsing its
        arguments); closing the model closes it.

    Raises
    ------
    ModelLoadError, UnsafeModelError
        As :func:`jacgui.load_model` does; ``EngineCrashedError`` when loading crashed.
    """

    def __init__(self, path: str | os.PathLike[str], *, unsafe: bool = False,
                 memory_limit: int | None = None, timeout: float | None = None,
                 client: EngineClient | None = None) -> None:
        self.timeout = timeout
        self._client = client if client is not None else EngineClient(memory_limit=memory_limit)
        if client is not None and memory_limit is not None:
            client.memory_limit = int(memory_limit)
        try:
            self._client.open_model(path, unsafe=unsafe, timeout=timeout)
        except BaseException:
            self._client.close()
            raise

    # -- the engine ---------------------------------------------------------------------------
    def run_in_engine(self, operation: str, arguments: dict[str, Any]) -> Any:
        """Run ``operation`` with ``arguments`` in the engine (see :mod:`.dispatch`)."""
        progress = arguments.pop("progress", None)
        cancel = arguments.pop("cancel", None)
        return self._client.call(operation, arguments, progress=progress, cancel=cancel,
                                 timeout=self.timeout)

    @property
    def client(self) -> EngineClient:
        """The engine client (for :meth:`EngineClient.submit` and friends)."""
        return self._client

    def close(self) -> None:
        """Stop the engine; the model can no longer be used."""
        self._client.close()

    def __enter__(self) -> RemoteModel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- what the model is --------------------------------------------------------------------
    @property
    def info(self) -> ModelInfo:
        """The model as plain data."""
        info = self._client.model
        if info is None:
            raise RuntimeError("this model's engine is closed or lost its model")
        return info

    @property
    def path(self) -> str:
        """Where the model was loaded from."""
        return self.info.path

    @property
    def format(self) -> str:
        """``"keras"``, ``"h5"``, ``"savedmodel"`` or ``"python"``."""
        return self.info.format

    @property
    def inputs(self) -> tuple[TensorInfo, ...]:
        """Every input, in the model's order."""
        return self.info.inputs

    @property
    def outputs(self) -> tuple[TensorInfo, ...]:
        """Every output, in the model's order."""
        return self.info.outputs

    @property
    def default_point(self) -> dict[str, np.ndarray]:
        """One value per input, shaped like the input."""
        return self.info.default_point

    @property
    def point_source(self) -> str:
        """Where the default point came from."""
        return self.info.point_source

    @property
    def param_count(self) -> int | None:
        """Number of weights, when known."""
        return self.info.param_count

    @property
    def notes(self) -> tuple[str, ...]:
        """Things the user should know about how the model was loaded."""
        return self.info.notes

    @property
    def sandbox(self) -> SandboxStatus:
        """How the engine is confined."""
        return self.info.sandbox

    def input(self, name: str | None = None) -> TensorInfo:
        """The input called ``name``, or the first input."""
        return self.info.input(name)

    def output(self, name: str | None = None) -> TensorInfo:
        """The output called ``name``, or the first output."""
        return self.info.output(name)

    def summary(self) -> str:
        """Multi-line description, with how the engine is confined."""
        return self.info.summary()

    def __repr__(self) -> str:
        info = self._client.model
        where = "closed" if info is None else f"{info.path} ({info.format})"
        return f"<RemoteModel {where} in engine {self._client.pid}>"
