"""The Qt-free engine of jacgui: models, points, Jacobians, analysis and data export.

TensorFlow is imported only when a model is loaded or a Jacobian is computed.
"""

from __future__ import annotations

from .errors import (
    JacguiError,
    JacobianCancelled,
    JacobianTooLargeError,
    ModelLoadError,
    NotDifferentiableError,
    PointError,
    UnsafeModelError,
)
from .handle import ModelHandle
from .job import (
    METHODS,
    CancelToken,
    JacobianJob,
    JacobianOptions,
    JacobianResult,
    Progress,
)
from .spec import TensorInfo, element_labels

__all__ = [
    "METHODS",
    "CancelToken",
    "JacguiError",
    "JacobianCancelled",
    "JacobianJob",
    "JacobianOptions",
    "JacobianResult",
    "JacobianTooLargeError",
    "ModelHandle",
    "ModelLoadError",
    "NotDifferentiableError",
    "PointError",
    "Progress",
    "TensorInfo",
    "UnsafeModelError",
    "element_labels",
]
