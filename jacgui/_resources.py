"""The one way into jacgui's bundled resources (demo models, icons).

In a wheel the top-level ``resources/`` folder is installed as ``jacgui/resources`` (hatch
``force-include``); in a source checkout or editable install it sits next to the package. Every
other module asks this one for paths and never builds them itself.

This module imports neither Qt nor TensorFlow.
"""

from __future__ import annotations

import importlib.resources
from functools import lru_cache
from pathlib import Path

__all__ = [
    "DEMO_MODEL",
    "EXAMPLES",
    "demo_model",
    "document_path",
    "examples",
    "icon_path",
    "resource_path",
    "resources_dir",
    "sample_image",
    "sidecar_path",
]

#: Display name -> file under ``resources/models/``, in Examples-menu order.
EXAMPLES: dict[str, str] = {
    "Damped oscillator (5 inputs → 20 times)": "oscillator.keras",
    "Borehole flow surrogate (8 inputs → 1)": "borehole.keras",
    "Digit classifier CNN (28×28 image → 10)": "digits_cnn.keras",
    "Textbook vector function (Python)": "textbook_vector.py",
    "Quadratic x² + 2x + 1 (Python)": "quadratic.py",
}

#: File under ``resources/models/`` that ``jacgui`` opens when started without arguments.
DEMO_MODEL = "oscillator.keras"

#: Suffix of the JSON file that carries names and a default point next to a model file.
SIDECAR_SUFFIX = ".jacgui.json"


@lru_cache(maxsize=1)
def resources_dir() -> Path:
    """The folder holding the bundled resources.

    Returns
    -------
    Path
        ``jacgui/resources`` inside an installed wheel, or the repository's ``resources/``
        folder for a source checkout or editable install.

    Raises
    ------
    FileNotFoundError
        If neither location exists (a broken installation).
    """
    candidates: list[Path] = []
    try:
        packaged = importlib.resources.files("jacgui") / "resources"
        # A wheel installs plain files, so the Traversable is a real path.
        candidates.append(Path(str(packaged)))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - exotic loaders
        pass
    candidates.append(Path(__file__).resolve().parent.parent / "resources")
    for candidate in candidates:
        if (candidate / "models").is_dir():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"jacgui resources not found (looked in: {tried})")


def resource_path(*parts: str) -> Path:
    """Path of a bundled resource.

    Parameters
    ----------
    *parts : str
        Path components below ``resources/``, e.g. ``("models", "quadratic.py")``.

    Returns
    -------
    Path
        The absolute path. It is not checked for existence.
    """
    return resources_dir().joinpath(*parts)


def examples() -> dict[str, Path]:
    """The bundled example models, for an Examples menu.

    Returns
    -------
    dict of str to Path
        Display name -> model file, in menu order (the default demo first). Only files that
        exist are listed.
    """
    found = {}
    for title, filename in EXAMPLES.items():
        path = resource_path("models", filename)
        if path.exists():
            found[title] = path
    return found


def demo_model() -> Path:
    """The model ``jacgui`` opens when started without arguments.

    Returns
    -------
    Path
        Path of the damped-oscillator surrogate (5 inputs, 20 outputs).
    """
    return resource_path("models", DEMO_MODEL)


def sidecar_path(model_path: str | Path) -> Path:
    """Where the names/default-point sidecar of a model file lives.

    Parameters
    ----------
    model_path : str or Path
        A model file, e.g. ``.../borehole.keras``.

    Returns
    -------
    Path
        ``.../borehole.jacgui.json`` (the model's suffix replaced). It may not exist.
    """
    path = Path(model_path)
    return path.with_name(path.stem + SIDECAR_SUFFIX)


def icon_path(name: str = "jacgui") -> Path:
    """Path of a bundled icon.

    Parameters
    ----------
    name : str, default "jacgui"
        Icon file name; ``".svg"`` is appended when it has no suffix.

    Returns
    -------
    Path
        ``resources/icons/<name>``. It may not exist.
    """
    if not Path(name).suffix:
        name += ".svg"
    return resource_path("icons", name)


def document_path(name: str) -> Path:
    """Path of one of the user guides (``docs/<name>``), shipped as ``jacgui/docs`` in a wheel.

    Raises
    ------
    FileNotFoundError
        If the guide is not installed.
    """
    candidates = []
    try:
        candidates.append(Path(str(importlib.resources.files("jacgui") / "docs" / name)))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - exotic loaders
        pass
    candidates.append(Path(__file__).resolve().parent.parent / "docs" / name)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"guide {name} not found")


def sample_image() -> Path:
    """The picture image models start from (``resources/images/sample.png``)."""
    return resource_path("images", "sample.png")
