"""Descriptions of a model's inputs and outputs, and their element labels.

Names are kept exactly as the model file has them (lookups use them); what is shown, the
element labels and :meth:`TensorInfo.describe`, goes through
:func:`jacgui.core.text.printable`, so a name holding escape sequences cannot rewrite a
terminal or a window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from .images import image_layout, is_image
from .text import printable

#: Vector labels carry the tensor's name (``x[3]``) only when it is this short; a generated
#: name such as ``keras_tensor_587`` would make every label unreadable.
SHORT_NAME = 12


@dataclass(frozen=True)
class TensorInfo:
    """One input or output of a model, without the batch dimension.

    Attributes
    ----------
    name : str
        The name used to select it (Keras input name, output name, signature key).
    shape : tuple of int
        Shape of one sample, without the batch dimension.
    dtype : str
        NumPy-style dtype name, e.g. ``"float32"`` or ``"int32"``.
    feature_names : tuple of str, optional
        One human name per flattened element, when the model file provides them.
    """

    name: str
    shape: tuple[int, ...]
    dtype: str = "float32"
    feature_names: tuple[str, ...] | None = None

    @property
    def size(self) -> int:
        """Number of elements in one sample."""
        return int(math.prod(self.shape))

    @property
    def is_float(self) -> bool:
        """Whether the tensor can be differentiated with respect to."""
        return self.dtype.startswith(("float", "bfloat"))

    @property
    def is_image(self) -> bool:
        """Whether the input is a picture (see :mod:`jacgui.core.images`)."""
        return is_image(self.shape)

    def element_labels(self) -> tuple[str, ...]:
        """Display label of every flattened (row-major) element (computed once per spec).

        Control characters are escaped (:func:`jacgui.core.text.printable`).
        """
        return _cached_labels(self.name, self.shape, self.feature_names)

    def describe(self) -> str:
        """One-line summary such as ``x (8,) float32``, with the name made printable."""
        return f"{printable(self.name)} {self.shape} {self.dtype}"


def element_labels(
    name: str, shape: tuple[int, ...], feature_names: tuple[str, ...] | None = None
) -> list[str]:
    """Labels for the flattened elements of a tensor.

    Feature names win when their count matches; otherwise ``x[3]`` for a vector with a short
    name (``[3]`` for a long one), ``[r,c,ch]`` for an image or any shaped tensor (the axis
    title names the tensor) and the name itself for a scalar. Control characters
    are escaped.
    """
    size = int(math.prod(shape))
    if feature_names is not None and len(feature_names) == size:
        return [printable(str(n)) for n in feature_names]
    name = printable(name)
    if len(shape) == 0:
        return [name]
    if len(shape) == 1:
        prefix = name if len(name) <= SHORT_NAME else ""
        return [f"{prefix}[{i}]" for i in range(size)]
    layout = image_layout(shape)
    if layout is not None:
        return [layout.element_label(flat) for flat in range(size)]
    labels = []
    for flat in range(size):
        index = []
        for dim in reversed(shape):
            index.append(flat % dim)
            flat //= dim
        labels.append(f"[{','.join(str(i) for i in reversed(index))}]")
    return labels


@lru_cache(maxsize=64)
def _cached_labels(
    name: str, shape: tuple[int, ...], feature_names: tuple[str, ...] | None
) -> tuple[str, ...]:
    # A 12288-pixel input takes milliseconds to label: too slow for every live update.
    return tuple(element_labels(name, shape, feature_names))
