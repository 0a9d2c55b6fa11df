"""A PNG of an attribution map beside its input image, drawn with Pillow (no Qt).

Only image-shaped inputs (the project's rule, :attr:`TensorInfo.is_image`) are drawn: for
anything else a picture of pixels would mean nothing, and a one-line error says to save the
numbers instead. Colour channels of the map are summed, by the image rule's policy for signed
maps (:mod:`jacgui.core.images`), which keeps integrated gradients' completeness (the map's
total is still ``f(x) - f(baseline)``); colours diverge from white at
zero to red (positive) and blue (negative), at levels ``+-max|map|``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import write_atomically
from ..errors import JacguiError
from ..images import ImageLayout, image_layout

#: The longer side of each panel is scaled up (nearest neighbour) to at least this many pixels.
PANEL_PIXELS = 280
_NEGATIVE, _POSITIVE = np.array([33, 102, 172]), np.array([178, 24, 43])
_MARGIN, _TEXT = 12, 16


def check_drawable(name: str, shape: tuple[int, ...]) -> None:
    """Raise a one-line error unless an input of ``shape`` can be drawn as an image."""
    if image_layout(tuple(shape)) is None:
        raise JacguiError(f"a .png map needs an image input; {name!r} has shape {tuple(shape)}: "
                          "save .npy, .csv or .json instead")


def save_attribution_png(result: Any, path: str | os.PathLike[str], title: str = "") -> Path:
    """Draw ``result.point`` and ``result.map_values`` side by side with a colour bar.

    ``result`` is an :class:`IntegratedGradients` or :class:`SmoothGrad` (anything with
    ``point``, ``map_values``, ``map_name`` and ``input_name``).
    """
    from PIL import Image, ImageDraw, ImageFont

    path = Path(path)
    shape = tuple(result.point.shape)
    check_drawable(result.input_name, shape)
    layout = image_layout(shape)
    scale = max(1, math.ceil(PANEL_PIXELS / max(layout.height, layout.width)))
    left = _input_picture(result.point, layout).resize(
        (layout.width * scale, layout.height * scale), Image.Resampling.NEAREST)
    values = layout.reduce(np.asarray(result.map_values, dtype=np.float64), signed=True)
    limit = float(np.max(np.abs(values))) if np.all(np.isfinite(values)) else 0.0
    right = Image.fromarray(_diverging(values, limit)).resize(left.size, Image.Resampling.NEAREST)
    width = 3 * _MARGIN + 2 * left.width
    height = 2 * _TEXT + 3 * _MARGIN + left.height + 12 + _TEXT
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=13)
    draw.text((_MARGIN, _MARGIN // 2), title, fill="black", font=font)
    top = _MARGIN + _TEXT
    draw.text((_MARGIN, top), "input", fill="black", font=font)
    summed = ", channels summed" if layout.channels > 1 else ""
    draw.text((2 * _MARGIN + left.width, top), f"{result.map_name}{summed}", fill="black",
              font=font)
    top += _TEXT
    canvas.paste(left, (_MARGIN, top))
    canvas.paste(right, (2 * _MARGIN + left.width, top))
    bar_top = top + left.height + _MARGIN // 2
    ramp = np.linspace(-limit, limit, right.width)[None, :].repeat(12, axis=0)
    canvas.paste(Image.fromarray(_diverging(ramp, limit)), (2 * _MARGIN + left.width, bar_top))
    for text, x in ((f"{-limit:.3g}", 0), ("0", right.width // 2 - 3),
                    (f"{limit:.3g}", right.width - 6 * len(f"{limit:.3g}"))):
        draw.text((2 * _MARGIN + left.width + x, bar_top + 14), text, fill="black", font=font)
    return write_atomically(path, lambda temporary: canvas.save(temporary, format="PNG"))


def _input_picture(point: np.ndarray, layout: ImageLayout) -> Any:
    from PIL import Image

    image = layout.to_hwc(np.asarray(point, dtype=np.float64))
    low, high = float(np.min(image)), float(np.max(image))
    scaled = (image - low) / (high - low) if high > low else np.zeros_like(image)
    pixels = np.round(255 * scaled).astype(np.uint8)
    pixels = pixels[..., 0] if pixels.shape[2] < 3 else pixels[..., :3]
    return Image.fromarray(pixels).convert("RGB")


def _diverging(values: np.ndarray, limit: float) -> np.ndarray:
    """RGB uint8: white at 0, red at +limit, blue at -limit; NaN grey."""
    t = np.clip(values / limit, -1.0, 1.0) if limit > 0 else np.zeros_like(values)
    t = np.nan_to_num(t)
    white = np.full(3, 255.0)
    end = np.where(t[..., None] >= 0, _POSITIVE, _NEGATIVE)
    rgb = white + np.abs(t)[..., None] * (end - white)
    rgb[~np.isfinite(values)] = 160
    return np.round(rgb).astype(np.uint8)
