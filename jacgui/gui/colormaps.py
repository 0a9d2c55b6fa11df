"""Colour maps offered for Jacobian heatmaps.

Every diverging map here puts *negative* values at the cold/low end and positive values at the
warm/high end and has a neutral centre, so that with symmetric levels ``±max|J|`` a zero
derivative is always the neutral colour.  Sequential maps are for non-negative views (``|J|``).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyqtgraph as pg

__all__ = [
    "DEFAULT_COLORMAP",
    "MAGNITUDE_COLORMAP",
    "colormap_for",
    "NAN_COLOR",
    "available_colormaps",
    "get_colormap",
    "is_diverging",
    "lookup_table",
]

DEFAULT_COLORMAP = "CET-D1"
#: Magnitudes (|J|, error estimates, DGSM) are never negative: a diverging map would spend half
#: its colours on values that cannot occur and put zero, the smallest value, in the middle.
MAGNITUDE_COLORMAP = "viridis"

# Cells without a finite value.  A mid grey lies on none of the maps below (their neutral centres
# are near-white and their ends are saturated), so "no data" cannot be mistaken for a value.
NAN_COLOR: tuple[int, int, int] = (140, 140, 140)

# ColorBrewer control points, ordered low -> high.  RdBu is reversed relative to ColorBrewer
# (hence matplotlib's name "RdBu_r") so that negative is blue as in CET-D1.
_BREWER = {
    "RdBu_r": (
        "#053061 #2166ac #4393c3 #92c5de #d1e5f0 #f7f7f7 #fddbc7 #f4a582 #d6604d #b2182b #67001f"
    ),
    "PiYG": (
        "#8e0152 #c51b7d #de77ae #f1b6da #fde0ef #f7f7f7 #e6f5d0 #b8e186 #7fbc41 #4d9221 #276419"
    ),
}
_PYQTGRAPH_DIVERGING = ("CET-D1", "CET-D1A")
_SEQUENTIAL = ("viridis", "magma")


def colormap_for(preferred: str, magnitude: bool) -> str:
    """The map to draw with: the user's ``preferred`` one, or a sequential one for magnitudes.

    A sequential preference is kept for magnitudes too; only a diverging map is swapped for
    :data:`MAGNITUDE_COLORMAP` when the values cannot be negative.
    """
    if magnitude and is_diverging(preferred):
        return MAGNITUDE_COLORMAP
    return preferred


def available_colormaps() -> list[str]:
    """Names accepted by :func:`get_colormap`, diverging maps first.

    Returns
    -------
    list of str
    """
    return [*_PYQTGRAPH_DIVERGING, *_BREWER, *_SEQUENTIAL]


def is_diverging(name: str) -> bool:
    """Whether ``name`` is a diverging map (to be used with levels symmetric about zero).

    Parameters
    ----------
    name : str
        One of :func:`available_colormaps`.

    Returns
    -------
    bool
    """
    _check(name)
    return name not in _SEQUENTIAL


@cache
def get_colormap(name: str) -> pg.ColorMap:
    """The pyqtgraph :class:`~pyqtgraph.ColorMap` called ``name``.

    Parameters
    ----------
    name : str
        One of :func:`available_colormaps`.

    Returns
    -------
    pyqtgraph.ColorMap

    Raises
    ------
    ValueError
        If ``name`` is not offered.
    """
    _check(name)
    if name in _BREWER:
        colors = [_hex_to_rgb(h) for h in _BREWER[name].split()]
        return pg.ColorMap(np.linspace(0.0, 1.0, len(colors)), colors, name=name)
    return pg.colormap.get(name)


def lookup_table(name: str, n: int = 256) -> np.ndarray:
    """``(n, 3)`` uint8 RGB table of the map, low to high (what the image and colour bar use).

    Parameters
    ----------
    name : str
        One of :func:`available_colormaps`.
    n : int
        Number of entries.

    Returns
    -------
    ndarray of uint8, shape (n, 3)
    """
    return np.asarray(get_colormap(name).getLookupTable(nPts=n, alpha=False), dtype=np.uint8)


def _check(name: str) -> None:
    if name not in available_colormaps():
        raise ValueError(f"unknown colour map {name!r}; choose one of {available_colormaps()}")


def _hex_to_rgb(code: str) -> tuple[int, int, int]:
    code = code.lstrip("#")
    return int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16)
