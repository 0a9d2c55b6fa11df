"""One realistic instance of every type the engine channel carries, with the awkward values.

:func:`sample_of` is used by the codec round trips; ``tests/process/test_codec.py`` checks that
every registered type has a sample here, so a type added to the codec without one fails.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from jacgui.core.agreement import Verdict
from jacgui.core.analysis import (
    AggregateTable,
    Agreement,
    GlobalSensitivity,
    IntegratedGradients,
    PrincipalDirections,
    SliceResult,
    SmoothGrad,
    SobolConvergence,
    SobolIndices,
    StepSweep,
)
from jacgui.core.bench import MethodEstimate, MethodTiming
from jacgui.core.cell import CellInfo, CrossCheck
from jacgui.core.job import JacobianOptions, JacobianResult, Progress
from jacgui.core.model_info import ModelInfo, SandboxStatus
from jacgui.core.planning import Plan
from jacgui.core.spec import TensorInfo

NAN, INF = float("nan"), float("inf")
RNG = np.random.default_rng(7)


def _matrix(m: int, n: int, dtype: str = "float64") -> np.ndarray:
    values = RNG.standard_normal((m, n)).astype(dtype)
    if values.size:
        values.flat[0] = np.nan
        values.flat[-1] = np.inf
    return values


PLAN = Plan("reverse", "auto: 3 outputs <= 4 inputs, so reverse mode (3 backward passes)",
            48, 2, 2, 4096)

SAMPLES: dict[type, Any] = {
    TensorInfo: TensorInfo("img", (2, 2, 3), "float32", tuple(f"p{i}" for i in range(12))),
    SandboxStatus: SandboxStatus(True, "sandboxed (Landlock ABI 7): …", 7, 3 << 30, True),
    ModelInfo: ModelInfo(
        "/models/m.keras", "keras",
        (TensorInfo("x", (4,)), TensorInfo("ids", (2,), "int32")),
        (TensorInfo("y", (3,), "float32", ("a", "b", "c")), TensorInfo("s", ())),
        {"x": np.array([1.0, NAN, -INF, 0.0]), "ids": np.array([1, 2], np.int32)},
        "sidecar", None, (), True, "CPU", SandboxStatus(False, "no sandbox: trusted")),
    JacobianOptions: JacobianOptions(step=1e-7, dtype=None, memory_budget=1 << 30,
                                     error_estimate=False),
    Progress: Progress(12, 3, 7),
    Plan: PLAN,
    JacobianResult: JacobianResult(
        matrix=_matrix(3, 4, "float32"), outputs=np.array([1.0, NAN, 3.0], np.float32),
        point=np.arange(4.0), input_labels=("a", "b", "c", "d"),
        output_labels=("y[0]", "y[1]", "y[2]"), input_name="x", output_name="y",
        input_shape=(4,), output_shape=(3,), method="fd-central",
        method_reason="requested; evaluated in float64", seconds=0.012,
        steps=np.full(4, 6e-6), error_estimate=np.abs(_matrix(3, 4)), chunks=2,
        warnings=("1 of 12 Jacobian cells are NaN or infinite",), job_id=5,
        extra={"plan": PLAN, "dtype": "float64", "tags": ("x", 1), "empty": ()}),
    CellInfo: CellInfo(1, 2, "y[1]", "c", -0.5, 2.0, 0.0, None, "f_i is zero", 1e-9),
    CrossCheck: CrossCheck(-0.5000001, "fd-central", 1e-7, 2e-7, 3e-9,
                           Verdict("green", 1e-7, 3e-9, 1.2e-7), ("float64 copy used",)),
    Verdict: Verdict("amber", NAN, INF, 1e-16),
    SliceResult: SliceResult(
        0, 1, "y", "x[1]", 0.5, 1.25, 2.0, "reverse mode, float64", np.linspace(-1, 1, 5),
        np.array([0.1, 0.2, NAN, 0.4, 0.5]), np.linspace(0, 1, 5), np.zeros(5), np.ones(5),
        -0.5, 0.5, False, 0.01, "float64", ("f is not finite at the point: no trust radius",)),
    StepSweep: StepSweep(
        0, 0, "y", "x", 1.0, True, np.logspace(-8, -1, 3), ("float32", "float64"),
        np.ones((2, 3)), _matrix(2, 3), np.abs(_matrix(2, 3)), 3.0, "float64",
        np.array([1e-3, 6e-6]), np.array([NAN, 1e-5]), np.array([1e-3, 1e-5])),
    Agreement: Agreement(
        _matrix(2, 3), _matrix(2, 3), _matrix(2, 3), np.zeros((2, 3)), np.zeros((2, 3)),
        np.array([[True, False, True], [False, False, True]]), 0.25, (1, 2), NAN, (-1, -1),
        0.5, "reverse", "float32", "float64", ("a", "b", "c"), ("u", "v"), ("kink",),
        np.array([[0, 1, 2], [2, 1, 0]], np.int8)),
    GlobalSensitivity: GlobalSensitivity(
        64, *[_matrix(2, 3) for _ in range(5)], None, None, *[_matrix(2, 3) for _ in range(5)],
        None,
        None, *[_matrix(2, 3) for _ in range(5)], None, None, np.zeros(2), np.ones(2),
        ("a", "b", "c"), ("u", "v"), "reverse", 32, 2, 500, 0.95, (),
        {"sampling": "lhs", "seed": None, "bounds": np.array([[0.0, 1.0]])}),
    AggregateTable: AggregateTable("dgsm", _matrix(2, 3), np.abs(_matrix(2, 3)), _matrix(2, 3),
                                   ("a", "b", "c"),
                                   ("u", "v"), {"n_samples": 64, "dgsm_share": _matrix(2, 3)}),
    PrincipalDirections: PrincipalDirections(
        np.array([3.0, 1.0, 0.0]), INF, 2, np.eye(3)[:2], np.eye(4)[:2], ("a", "b", "c"),
        ("u", "v", "w", "z"), "s_min is zero to working precision"),
    MethodEstimate: MethodEstimate("reverse", 0.4, 0.1, 4, 0.9),
    MethodTiming: MethodTiming("reverse", "timed", MethodEstimate("reverse", 0.4, 0.1, 4, 0.9),
                               0.41, 20, 0.0, 1 << 20, "", _matrix(3, 4)),
    SobolConvergence: SobolConvergence(np.array([64, 128]), *[np.zeros((2, 2, 3))] * 4),
    SobolIndices: SobolIndices(
        _matrix(2, 3), np.abs(_matrix(2, 3)), _matrix(2, 3), np.abs(_matrix(2, 3)),
        np.zeros(2), np.ones(2),
        SobolConvergence(np.array([64, 128]), *[np.zeros((2, 2, 3))] * 4), ("a", "b", "c"),
        ("u", "v"), np.array([[0.0, 1.0]] * 3), 128, 640, None, 500, 64, 10, "float32",
        warnings=("N is small",), provenance={"bounds_file": "b.csv"}),
    IntegratedGradients: IntegratedGradients(
        np.ones((2, 2, 3)), np.zeros((2, 2, 3)), np.full((2, 2, 3), 0.5), "blur", 1.0, 0.25,
        1e-3, NAN, 3, "cat", "img", tuple(f"p{i}" for i in range(12)), 64, "gauss-legendre",
        "float32", 32, 2, ()),
    SmoothGrad: SmoothGrad(
        _matrix(1, 4).reshape(4), np.abs(_matrix(1, 4)).reshape(4), np.zeros(4), np.ones(4),
        0.15, 0.15, 50, 0, 1, "y[1]", "x", ("a", "b", "c", "d"), "float32", 25, 2),
}


def sample_of(cls: type) -> Any:
    """The sample instance of ``cls``."""
    return SAMPLES[cls]


def assert_same(a: Any, b: Any, where: str = "value") -> None:
    """Deep equality: same types, arrays equal with their dtype and shape, NaN equal to NaN."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{where}: {a.dtype}{a.shape}"
        assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), where
    elif dataclasses.is_dataclass(a):
        for field in dataclasses.fields(a):
            assert_same(getattr(a, field.name), getattr(b, field.name), f"{where}.{field.name}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{index}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"
