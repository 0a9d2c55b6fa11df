"""Exceptions of the public API.

Every :class:`JacguiError` carries a one-line message meant for the user: the CLI prints it and
exits with status 2, the window shows it in a dialog or the status line.
"""

from __future__ import annotations


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


class JacobianCancelled(Exception):
    """Raised by the engine between chunks when its cancel token is set."""


class ModelRunError(JacguiError):
    """The model itself raised while being evaluated or differentiated."""


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
