"""Models with known Jacobians and a window fixture for the analysis tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from jacgui.core.handle import ModelHandle
from jacgui.core.spec import TensorInfo

from .window_driver import LONG, start

__all__ = ["BIAS", "DIAGONAL", "LONG", "POWERS", "WEIGHTS", "analysis_window", "diagonal_model",
           "linear_model", "power_model", "show_view", "start"]

#: Exponents of the power-law model ``y_i = prod_j x_j ** P[i, j]``: elasticity == P everywhere.
POWERS = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]])
#: ``y = x @ W + b``: J = W^T everywhere.
WEIGHTS = np.array([[1.0, -2.0], [0.5, 4.0], [-3.0, 0.25]])
BIAS = np.array([0.5, -1.0])
#: A linear model with a diagonal Jacobian diag(3, 2, 0.5): singular values known.
DIAGONAL = np.array([3.0, 2.0, 0.5])


def _handle(name: str, n: int, m: int, fn: Any, point: np.ndarray,
            labels: tuple[str, ...] | None = None) -> ModelHandle:
    def forward(feeds: Any) -> dict[str, Any]:
        return {"y": fn(feeds["x"])}

    return ModelHandle(f"memory://{name}", "python", (TensorInfo("x", (n,), feature_names=labels),),
                       (TensorInfo("y", (m,)),), forward, {"x": np.asarray(point, float)},
                       point_source="file", make_float64=lambda: forward)


def power_model() -> ModelHandle:
    """``y_i = prod_j x_j ** POWERS[i, j]`` at x = (1.5, 2, 0.8)."""
    import tensorflow as tf

    def f(x: Any) -> Any:
        return tf.exp(tf.math.log(x) @ tf.constant(POWERS.T, x.dtype))

    return _handle("power", 3, 2, f, np.array([1.5, 2.0, 0.8]))


def linear_model(point: Any = (0.0, 1.0, -2.0)) -> ModelHandle:
    """``y = x @ WEIGHTS + BIAS``; the default point has x_0 = 0 (elasticity masked there)."""
    import tensorflow as tf

    def f(x: Any) -> Any:
        return x @ tf.constant(WEIGHTS, x.dtype) + tf.constant(BIAS, x.dtype)

    return _handle("linear", 3, 2, f, np.asarray(point, float),
                   labels=("a [m]", "b [s]", "c [kg]"))


def diagonal_model() -> ModelHandle:
    """``y = x * DIAGONAL``."""
    import tensorflow as tf

    return _handle("diagonal", 3, 3, lambda x: x * tf.constant(DIAGONAL, x.dtype),
                   np.array([1.0, 1.0, 1.0]))


@pytest.fixture
def analysis_window(qtbot: Any, engine_models: dict[str, Any], engine: Any,
                    make_session: Any) -> Any:
    """A window (its Session) with the analysis models added to the test engine."""
    engine_models.update({"power.keras": power_model(), "linear.keras": linear_model(),
                          "diagonal.keras": diagonal_model()})
    return make_session(engine)


def show_view(qtbot: Any, session: Any, view: Any, start_call: Any = None) -> Any:
    """Show an analysis tab and wait for the analysis it runs (or ``start_call`` runs)."""
    with qtbot.waitSignal(view.analysis_ready, timeout=LONG) as blocker:
        session.window.tabs.setCurrentWidget(session.analysis)
        session.analysis.setCurrentWidget(view)
        if start_call is not None:
            start_call()
    return blocker.args[0]
