"""Builders of tiny test models written to a given folder.

Every ``build_*`` function takes a directory, writes one model (plus sidecars where relevant)
and returns its path. They are deterministic (fixed seeds and weights) and cheap, so tests call
them once per session through ``tmp_path_factory`` fixtures. TensorFlow is imported lazily.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from jacgui.core._tf import keras, tf


def _seed() -> None:
    keras().utils.set_random_seed(7)


def build_multi_io(directory: Path, suffix: str = ".keras") -> Path:
    """Inputs ``a`` (3,) and ``b`` (2,); outputs ``y1`` (2,) and ``y2`` (1,); Dropout + BatchNorm."""
    _seed()
    k = keras()
    a = k.Input((3,), name="a")
    b = k.Input((2,), name="b")
    h = k.layers.Concatenate()([a, b])
    h = k.layers.Dense(6, activation="tanh")(h)
    h = k.layers.BatchNormalization()(h)
    h = k.layers.Dropout(0.5)(h)
    y1 = k.layers.Dense(2, name="y1")(h)
    y2 = k.layers.Dense(1, name="y2")(h)
    model = k.Model([a, b], [y1, y2])
    # Non-trivial moving statistics, so inference-mode BatchNorm differs from training mode.
    bn = next(layer for layer in model.layers if "batch_normalization" in layer.name)
    gamma, beta, _, _ = bn.get_weights()
    bn.set_weights([gamma, beta, np.full(6, 0.3, "float32"), np.full(6, 2.0, "float32")])
    path = directory / f"multi{suffix}"
    model.save(path)
    return path


def build_dict_io(directory: Path) -> Path:
    """Dict inputs ``{"p": (2,), "q": (3,)}`` and dict outputs ``{"sum": (1,), "prod": (2,)}``."""
    _seed()
    k = keras()
    p = k.Input((2,), name="p")
    q = k.Input((3,), name="q")
    h = k.layers.Dense(2)(k.layers.Concatenate()([p, q]))
    model = k.Model({"p": p, "q": q}, {"sum": k.layers.Dense(1)(h), "prod": k.layers.Multiply()([h, p])})
    path = directory / "dictio.keras"
    model.save(path)
    return path


def build_lambda(directory: Path) -> Path:
    """A ``.keras`` model with a Lambda layer computing ``2 * x``; input (4,)."""
    k = keras()
    x = k.Input((4,), name="x")
    path = directory / "lambda.keras"
    k.Model(x, k.layers.Lambda(lambda t: t * 2.0)(x)).save(path)
    return path


def build_unregistered(directory: Path) -> Path:
    """A ``.keras`` model using custom layer ``Scale`` whose registration is removed after saving."""
    k = keras()

    @k.saving.register_keras_serializable(package="jacgui_test")
    class Scale(k.layers.Layer):
        def call(self, t: Any) -> Any:
            return t * 3.0

    x = k.Input((4,), name="x")
    path = directory / "custom.keras"
    k.Model(x, Scale()(x)).save(path)
    k.saving.get_custom_objects().pop("jacgui_test>Scale", None)
    return path


def build_subclassed(directory: Path) -> Path:
    """A registered subclassed model (no symbolic inputs), built on shape (1, 3): y = Dense(2)(x)."""
    _seed()
    k = keras()

    @k.saving.register_keras_serializable(package="jacgui_test")
    class Sub(k.Model):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.dense = k.layers.Dense(2)

        def call(self, x: Any) -> Any:
            return self.dense(x)

    model = Sub()
    model(np.zeros((1, 3), "float32"))
    path = directory / "sub.keras"
    model.save(path)
    return path


def build_embedding(directory: Path) -> Path:
    """Integer input ``tokens`` (5,) int32 through an Embedding; output (5, 3)."""
    _seed()
    k = keras()
    tokens = k.Input((5,), dtype="int32", name="tokens")
    model = k.Model(tokens, k.layers.Dense(3)(k.layers.Embedding(10, 4)(tokens)))
    path = directory / "embedding.keras"
    model.save(path)
    return path


def build_fixed_batch(directory: Path) -> Path:
    """``batch_shape=(8, 4)`` with a hard reshape to (8, 2, 2): only batches of 8 run."""
    _seed()
    k = keras()
    x = k.Input(batch_shape=(8, 4), name="x")
    h = k.layers.Dense(4)(x)
    h = k.ops.reshape(h, (8, 2, 2))
    y = k.ops.sum(h * h, axis=2)
    path = directory / "fixed8.keras"
    k.Model(x, y).save(path)
    return path


def build_mixed_precision(directory: Path) -> Path:
    """Dense layers computing in float16 (per-layer ``mixed_float16`` policy); input (4,)."""
    _seed()
    k = keras()
    x = k.Input((4,), name="x")
    h = k.layers.Dense(3, activation="tanh", dtype="mixed_float16")(x)
    y = k.layers.Dense(2, dtype="mixed_float16")(h)
    path = directory / "mixed16.keras"
    k.Model(x, y).save(path)
    return path


def build_image(directory: Path) -> Path:
    """Image input ``img`` (4, 4, 3) -> 2 outputs; for image labels."""
    _seed()
    k = keras()
    img = k.Input((4, 4, 3), name="img")
    y = k.layers.Dense(2)(k.layers.Flatten()(img))
    path = directory / "image.keras"
    k.Model(img, y).save(path)
    return path


def build_exported(directory: Path) -> Path:
    """``model.export()`` SavedModel of a 4 -> 2 tanh Dense model (endpoint ``serve``)."""
    _seed()
    k = keras()
    x = k.Input((4,), name="x")
    model = k.Model(x, k.layers.Dense(2, activation="tanh", name="out")(x))
    path = directory / "exported"
    model.export(str(path), verbose=False)
    np.save(directory / "exported_weights.npy", np.concatenate([w.ravel() for w in model.get_weights()]))
    return path


def build_module(directory: Path, *, write_file: bool = False, batch: int | None = None) -> Path:
    """``tf.saved_model.save`` of a ``tf.Module``: ``y = x * w + x**2``, x (3,), w = [1, 2, 3].

    ``write_file`` adds ``tf.io.write_file`` to the serving function; ``batch`` fixes the batch.
    """
    t = tf()

    class Poly(t.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = t.Variable([1.0, 2.0, 3.0])

        @t.function(input_signature=[t.TensorSpec((batch, 3), t.float32, name="x")])
        def serve(self, x: Any) -> Any:
            if write_file:
                t.io.write_file(os.path.join(str(directory), "leak.txt"), "pwned")
            return {"y": x * self.w + x**2}

    module = Poly()
    name = "writer" if write_file else f"module{batch or ''}"
    path = directory / name
    t.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def build_no_signature(directory: Path) -> Path:
    """A SavedModel with variables but no signatures."""
    t = tf()
    module = t.Module()
    module.v = t.Variable([1.0])
    path = directory / "nosig"
    t.saved_model.save(module, str(path), signatures={})
    return path


TEXTBOOK = """
import tensorflow as tf

