"""Analyses beyond the raw Jacobian, and their export.

Linearity, principal directions, AD/FD agreement, step sweeps, global (many-point)
derivative-based sensitivity, Sobol indices, image maps and attributions.

Every analysis returns a frozen dataclass of NumPy arrays and labels with ``to_rows()`` (CSV)
and ``to_dict()`` (JSON/NPZ); :func:`save_analysis` writes either. Qt-free; TensorFlow is
imported only when a model is evaluated.
"""

from __future__ import annotations

from .agreement import Agreement, agreement_of, compare_ad_fd
from .attribution_image import save_attribution_png
from .attributions import IntegratedGradients, SmoothGrad, integrated_gradients, smoothgrad
from .global_sensitivity import AGGREGATES, AggregateTable, GlobalSensitivity, global_sensitivity
from .image_maps import gradient_times_input, saliency
from .linearity import SliceResult, default_half_range, slice_cell
from .principal import PrincipalDirections, move_along, principal_directions
from .sampling import SAMPLING_METHODS, check_bounds, read_bounds, sample_box
from .scales import check_scales, read_scales
from .sobol import SobolConvergence, SobolIndices, sobol_indices
from .step_sweep import DEFAULT_STEPS, StepSweep, step_sweep
from .tables import ANALYSIS_FORMATS, json_safe, save_analysis, to_csv_text, to_json_text

__all__ = [
    "AGGREGATES",
    "ANALYSIS_FORMATS",
    "DEFAULT_STEPS",
    "SAMPLING_METHODS",
    "AggregateTable",
    "Agreement",
    "GlobalSensitivity",
    "IntegratedGradients",
    "PrincipalDirections",
    "SliceResult",
    "SmoothGrad",
    "SobolConvergence",
    "SobolIndices",
    "StepSweep",
    "agreement_of",
    "check_bounds",
    "check_scales",
    "compare_ad_fd",
    "default_half_range",
    "global_sensitivity",
    "gradient_times_input",
    "integrated_gradients",
    "json_safe",
    "move_along",
    "principal_directions",
    "read_bounds",
    "read_scales",
    "saliency",
    "sample_box",
    "save_analysis",
    "save_attribution_png",
    "slice_cell",
    "smoothgrad",
    "sobol_indices",
    "step_sweep",
    "to_csv_text",
    "to_json_text",
]
