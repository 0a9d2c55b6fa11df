"""Load any supported model file into a :class:`~jacgui.core.handle.ModelHandle`.

Supported: Keras 3 ``.keras``, legacy ``.h5``/``.hdf5``, TensorFlow SavedModel directories and
``.py`` files defining ``f(x)`` (see :mod:`jacgui.core.loaders.pyfile`). TensorFlow is imported
only when a model is loaded.

Default points and element names come from a sidecar next to the model
(:mod:`jacgui.core.loaders.sidecar`): ``borehole.jacgui.json`` for ``borehole.keras``, and
``mydir.jacgui.json`` beside or ``mydir/jacgui.json`` inside a SavedModel folder ``mydir``::

    {"inputs":  {"<input name>":  {"names": [...], "point": [...]}},
     "outputs": {"<output name>": {"names": [...]}}}

All keys are optional; a sidecar that cannot be used becomes a note, never a failed load.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from .errors import JacguiError, ModelLoadError, is_model_failure
from .handle import ModelHandle
from .loaders.sidecar import apply_sidecar
from .process.remote import RemoteModel
from .reasons import short_reason

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5", ".py")


def load_model(path: str | Path, *, unsafe: bool = False, isolated: bool = False,
               memory_limit: int | None = None,
               timeout: float | None = None) -> ModelHandle | RemoteModel:
    """Load a model for Jacobian computation.

    Parameters
    ----------
    path : str or Path
        A ``.keras``, ``.h5``/``.hdf5`` or ``.py`` file, or a SavedModel directory.
        A ``.py`` file is executed to load it: load only files you trust.
    unsafe : bool
        Trust the file: let Keras deserialize Lambda-layer bytecode (``safe_mode=False``) and
        accept SavedModels whose graph has file, network or Python ops. An isolated engine
        then also runs without its sandbox.
    isolated : bool
        Load and run the model in an engine process of its own, sandboxed on Linux unless
        ``unsafe`` (for scripts that open files from strangers); a model that crashes or loops
        cannot take this process with it. In-process (the default) is faster for notebooks.
    memory_limit : int, optional
        Isolated only: the engine's memory ceiling in bytes (default half the physical memory).
    timeout : float, optional
        Isolated only: time limit in seconds of the load and of every later call.

    Returns
    -------
    ModelHandle or RemoteModel
        A :class:`ModelHandle`: ``forward`` is batched, traceable and runs in inference mode;
        it may be called from any thread. ``make_float64`` raises :class:`ModelLoadError` when
        no float64 copy can be built (callers then stay in float32); it is ``None`` for
        SavedModels. With ``isolated=True`` a
        :class:`~jacgui.core.process.remote.RemoteModel`, which the same public functions
        accept (close it, or use it in a ``with`` block, to stop its engine).

    Raises
    ------
    UnsafeModelError
        When the model needs ``unsafe=True``.
    ModelLoadError
        For a missing, empty, corrupt or unsupported file, or when TensorFlow, Keras or the
        file's own code fails while loading it; the message is one line. Any other exception
        is a bug in jacgui and propagates as is.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise ModelLoadError(f"no such file or folder: {path}")
    suffix = path.suffix.lower()
    if path.is_dir():
        kind = "savedmodel"
    elif suffix not in MODEL_SUFFIXES:
        raise ModelLoadError(
            f"{path.name}: unsupported model type {suffix or '(no extension)'}; use .keras, "
            ".h5, .hdf5, .py or a SavedModel folder"
        )
    elif path.stat().st_size == 0:
        raise ModelLoadError(f"{path.name} is empty")
    else:
        kind = suffix
    if isolated:
        return RemoteModel(path, unsafe=unsafe, memory_limit=memory_limit, timeout=timeout)
    try:
        handle = _dispatch(path, kind, unsafe)
    except JacguiError:
        raise
    # SystemExit too: a model file calling sys.exit() or exit() must not end jacgui.
    except (Exception, SystemExit) as exc:  # no raw TF/Keras traceback either
        if not is_model_failure(exc):
            raise  # a bug in jacgui: an internal error, never blamed on the user's file
        raise ModelLoadError(f"cannot load {path.name}: {short_reason(exc)}") from exc
    return with_image_defaults(apply_sidecar(handle))


def with_image_defaults(handle: ModelHandle) -> ModelHandle:
    """Give image inputs without a default point the bundled sample picture, never zeros.

    At an all-zero image every ReLU of a CNN sits at its kink and the Jacobian is exactly 0,
    which looks like a broken tool. A picture gives edges and colours; a note says what it is.
    """
    if handle.point_source != "zeros":
        return handle
    point, notes = dict(handle.default_point), list(handle.notes)
    for spec in handle.inputs:
        if not spec.is_image or not spec.is_float:
            continue
        try:
            from .._resources import sample_image
            from .points import point_from_image

            point[spec.name] = point_from_image(sample_image(), spec)
            where = "jacgui's sample picture"
        except (JacguiError, OSError):
            point[spec.name] = np.full(spec.shape, 0.5)
            where = "mid-grey (the sample picture is not installed)"
        notes.append(f"the default point of image input {spec.name!r} is {where}, scaled to "
                     "[0, 1]: load an image of your own (Load… takes PNG and JPEG) in the range "
                     "your model expects")
    if len(notes) == len(handle.notes):
        return handle
    return dataclasses.replace(handle, default_point=point, point_source="sample image",
                               notes=tuple(notes))


def _dispatch(path: Path, kind: str, unsafe: bool) -> ModelHandle:
    # Loader modules are imported here so that importing jacgui.core stays TensorFlow-free.
    if kind == "savedmodel":
        from .loaders.savedmodel import load_savedmodel

        return load_savedmodel(path, unsafe=unsafe)
    if kind == ".py":
        from .loaders.pyfile import load_pyfile

        return load_pyfile(path)
    from .loaders.keras_model import load_keras

    return load_keras(path, unsafe=unsafe)
