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
