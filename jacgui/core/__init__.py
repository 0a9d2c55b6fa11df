"""The Qt-free engine of jacgui: models, points, Jacobians, analysis and data export.

TensorFlow is imported only when a model is loaded or a Jacobian is computed.
"""

from __future__ import annotations

from .cell import CellInfo, CrossCheck, cell_info, cross_check
from .engine import jacobian, plan_job, run_job
from .errors import (
    EngineCrashedError,
    EngineMemoryError,
    EngineTimeoutError,
    JacguiError,
    JacobianCancelled,
    JacobianTooLargeError,
    ModelLoadError,
    NotDifferentiableError,
    PointError,
    UnsafeModelError,
)
from .export import result_to_text, save_result
from .handle import ModelHandle
from .job import (
    METHODS,
    CancelToken,
    JacobianJob,
    JacobianOptions,
    JacobianResult,
    Progress,
)
from .loading import load_model
from .model_info import ModelInfo, SandboxStatus
from .planning import Plan
from .points import parse_point_text, read_point, read_points, validate_point, write_point
from .problem import Problem, complete_point
from .safety import scan_savedmodel
from .spec import TensorInfo, element_labels

__all__ = [
    "METHODS",
    "CancelToken",
    "CellInfo",
    "CrossCheck",
    "Plan",
    "Problem",
    "cell_info",
    "complete_point",
    "cross_check",
    "jacobian",
    "load_model",
    "parse_point_text",
    "plan_job",
    "read_point",
    "read_points",
    "result_to_text",
    "run_job",
    "save_result",
    "scan_savedmodel",
    "validate_point",
    "write_point",
    "EngineCrashedError",
    "EngineMemoryError",
    "EngineTimeoutError",
    "JacguiError",
    "JacobianCancelled",
    "JacobianJob",
    "JacobianOptions",
    "JacobianResult",
    "JacobianTooLargeError",
    "ModelHandle",
    "ModelInfo",
    "ModelLoadError",
    "NotDifferentiableError",
    "PointError",
    "Progress",
    "SandboxStatus",
    "TensorInfo",
    "UnsafeModelError",
    "element_labels",
]
