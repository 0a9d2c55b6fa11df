"""The one image rule: which inputs are images, where each element sits, how channels combine.

Every part of jacgui that treats an input as a picture (the sensitivity map, saliency and
attribution maps, image points, the default point of an image model, the editor's preview)
asks this module, so they all agree.

An input is an image when its shape (without the batch dimension) is ``(H, W)``,
``(H, W, C)`` or ``(C, H, W)`` with ``C`` in 1..4 and both ``H`` and ``W`` at least 4.

Channels combine by one policy: **signed** maps (a row of J, gradient × input, integrated
gradients) are **summed** over channels, which keeps them additive (their total over the image
is still a first-order change of the output); **magnitude** maps (saliency) take the **largest
magnitude** over channels (a pixel matters if any of its channels does, as in Simonyan et al.).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MIN_SIDE", "ImageLayout", "image_layout", "is_image"]

#: Smaller sides are vectors or tables, not pictures.
MIN_SIDE = 4
_MAX_CHANNELS = 4


@dataclass(frozen=True)
class ImageLayout:
    """Where the elements of an image-shaped input sit.

    Attributes
    ----------
    height, width, channels : int
    channels_last : bool
        ``(H, W, C)`` when true, ``(C, H, W)`` otherwise (a grey ``(H, W)`` is channels-last).
    """

    height: int
    width: int
    channels: int
    channels_last: bool = True

    def to_hwc(self, values: np.ndarray) -> np.ndarray:
        """``values`` (flat, or in the input's shape) as an ``(H, W, C)`` array."""
        flat = np.asarray(values).reshape(-1)
        if self.channels_last:
            return flat.reshape(self.height, self.width, self.channels)
        return flat.reshape(self.channels, self.height, self.width).transpose(1, 2, 0)

    def from_hwc(self, image: np.ndarray) -> np.ndarray:
        """An ``(H, W, C)`` array in the input's own element order, flattened."""
        image = np.asarray(image).reshape(self.height, self.width, self.channels)
        return (image if self.channels_last else image.transpose(2, 0, 1)).reshape(-1)

    def reduce(self, values: np.ndarray, signed: bool) -> np.ndarray:
        """One ``(H, W)`` map from per-element ``values`` (see the module's channel policy).

        A channel that is NaN makes its pixel NaN: a missing value must not vanish into a sum.
        """
        image = self.to_hwc(np.asarray(values, dtype=np.float64))
        if signed:
            reduced = image.sum(axis=2)
        else:
            reduced = np.abs(image).max(axis=2)
        reduced[np.isnan(image).any(axis=2)] = np.nan
        return reduced

    def element_label(self, flat: int) -> str:
        """A short label of element ``flat``: ``[row,col]`` or ``[row,col,channel]``."""
        if self.channels_last:
            pixel, channel = divmod(flat, self.channels)
        else:
            channel, pixel = divmod(flat, self.height * self.width)
        row, col = divmod(pixel, self.width)
        return f"[{row},{col}]" if self.channels == 1 else f"[{row},{col},{channel}]"


def image_layout(shape: tuple[int, ...]) -> ImageLayout | None:
    """The layout of an image-shaped input, or ``None`` for any other shape."""
    dims = tuple(int(d) for d in shape)
    if len(dims) == 2 and min(dims) >= MIN_SIDE:
        return ImageLayout(dims[0], dims[1], 1, True)
    if len(dims) != 3:
        return None
    if 1 <= dims[2] <= _MAX_CHANNELS and min(dims[:2]) >= MIN_SIDE:
        return ImageLayout(dims[0], dims[1], dims[2], True)
    if 1 <= dims[0] <= _MAX_CHANNELS and min(dims[1:]) >= MIN_SIDE:
        return ImageLayout(dims[1], dims[2], dims[0], False)
    return None


def is_image(shape: tuple[int, ...]) -> bool:
    """Whether an input of this shape is a picture (see :func:`image_layout`)."""
    return image_layout(shape) is not None
