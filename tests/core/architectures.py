"""Real architectures on which TensorFlow's own Jacobian machinery fails, and their truth.

Each builder returns a small seeded Keras model. :func:`reference_jacobian` is the trusted
answer: ``tape.jacobian(..., experimental_use_pfor=False)`` on the raw Keras model, which
neither crashes nor corrupts under oneDNN. Run as a script (``python -m
tests.core.architectures CASE``), it computes jacgui's Jacobians of one case and prints them
as JSON next to the reference, so that a crash ends only that process and fails the test that
started it.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np


def _keras():
    from jacgui.core._tf import keras

    return keras()


def lstm_sequence():
    """LSTM(3, return_sequences=True) on 5 steps of 2 features: n = 10 < m = 15."""
    k = _keras()
    k.utils.set_random_seed(11)
    x = k.Input((5, 2), name="seq")
    y = k.layers.Flatten(name="states")(k.layers.LSTM(3, return_sequences=True)(x))
    return k.Model(x, y)


def attention_block(heads: int = 2):
    """A transformer block: 2-head self-attention, residual, LayerNorm, gelu MLP (4 x 8 tokens)."""
    k = _keras()
    k.utils.set_random_seed(12)
    x = k.Input((4, 8), name="tokens")
    a = k.layers.MultiHeadAttention(heads, 4)(x, x)
    h = k.layers.LayerNormalization()(x + a)
    f = k.layers.Dense(8)(k.layers.Dense(16, activation="gelu")(h))
    y = k.layers.Flatten()(k.layers.LayerNormalization()(h + f))
    return k.Model(x, y)


def dot_attention():
    """keras.layers.Attention (a batched 3-D matmul) over 5 tokens of 3 features."""
    k = _keras()
    k.utils.set_random_seed(13)
    x = k.Input((5, 3), name="tokens")
    y = k.layers.Flatten()(k.layers.Attention()([x, x]))
    return k.Model(x, y)


def conv_pool():
    """Conv2D + MaxPool + Dense on an 6 x 6 x 2 image: the XLA forward-mode trap."""
    k = _keras()
    k.utils.set_random_seed(14)
    x = k.Input((6, 6, 2), name="image")
    h = k.layers.MaxPooling2D()(k.layers.Conv2D(3, 3, padding="same", activation="relu")(x))
    return k.Model(x, k.layers.Dense(4, name="scores")(k.layers.Flatten()(h)))


def point_for(model) -> np.ndarray:
    """A seeded point away from zero (ReLU kinks and symmetric attention are degenerate there)."""
    shape = tuple(int(d) for d in model.inputs[0].shape[1:])
    return np.random.default_rng(5).uniform(-1.5, 1.5, shape)


def reference_jacobian(model, point: np.ndarray) -> np.ndarray:
    """``tape.jacobian(..., experimental_use_pfor=False)`` of the raw model: (m, n) float64."""
    from jacgui.core._tf import tf

    x = tf().constant(point[None], tf().float32)
    with tf().GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf().reshape(model(x, training=False), [-1])
    jac = tape.jacobian(y, x, experimental_use_pfor=False)
    return jac.numpy().reshape(y.shape[0], -1).astype(np.float64)


def saved_and_loaded(model):
    """The model as a user has it: saved to ``.keras`` and loaded with ``jacgui.load_model``."""
    import jacgui

    path = Path(tempfile.mkdtemp(prefix="jacgui-arch-")) / f"{model.name}.keras"
    model.save(path)
    return jacgui.load_model(path)


CASES = {"attention_block": attention_block, "dot_attention": dot_attention}


def main(case: str) -> None:
    """Print JSON: the reference and jacgui's auto/reverse/forward/global results for ``case``."""
    import jacgui
    from jacgui.core._tf import onednn_enabled
    from jacgui.core.analysis import global_sensitivity

    model = CASES[case]()
    point = point_for(model)
    handle = saved_and_loaded(model)
    out = {"onednn": onednn_enabled(), "reference": reference_jacobian(model, point).tolist()}
    for method in ("auto", "reverse", "forward"):
        result = jacobian_or_error(jacgui, handle, point, method)
        out[method] = result
    # Per-sample Jacobians of a batch (global sensitivity) vectorise too.
    stats = global_sensitivity(handle, np.stack([point, point * 0.5]))
    out["global_mean"] = stats.mean.tolist()
    out["global_reference"] = (0.5 * (reference_jacobian(model, point)
                                      + reference_jacobian(model, point * 0.5))).tolist()
    print(json.dumps(out))


def jacobian_or_error(jacgui, handle, point, method: str) -> dict:
    """``{"matrix", "method", "reason"}`` or ``{"error"}``."""
    try:
        result = jacgui.jacobian(handle, point, method=method)
    except jacgui.JacguiError as error:
        return {"error": str(error)}
    return {"matrix": result.matrix.tolist(), "method": result.method,
            "reason": result.method_reason}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--no-onednn"]:
        from jacgui.core._tf import disable_onednn

        assert disable_onednn()
        sys.argv.pop(1)
    main(sys.argv[1])
