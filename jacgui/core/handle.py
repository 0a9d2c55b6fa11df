"""The loaded-model handle shared by every part of jacgui."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._tf import device_description
from .model_info import IN_PROCESS, ModelInfo, SandboxStatus, pick_tensor
from .spec import TensorInfo
from .traces import TraceCache, TraceKey

#: Batched model call: ``{input name: (B, *shape) tensor}`` -> ``{output name: (B, *shape)}``.
#: It runs in inference mode, accepts any B >= 1 and is traceable by ``tf.function``.
ForwardFn = Callable[[Mapping[str, Any]], Mapping[str, Any]]


@dataclass(eq=False)
class ModelHandle:
    """A model ready to be differentiated.

    Attributes
    ----------
    path : str
        Where it was loaded from.
    format : str
        ``"keras"``, ``"h5"``, ``"savedmodel"`` or ``"python"``.
    inputs, outputs : tuple of TensorInfo
        Every input and output, in the model's order.
    forward : ForwardFn
        The batched, inference-mode call (see :data:`ForwardFn`).
    default_point : dict of str to ndarray
        One value per input, shaped like the input (no batch dimension).
    point_source : str
        Where the default point came from: ``"file"``, ``"sidecar"`` or ``"zeros"``.
    param_count : int or None
        Number of weights, when known.
    make_float64 : callable or None
        Builds a float64 version of ``forward`` for accurate finite differences; ``None`` when the
        model is fixed at its saved precision (SavedModel).
    notes : tuple of str
        Things the user should know about how the model was loaded.
    source : object
        The loaded model object (a Keras model, a SavedModel), when there is one.
    traces : TraceCache
        Traced functions built for this model; they live as long as the model.
    """

    path: str
    format: str
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    forward: ForwardFn
    default_point: dict[str, np.ndarray]
    point_source: str = "zeros"
    param_count: int | None = None
    make_float64: Callable[[], ForwardFn] | None = None
    notes: tuple[str, ...] = ()
    source: Any = None
    traces: TraceCache = field(default_factory=TraceCache, repr=False)

    def input(self, name: str | None = None) -> TensorInfo:
        """The input called ``name`` (or its escaped form, as shown), or the first input."""
        return pick_tensor(self.inputs, name, "input")

    def output(self, name: str | None = None) -> TensorInfo:
        """The output called ``name``, or the first output."""
        return pick_tensor(self.outputs, name, "output")

    def float64_forward(self) -> ForwardFn | None:
        """The float64 version of ``forward``, built once; ``None`` when not available."""
        if self.make_float64 is None:
            return None
        return self.traces.get(TraceKey("float64 copy", dtype="float64"), self.make_float64)

    def summary(self) -> str:
        """Multi-line description of inputs, outputs and parameters, safe to print."""
        return self.info(device="").summary()

    def info(self, sandbox: SandboxStatus = IN_PROCESS, device: str | None = None) -> ModelInfo:
        """The model as plain data (:class:`ModelInfo`), e.g. to send out of the engine.

        ``device`` defaults to where TensorFlow computes (:func:`device_description`).
        """
        return ModelInfo(
            path=self.path, format=self.format, inputs=self.inputs, outputs=self.outputs,
            default_point={name: np.asarray(value) for name, value in self.default_point.items()},
            point_source=self.point_source, param_count=self.param_count, notes=self.notes,
            float64=self.make_float64 is not None,
            device=device_description() if device is None else device, sandbox=sandbox)
