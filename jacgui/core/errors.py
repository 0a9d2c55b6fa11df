"""Exceptions of the public API.

Every :class:`JacguiError` carries a one-line message meant for the user: the CLI prints it and
exits with status 2, the window shows it in a dialog or the status line.
"""

from __future__ import annotations

import site
import sys
import sysconfig
import traceback
from pathlib import Path


class JacguiError(Exception):
    """A problem the user can fix (bad file, bad shape, bad option)."""


class ModelLoadError(JacguiError):
    """A model file is missing, corrupt, or of an unsupported kind."""


class UnsafeModelError(ModelLoadError):
    """Loading or running the model needs explicit trust (``unsafe=True`` / ``--unsafe``)."""


class PointError(JacguiError):
    """An input point does not match the selected input or holds non-finite values."""


class JacobianTooLargeError(JacguiError):
    """The Jacobian (or one chunk of it) cannot fit in the memory budget."""


class NotDifferentiableError(JacguiError):
    """The selected output does not depend differentiably on the selected input."""


class JacobianCancelled(Exception):  # noqa: N818 - a cancellation is not an error
    """Raised by the engine between chunks when its cancel token is set."""


class ModelRunError(JacguiError):
    """The model itself raised while being evaluated or differentiated."""


# --- whose failure is it? ---------------------------------------------------------------------

# Packages that run the user's model: what they raise while tracing or calling it is the
# model's failure, not jacgui's.
_MODEL_PACKAGES = frozenset({"tensorflow", "keras", "tf_keras", "tensorflow_probability"})
_JACGUI_DIR = Path(__file__).resolve().parent.parent


def _library_dirs() -> tuple[Path, ...]:
    """The standard library and every site-packages folder of this interpreter."""
    paths = sysconfig.get_paths()
    found = [paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths]
    found += site.getsitepackages() if hasattr(site, "getsitepackages") else []
    found.append(site.getusersitepackages())
    folders = {Path(folder).resolve() for folder in found}
    # Deepest first: a virtual environment's site-packages lies inside its "stdlib" folder.
    return tuple(sorted(folders, key=lambda folder: len(folder.parts), reverse=True))


_LIBRARY_DIRS = _library_dirs()


def _frame_owner(filename: str) -> str:
    """``"jacgui"``, ``"model"`` (TF/Keras or the user's own code) or ``"library"``."""
    if filename.startswith("<"):
        # Frozen importlib is plumbing; "<string>" and the like is code run from text.
        return "library" if filename.startswith("<frozen") else "model"
    path = Path(filename).resolve()
    if path.is_relative_to(_JACGUI_DIR):
        return "jacgui"
    for folder in _LIBRARY_DIRS:
        if path.is_relative_to(folder):
            package = path.relative_to(folder).parts[0].split(".")[0]
            return "model" if package in _MODEL_PACKAGES else "library"
    # Anything else is the user's: a .py model, custom layers, code that AutoGraph generated.
    return "model"


def _innermost_first(error: BaseException) -> list[str]:
    """Filenames of the frames ``error`` passed through, from where it was raised outwards.

    AutoGraph runs converted copies of traced functions from generated files; its metadata
    maps those frames back to the source files they came from.
    """
    frames = [summary.filename for summary in traceback.extract_tb(error.__traceback__)][::-1]
    metadata = getattr(error, "ag_error_metadata", None)
    translated = getattr(metadata, "translated_stack", None)
    if translated:
        # The translated stack covers the innermost frames up to the outermost converted call.
        return [frame.filename for frame in translated] + frames
    return frames


def is_model_failure(error: BaseException) -> bool:
    """Whether ``error`` is the model's failure rather than a bug in jacgui.

    The model's: TensorFlow op errors, ``SystemExit`` (jacgui never exits from its core), and
    any exception whose innermost frame outside the standard library and third-party helpers
    (numpy, h5py, ...) is in TensorFlow, Keras or code that is not jacgui's (the user's ``.py``
    model, custom layers). An exception whose innermost such frame is in jacgui is jacgui's
    own bug: callers let it propagate so that it is reported as an internal error.
    """
    if isinstance(error, SystemExit) or _is_op_error(error):
        return True
    for filename in _innermost_first(error):
        owner = _frame_owner(filename)
        if owner != "library":
            return owner == "model"
    return True  # no frame at all (raised by C code with nothing above): not provably ours


def _is_op_error(error: BaseException) -> bool:
    tf_errors = sys.modules.get("tensorflow.python.framework.errors_impl")
    return tf_errors is not None and isinstance(error, tf_errors.OpError)
class EngineCrashedError(JacguiError):
    """The engine process died (a signal, an exit, a malformed message) while it held a job.

    The message is one line naming what was running and why it stopped, for example
    ``the engine crashed while computing reverse mode (SIGSEGV); restarted``.

    Attributes
    ----------
    what : str
        What the engine was doing, e.g. ``"computing reverse mode"``.
    cause : str
        ``"SIGSEGV"``, ``"exit status 3"``, ``"memory limit"``, ``"protocol error"``, ...
    restarted : bool
        Whether a fresh engine holds the model again.
    reload_error : str or None
        Why reloading the model into the fresh engine failed, when it did.
    """

    def __init__(self, message: str, *, what: str = "", cause: str = "",
                 restarted: bool = False, reload_error: str | None = None) -> None:
        super().__init__(message)
        self.what = what
        self.cause = cause
        self.restarted = restarted
        self.reload_error = reload_error


class EngineMemoryError(EngineCrashedError):
    """The engine went over its memory limit (and was stopped, or its allocation failed)."""


class EngineTimeoutError(JacguiError):
    """A job did not finish within its time limit and was stopped."""


class EngineInternalError(Exception):
    """A bug in jacgui's own code inside the engine process (not the model's fault).

    ``remote_traceback`` holds the engine-side traceback text; the CLI prints it with
    ``JACGUI_DEBUG=1``.
    """

    def __init__(self, message: str, remote_traceback: str = "") -> None:
        super().__init__(message)
        self.remote_traceback = remote_traceback
