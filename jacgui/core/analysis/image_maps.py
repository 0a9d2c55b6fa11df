"""Image-shaped inputs: one output's gradient as a picture to overlay on the input image.

Both maps take row ``i`` of a Jacobian of an image input (:mod:`jacgui.core.images`) and return
an ``(H, W)`` array; channels combine by the image rule's one policy.

- :func:`saliency` is ``|d f_i / d x|`` (Simonyan et al. 2014), the largest magnitude over a
  pixel's channels (a pixel is salient if any channel is).
- :func:`gradient_times_input` is ``x * d f_i / d x`` (signed), summed over channels: its total
  over the image is the first-order estimate of ``f_i(x) - f_i(0)``, so it says which pixels
  pushed the output up or down relative to a black image.
"""

from __future__ import annotations

import numpy as np

from ..errors import JacguiError
from ..images import ImageLayout, image_layout
from ..job import JacobianResult


def saliency(result: JacobianResult, row: int) -> np.ndarray:
    """``|J[row]|`` as an ``(H, W)`` map (largest magnitude over channels)."""
    return _layout(result).reduce(_row(result, row), signed=False)


def gradient_times_input(result: JacobianResult, row: int) -> np.ndarray:
    """``J[row] * x`` as an ``(H, W)`` map (summed over channels)."""
    values = _row(result, row) * np.asarray(result.point, dtype=np.float64).reshape(-1)
    return _layout(result).reduce(values, signed=True)


def _layout(result: JacobianResult) -> ImageLayout:
    layout = image_layout(tuple(result.input_shape))
    if layout is None:
        raise JacguiError(f"input {result.input_name!r} with shape {tuple(result.input_shape)} "
                          "is not an image")
    return layout


def _row(result: JacobianResult, row: int) -> np.ndarray:
    m = result.matrix.shape[0]
    if not -m <= row < m:
        raise JacguiError(f"output index {row} is out of range: there are {m}")
    return np.asarray(result.matrix[row], dtype=np.float64)
