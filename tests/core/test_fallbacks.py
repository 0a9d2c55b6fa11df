"""``auto`` survives TensorFlow's own failures and says how.

Truth is ``tape.jacobian(..., experimental_use_pfor=False)`` on the raw Keras model, computed
here (tests/core/architectures.py), or a closed form. AD runs in float32 on both sides, so
they agree to float32 round-off accumulated over a few layers: 1e-5 of max|J| (observed
<= 3e-7). Anything that may crash the process (vectorised Jacobians through attention under
oneDNN) runs in a subprocess, so that a crash fails its test instead of killing pytest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import jacgui
from jacgui.core.errors import JacguiError, ModelRunError
from jacgui.core.handle import ModelHandle
from jacgui.core.reasons import short_reason
from jacgui.core.spec import TensorInfo
from jacgui.core.traces import TRACE_COUNTS

from . import architectures as arch

RTOL = 1e-5  # of max|J|: float32 round-off on both sides
ROOT = Path(__file__).resolve().parents[2]


def _assert_close(matrix, reference):
    np.testing.assert_allclose(matrix, reference, rtol=0, atol=RTOL * np.abs(reference).max())


@pytest.fixture(scope="module")
def lstm():
    model = arch.lstm_sequence()
    return model, arch.saved_and_loaded(model)


def test_sequence_lstm_auto_falls_back_from_forward_to_reverse(lstm):
    model, handle = lstm
    point = arch.point_for(model)
    result = jacgui.jacobian(handle, point)  # m = 15 > n = 10: auto picks forward mode
    _assert_close(result.matrix, arch.reference_jacobian(model, point))
    assert result.method == "reverse"
    reason = result.method_reason
    assert reason.startswith("auto: 15 outputs > 10 inputs, so forward mode")
    assert "forward mode failed in TensorFlow (TypeError:" in reason
    assert "variant" in reason and "in user code" not in reason
    assert reason.endswith("used reverse mode")
    # The failure is remembered: the next point neither retraces nor retries forward mode.
    before = TRACE_COUNTS.copy()
    again = jacgui.jacobian(handle, point * 0.5)
    assert TRACE_COUNTS == before and again.method_reason == reason
    _assert_close(again.matrix, arch.reference_jacobian(model, point * 0.5))
    # The plan shown before the next run is the one that run will use.
    plan = jacgui.plan_job(jacgui.JacobianJob(handle, {}, "auto"))
    assert plan.method == "reverse" and "forward mode failed" in plan.reason


def test_requested_forward_mode_on_an_lstm_fails_with_the_real_cause(lstm):
    _, handle = lstm
    with pytest.raises(ModelRunError) as info:
        jacgui.jacobian(handle, method="forward")
    message = str(info.value)
    assert "\n" not in message and "in user code" not in message
    assert "forward mode failed in TensorFlow (TypeError:" in message and "variant" in message
    assert "method auto" in message


def test_global_sensitivity_on_an_lstm_switches_to_reverse_mode(lstm):
    from jacgui.core.analysis import global_sensitivity

    model, handle = lstm
    points = np.stack([arch.point_for(model), -0.5 * arch.point_for(model)])
    stats = global_sensitivity(handle, points)  # m > n: forward mode first, which TF fails
    expected = np.mean([arch.reference_jacobian(model, p) for p in points], axis=0)
    _assert_close(stats.mean, expected)
    assert stats.method == "reverse"


@pytest.mark.parametrize("method", ["reverse", "forward"])
def test_conv_and_maxpool_agree_with_the_unvectorised_reference(method):
    # Forward mode through MaxPool is wrong under XLA; jacgui does not use XLA, and both
    # vectorised modes match the while-loop reference.
    model = arch.conv_pool()
    point = arch.point_for(model)
    result = jacgui.jacobian(arch.saved_and_loaded(model), point, method=method)
    _assert_close(result.matrix, arch.reference_jacobian(model, point))
    assert result.method_reason == "requested"


def _run_case(*args: str) -> dict:
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=path)
    env.pop("TF_ENABLE_ONEDNN_OPTS", None)  # TensorFlow's default: oneDNN on
    done = subprocess.run([sys.executable, "-m", "tests.core.architectures", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case, hazards", [("attention_block", "BatchMatMulV2/Einsum"),
                                           ("dot_attention", "BatchMatMulV2")])
def test_attention_under_onednn_is_computed_correctly(case, hazards):
    out = _run_case(case)
    reference = np.array(out["reference"])
    assert out["onednn"] is True
    for method in ("auto", "reverse", "forward"):
        assert "error" not in out[method], out[method]
        _assert_close(np.array(out[method]["matrix"]), reference)
        assert f"not vectorised: vectorised Jacobians through {hazards}" in out[method]["reason"]
    assert out["auto"]["method"] == "reverse"
    _assert_close(np.array(out["global_mean"]), np.array(out["global_reference"]))


def test_attention_with_onednn_off_stays_vectorised():
    out = _run_case("--no-onednn", "attention_block")
    assert out["onednn"] is False
    reference = np.array(out["reference"])
    for method in ("auto", "reverse", "forward"):
        _assert_close(np.array(out[method]["matrix"]), reference)
        assert "vectorised" not in out[method]["reason"]


def _diagonal_model(forward, point):
    spec = TensorInfo("x", (point.size,))
    return ModelHandle("t", "python", (spec,), (TensorInfo("y", (point.size,)),), forward,
                       {"x": point})


def test_nan_from_reverse_mode_where_f_is_finite_is_retried_in_forward_mode():
    # y = where(x > 0, log(x), x) at x_0 = 0: reverse mode multiplies the masked branch's
    # slope 1/0 by a zero cotangent (NaN in column 0); forward mode takes the live branch.
    point = np.array([0.0, 0.5, 2.0])
    model = _diagonal_model(
        lambda d: {"y": tf.where(d["x"] > 0, tf.math.log(d["x"]), d["x"])}, point)
    truth = np.diag([1.0, 2.0, 0.5])
    result = jacgui.jacobian(model)
    np.testing.assert_allclose(result.matrix, truth, rtol=1e-6)
    assert result.method == "forward" and result.warnings == ()
    assert "reverse mode gave 3 NaN cell(s) where f(x) is finite" in result.method_reason
    # A requested method is not swapped for another: its NaN is reported, not hidden.
    reverse = jacgui.jacobian(model, method="reverse")
    assert np.isnan(reverse.matrix[:, 0]).all() and reverse.method == "reverse"
    assert "3 of 9 Jacobian cells are NaN or infinite" in reverse.warnings
    assert reverse.method_reason.endswith("kept reverse mode")


def test_a_nan_result_is_kept_rather_than_retried_at_length(monkeypatch):
    # A true NaN derivative stays NaN in every mode; retrying a 12288-input CNN in forward mode
    # would take minutes. With no time to spare, the first result is kept and said so.
    from jacgui.core import engine

    monkeypatch.setattr(engine, "NAN_RETRY_SECONDS", 0.0)
    point = np.array([0.0, 0.5, 2.0])
    model = _diagonal_model(
        lambda d: {"y": tf.where(d["x"] > 0, tf.math.log(d["x"]), d["x"])}, point)
    result = jacgui.jacobian(model)
    assert result.method == "reverse" and np.isnan(result.matrix[:, 0]).all()
    assert "forward mode not tried (about 0 s)" in result.method_reason
    assert "central differences not tried" in result.method_reason
    assert result.method_reason.endswith("kept reverse mode")
    assert "3 of 9 Jacobian cells are NaN or infinite" in result.warnings


def test_an_op_without_gradient_ends_in_central_differences():
    # TensorFlow cannot differentiate py_function in a traced Jacobian (KeyError 'pyfunc_0');
    # the model itself runs, so auto ends the chain with central differences.
    def forward(d):
        y = tf.py_function(lambda v: 3.0 * v, [d["x"]], tf.float32)
        y.set_shape(d["x"].shape)
        return {"y": y}

    model = _diagonal_model(forward, np.array([0.5, -1.0, 2.0]))
    result = jacgui.jacobian(model)
    np.testing.assert_allclose(result.matrix, 3 * np.eye(3), atol=1e-3)  # float32 differences
    assert result.method == "fd-central"
    reason = result.method_reason
    for step in ("reverse mode failed", "forward mode failed",
                 "non-vectorised reverse mode failed", "used central differences"):
        assert step in reason
    with pytest.raises(JacguiError, match="method auto also tries"):
        jacgui.jacobian(model, method="reverse")


def test_a_failing_model_is_the_models_error_not_a_fallback():
    def forward(d):
        tf.debugging.assert_less(d["x"], 0.0, message="inputs must be negative")
        return {"y": d["x"] * 2}

    model = _diagonal_model(forward, np.array([0.5, 1.0]))
    with pytest.raises(ModelRunError, match="inputs must be negative") as info:
        jacgui.jacobian(model)
    assert "failed in TensorFlow" not in str(info.value)


AUTOGRAPH_TEXT = """in user code:

    File "/tmp/model.py", line 53, in jvp  *
        y = f(x)
    File "/site-packages/keras/src/utils/traceback_utils.py", line 122, in error_handler  **
        raise e.with_traceback(filtered_tb) from None

    TypeError: Exception encountered when calling LSTM.call().
