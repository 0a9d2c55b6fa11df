"""jacgui: explore the Jacobian of TensorFlow models, in a window or from Python.

>>> import jacgui
>>> model = jacgui.load_model("model.keras")
>>> result = jacgui.jacobian(model, point, method="auto")
>>> result.matrix.shape  # (outputs, inputs)

TensorFlow is imported only when a model is loaded or a Jacobian is computed.
"""

from __future__ import annotations

from .core import *  # noqa: F403 - the public API lives in the Qt-free core
from .core import __all__ as _core_all

__version__ = "0.1.0"
__all__ = [*_core_all, "__version__"]
