"""Point actions: load, save, paste, reset, randomise and undo the differentiated input's value.

Every failure becomes a one-line notice and leaves the values as they were.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from jacgui.core.errors import JacguiError
from jacgui.core.reasons import one_line

from ..state import WindowState

__all__ = [
    "IMAGE_FILTERS", "POINT_FILTERS", "choose_point_file", "load_point_file", "paste_point",
    "randomise_point", "read_point_file", "reset_point", "save_point", "undo_point",
]

POINT_FILTERS = "Points (*.npy *.npz *.csv *.json);;All files (*)"
IMAGE_FILTERS = "Points or images (*.npy *.npz *.csv *.json *.png *.jpg *.jpeg);;All files (*)"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def read_point_file(path: str | Path, spec: Any) -> np.ndarray:
    """The value of input ``spec`` in ``path`` (a point file or an image).

    Raises
    ------
    JacguiError, OSError, ValueError
        When the file cannot be read or does not fit the input.
    """
    from jacgui.core import points

    if Path(path).suffix.lower() in IMAGE_SUFFIXES:
        return points.point_from_image(path, spec)
    return points.read_point(path, spec)


def load_point_file(state: WindowState, path: str | Path) -> bool:
    """Load the differentiated input's value from ``path`` (a point file or an image)."""
    spec = state.input_spec()
    if spec is None:
        return False
    try:
        state.point.set(spec.name, read_point_file(path, spec))
    except (JacguiError, OSError, ValueError) as exc:
        state.inform(f"Could not load the point: {one_line(exc)}")
        return False
    state.inform(f"Loaded point from {Path(path).name}")
    return True


def choose_point_file(state: WindowState, dialogs: Any, parent: Any, folder: str) -> str | None:
    """Ask for a point file and load it; returns the path loaded."""
    spec = state.input_spec()
    if spec is None:
        return None
    filters = IMAGE_FILTERS if spec.is_image else POINT_FILTERS
    path = dialogs.open_file(parent, f"Load point for {spec.name}", folder, filters)
    if path and load_point_file(state, path):
        return path
    return None


def save_point(state: WindowState, dialogs: Any, parent: Any, folder: str) -> str | None:
    """Ask for a file and write the differentiated input's value to it."""
    spec = state.input_spec()
    if spec is None:
        return None
    answer = dialogs.save_file(parent, f"Save point of {spec.name}", folder, POINT_FILTERS)
    if not answer:
        return None
    path = answer[0] if Path(answer[0]).suffix else answer[0] + ".npy"
    try:
        from jacgui.core.points import write_point

        write_point(path, state.point.value(spec.name), spec)
    except (JacguiError, OSError, ValueError) as exc:
        state.inform(f"Could not save the point: {one_line(exc)}")
        return None
    state.inform(f"Saved point to {Path(path).name}")
    return path


def paste_point(state: WindowState, text: str) -> bool:
    """Use the numbers in ``text`` (the clipboard) as the differentiated input's value."""
    spec = state.input_spec()
    if spec is None:
        return False
    try:
        from jacgui.core.points import parse_point_text

        state.point.set(spec.name, parse_point_text(text, spec))
    except (JacguiError, ValueError) as exc:
        state.inform(f"Paste: {one_line(exc)}")
        return False
    return True


def reset_point(state: WindowState) -> None:
    """Go back to the model's default value of the differentiated input."""
    spec = state.input_spec()
    if spec is not None:
        state.point.set(spec.name, state.point.default(spec.name))


def randomise_point(state: WindowState, seed: int) -> None:
    """A random value from ``seed``: images uniform in [0, 1], others the default ±10 %."""
    spec = state.input_spec()
    if spec is None:
        return
    rng = np.random.default_rng(seed)
    default = state.point.default(spec.name).reshape(-1)
    if spec.is_image:
        values = rng.uniform(0.0, 1.0, spec.size)
    else:
        spread = np.where(default == 0, 0.1, 0.1 * np.abs(default))
        values = default + rng.uniform(-1.0, 1.0, spec.size) * spread
    if not spec.is_float:
        values = np.round(values)
    state.point.set(spec.name, values)


def undo_point(state: WindowState) -> None:
    """Restore the value before the last change (showing the input it belongs to)."""
    name = state.point.undo()
    if name is not None and name != state.input_name:
        state.select(input_name=name)
