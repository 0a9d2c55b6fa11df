"""Image-shaped inputs: one output's gradient as a picture to overlay on the input image.

Both maps take row ``i`` of a Jacobian of an input shaped ``(H, W)`` or ``(H, W, C)`` and return
an ``(H, W)`` array (other shapes come back in the input's own shape, unreduced).

- :func:`saliency` is ``|d f_i / d x|`` (Simonyan et al. 2014); colour channels are reduced by
  their **max** by default (a pixel is salient if any channel is), or by **sum**.
- :func:`gradient_times_input` is ``x * d f_i / d x`` (signed), channels reduced by **sum** by
  default: its total over the image is the first-order estimate of ``f_i(x) - f_i(0)``, so it
  says which pixels pushed the output up or down relative to a black image.
"""

from __future__ import annotations

import numpy as np

from ..errors import JacguiError
from ..job import JacobianResult

REDUCTIONS = ("max", "sum", "none")


def saliency(result: JacobianResult, row: int, reduce: str = "max") -> np.ndarray:
    """``|J[row]|`` shaped like the input image, channels reduced by ``reduce``."""
    return as_image(np.abs(_row(result, row)), result.input_shape, reduce)


def gradient_times_input(result: JacobianResult, row: int, reduce: str = "sum") -> np.ndarray:
    """``J[row] * x`` shaped like the input image, channels reduced by ``reduce``."""
    values = _row(result, row) * np.asarray(result.point, dtype=np.float64).reshape(-1)
    return as_image(values, result.input_shape, reduce)


def _row(result: JacobianResult, row: int) -> np.ndarray:
    m = result.matrix.shape[0]
    if not -m <= row < m:
        raise JacguiError(f"output index {row} is out of range: there are {m}")
    return np.asarray(result.matrix[row], dtype=np.float64)


def as_image(values: np.ndarray, shape: tuple[int, ...], reduce: str) -> np.ndarray:
    """``values`` in ``shape``; an ``(H, W, C)`` image's channels reduced by ``reduce``."""
    if reduce not in REDUCTIONS:
        raise JacguiError(f"unknown channel reduction {reduce!r}; use {', '.join(REDUCTIONS)}")
    image = values.reshape(shape)
    if image.ndim == 3 and reduce != "none":
        return image.max(axis=2) if reduce == "max" else image.sum(axis=2)
    return image