\x20\x20\x20\x20
    \x1b[1m`dtype` <dtype: 'variant'> is not compatible with 1 of dtype int64.\x1b[0m
\x20\x20\x20\x20
    Arguments received by LSTM.call():
      \u2022 sequences=tf.Tensor(shape=(1, 5, 2), dtype=float32)
"""

GRAPH_TEXT = """Graph execution error:

Detected at node assert_less/Assert defined at (most recent call last):
  File "/tmp/run.py", line 3, in <module>

{{function_node __inference_f_3933}} assertion failed: [inputs must be negative]
\t [[{{node assert_less/Assert}}]] [Op:__inference_f_3933]"""


@pytest.mark.parametrize("error, expected", [
    (TypeError(AUTOGRAPH_TEXT),
     "TypeError: `dtype` <dtype: 'variant'> is not compatible with 1 of dtype int64."),
    (ValueError(GRAPH_TEXT), "ValueError: assertion failed: [inputs must be negative]"),
    (KeyError("pyfunc_0"), "KeyError: 'pyfunc_0'"),
    (RuntimeError(""), "RuntimeError"),
    (ValueError("x" * 500), "ValueError: " + "x" * 187 + "..."),
])
def test_short_reason_keeps_the_real_cause(error, expected):
    assert short_reason(error) == expected
