"""What the window and the command line know about a loaded model, without the model itself.

A :class:`ModelInfo` is plain data (no TensorFlow, no Qt): it crosses the boundary of the engine
process, where the live model stays. :meth:`jacgui.core.handle.ModelHandle.info` builds one
in-process; the engine builds the same for a model it loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import JacguiError
from .spec import TensorInfo
from .text import printable

__all__ = ["ModelInfo", "SandboxStatus", "pick_tensor"]


@dataclass(frozen=True)
class SandboxStatus:
    """How the process running a model is confined.

    Attributes
    ----------
    active : bool
        Whether the kernel sandbox (Landlock) restricts files and network for this model.
    summary : str
        One line for the status bar and ``jacgui info``, e.g. ``"sandboxed (Landlock ABI 7):
        ...; memory limit 11.5 GiB"`` or ``"no sandbox: ...; relying on the model scans"``.
    landlock_abi : int
        The kernel's Landlock ABI version; 0 when it has none.
    memory_limit : int
        The engine's memory ceiling in bytes; 0 when there is none.
    sockets_blocked : bool
        Whether the process cannot create sockets at all (UDP and Unix sockets too).
    """

    active: bool
    summary: str
    landlock_abi: int = 0
    memory_limit: int = 0
    sockets_blocked: bool = False


#: The status of a model loaded in the calling process (``load_model(isolated=False)``).
IN_PROCESS = SandboxStatus(False, "no sandbox: the model runs in this process "
                                  "(load_model(path, isolated=True) runs it in a sandboxed engine)")


@dataclass(frozen=True, eq=False)
class ModelInfo:
    """Everything needed to show and drive a model, without the live model.

    Attributes
    ----------
    path : str
        Where the model was loaded from.
    format : str
        ``"keras"``, ``"h5"``, ``"savedmodel"`` or ``"python"``.
    inputs, outputs : tuple of TensorInfo
        Every input and output, in the model's order.
    default_point : dict of str to ndarray
        One value per input, shaped like the input (no batch dimension).
    point_source : str
        Where the default point came from: ``"file"``, ``"sidecar"`` or ``"zeros"``.
    param_count : int or None
        Number of weights, when known.
    notes : tuple of str
        Things the user should know about how the model was loaded.
    float64 : bool
        Whether a float64 copy can be attempted for finite differences (``False`` for a
        SavedModel, which is fixed at its saved precision).
    device : str
        Where the model computes, e.g. ``"CPU"`` or ``"GPU: <name>"``.
    sandbox : SandboxStatus
        How the process running the model is confined.
    """

    path: str
    format: str
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    default_point: dict[str, np.ndarray]
    point_source: str = "zeros"
    param_count: int | None = None
    notes: tuple[str, ...] = ()
    float64: bool = False
    device: str = ""
    sandbox: SandboxStatus = IN_PROCESS

    def input(self, name: str | None = None) -> TensorInfo:
        """The input called ``name``, or the first input."""
        return pick_tensor(self.inputs, name, "input")

    def output(self, name: str | None = None) -> TensorInfo:
        """The output called ``name``, or the first output."""
        return pick_tensor(self.outputs, name, "output")

    def summary(self) -> str:
        """Multi-line description of inputs, outputs, parameters, notes and confinement."""
        lines = [f"model: {printable(self.path)} ({self.format})"]
        lines += [f"  input  {spec.describe()}" for spec in self.inputs]
        lines += [f"  output {spec.describe()}" for spec in self.outputs]
        if self.param_count is not None:
            lines.append(f"  parameters: {self.param_count:,}")
        lines += [f"  note: {printable(note)}" for note in self.notes]
        if self.sandbox != IN_PROCESS:
            lines.append(f"  engine: {self.sandbox.summary}")
        return "\n".join(lines)


def pick_tensor(specs: tuple[TensorInfo, ...], name: str | None, kind: str) -> TensorInfo:
    """The spec called ``name`` among ``specs`` (the first when ``name`` is ``None``).

    Raises
    ------
    JacguiError
        When no spec has that name; the message lists the names there are.
    """
    if name is None:
        return specs[0]
    for spec in specs:
        if spec.name == name:
            return spec
    # A name with control characters is shown escaped; the user may type what was shown.
    shown = [spec for spec in specs if printable(spec.name) == name]
    if len(shown) == 1:
        return shown[0]
    known = ", ".join(printable(s.name) for s in specs)
    raise JacguiError(f"no {kind} named {printable(name)!r}; the model has: {known}")