INPUT_SHAPE = (3,)
POINT = [1.0, -2.0, 0.5]
INPUT_NAMES = ["u", "v", "w"]


def f(x):
    return x**2 + 2 * x + 1
"""

STACKED = """
import tensorflow as tf

POINT = 0.3


def f(x):
    return tf.stack([x**2, tf.sin(x), tf.exp(x)])
"""


def write_py(directory: Path, name: str, source: str) -> Path:
    """Write ``source`` (dedented) to ``directory/name`` and return the path."""
    path = directory / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def write_sidecar(model_path: Path, data: dict[str, Any]) -> Path:
    """Write ``<stem>.jacgui.json`` (``<dir>.jacgui.json`` for a SavedModel) next to a model."""
    stem = model_path.name if model_path.is_dir() else model_path.stem
    path = model_path.with_name(stem + ".jacgui.json")
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def write_keras2_h5(directory: Path) -> Path:
    """An ``.h5`` file laid out as Keras 2.15 writes it (config, version, training config).

    ``tf_keras`` is not available, so a Keras-3 legacy h5 is rewritten with h5py: Keras-2 layer
    configs (string dtypes, ``batch_input_shape``), ``keras_version`` 2.15.0 and a Keras-2
    ``training_config`` with an ``mse`` metric, which breaks ``compile=True`` (keras#19330).
    Kernel is ``[[1, 0], [0, 2], [1, 1], [0, 0]]``, bias ``[0.5, -0.5]``, activation linear.
    """
    import h5py

    k = keras()
    model = k.Sequential([k.Input((4,)), k.layers.Dense(2, name="dense")])
    model.set_weights([np.array([[1, 0], [0, 2], [1, 1], [0, 0]], "float32"), np.array([0.5, -0.5], "float32")])
    path = directory / "keras2.h5"
    model.save(path)
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [
                {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32", "sparse": False, "ragged": False, "name": "dense_input"}},
                {"class_name": "Dense", "config": {"name": "dense", "trainable": True, "dtype": "float32", "batch_input_shape": [None, 4], "units": 2, "activation": "linear", "use_bias": True, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}}, "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}},
            ],
        },
    }  # fmt: skip
    training = {
        "loss": "mse",
        "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"name": "mse", "dtype": "float32", "fn": "mean_squared_error"}}]],
        "weighted_metrics": None,
        "loss_weights": None,
        "optimizer_config": {"class_name": "Adam", "config": {"name": "Adam", "learning_rate": 0.001}},
    }  # fmt: skip
    with h5py.File(path, "r+") as f:
        f.attrs["model_config"] = json.dumps(config)
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["training_config"] = json.dumps(training)
    return path


def build_op_sample(directory: Path, kind: str) -> Path:
    """A SavedModel whose serving function uses one op of interest to the safety scan.

    ``kind``: ``"print"`` (tf.print to stderr, allowed), ``"print_file"`` (tf.print to a
    ``file://`` stream) or ``"py_function"``.
    """
    t = tf()
    log = "file://" + os.path.join(str(directory), "log.txt")

    class Sample(t.Module):
        @t.function(input_signature=[t.TensorSpec((None, 3), t.float32, name="x")])
        def serve(self, x: Any) -> Any:
            if kind == "print":
                t.print(x)
            elif kind == "print_file":
                t.print(x, output_stream=log)
            else:
                x = t.py_function(lambda v: v * 2, [x], t.float32)
            return {"y": x * 2}

    module = Sample()
    path = directory / kind
    t.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path
