"""Export real Keras models of every family and print the ops their SavedModels can run.

This is where ``jacgui/core/allowed_ops.py`` comes from: each family is exported twice, with
``model.export()`` (Keras 3's endpoint ``serve``) and with ``tf.saved_model.save`` (endpoint
``serving_default``), scanned by reachability with :func:`jacgui.core.safety.inspect_savedmodel`,
and the union of the reachable op types is printed per family. Ops that are not on the
allow-list yet are marked ``NEW``.

Usage::

    PYTHONPATH=$PWD python scripts/build_op_allowlist.py            # every family
    PYTHONPATH=$PWD python scripts/build_op_allowlist.py lstm gru   # some families
    PYTHONPATH=$PWD python scripts/build_op_allowlist.py --check    # exit 1 on a NEW op

The families are importable (``FAMILIES``) so that the tests export the same models.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from jacgui.core._tf import keras, tf
from jacgui.core.allowed_ops import ALLOWED_OPS
from jacgui.core.safety import inspect_savedmodel


def _dense(k: Any) -> Any:
    x = k.Input((6,), name="x")
    h = k.layers.Dense(8, activation="tanh")(x)
    h = k.layers.Dense(8, activation="relu")(h)
    h = k.layers.Dense(8, activation="sigmoid")(h)
    h = k.layers.Dropout(0.3)(h)
    return k.Model(x, k.layers.Dense(3, activation="softmax")(h))


def _activations(k: Any) -> Any:
    x = k.Input((6,), name="x")
    names = ("elu", "selu", "softplus", "softsign", "swish", "gelu", "relu6", "hard_sigmoid",
             "exponential", "linear", "leaky_relu", "mish", "log_softmax", "silu", "hard_silu",
             "celu", "tanh_shrink", "soft_shrink", "hard_tanh", "sparse_plus",
             "squareplus", "sparsemax", "log_sigmoid", "hard_shrink")
    outs = []
    for name in names:
        try:
            outs.append(k.layers.Activation(name)(k.layers.Dense(6)(x)))
        except (ValueError, TypeError):  # not every activation exists in every Keras 3
            continue
    h = k.layers.Concatenate()(outs)
    h = k.layers.LeakyReLU(0.1)(h)
    h = k.layers.PReLU()(h)
    h = k.layers.ELU()(h)
    h = k.layers.ReLU(max_value=6.0, threshold=0.1, negative_slope=0.05)(h)
    return k.Model(x, k.layers.Softmax()(h))


def _merge(k: Any) -> Any:
    a, b = k.Input((4,), name="a"), k.Input((4,), name="b")
    parts = [k.layers.Add()([a, b]), k.layers.Subtract()([a, b]), k.layers.Multiply()([a, b]),
             k.layers.Average()([a, b]), k.layers.Maximum()([a, b]), k.layers.Minimum()([a, b]),
             k.layers.Dot(axes=1)([a, b])]
    h = k.layers.Concatenate()(parts)
    h = k.layers.Reshape((5, 5))(k.layers.Dense(25)(h))
    h = k.layers.Permute((2, 1))(h)
    h = k.layers.RepeatVector(2)(k.layers.Flatten()(h))
    return k.Model([a, b], k.layers.Flatten()(h))


def _cnn(k: Any) -> Any:
    x = k.Input((16, 16, 3), name="img")
    h = k.layers.ZeroPadding2D(1)(x)
    h = k.layers.Conv2D(4, 3, padding="same", activation="relu")(h)
    h = k.layers.MaxPooling2D(2)(h)
    h = k.layers.Conv2D(4, 3, strides=2, dilation_rate=1, padding="valid")(h)
    h = k.layers.AveragePooling2D(2, padding="same")(h)
    h = k.layers.Cropping2D(((0, 1), (0, 1)))(h)
    h = k.layers.UpSampling2D(2)(h)
    h = k.layers.Conv2DTranspose(3, 3, strides=2, padding="same")(h)
    g = k.layers.GlobalAveragePooling2D()(h)
    m = k.layers.GlobalMaxPooling2D()(h)
    f = k.layers.Flatten()(h)
    return k.Model(x, k.layers.Dense(2)(k.layers.Concatenate()([g, m, f])))


def _depthwise(k: Any) -> Any:
    x = k.Input((12, 12, 4), name="img")
    h = k.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2)(x)
    h = k.layers.SeparableConv2D(6, 3, padding="same", activation="relu")(h)
    h = k.layers.Conv2D(4, 1, groups=2)(h)
    return k.Model(x, k.layers.GlobalAveragePooling2D()(h))


def _conv1d(k: Any) -> Any:
    x = k.Input((20, 3), name="seq")
    h = k.layers.Conv1D(4, 3, padding="causal", activation="relu")(x)
    h = k.layers.MaxPooling1D(2)(h)
    h = k.layers.SeparableConv1D(4, 3, padding="same")(h)
    h = k.layers.DepthwiseConv1D(3)(h)
    h = k.layers.AveragePooling1D(2)(h)
    h = k.layers.UpSampling1D()(h)
    h = k.layers.ZeroPadding1D(1)(h)
    h = k.layers.Cropping1D(1)(h)
    h = k.layers.Conv1DTranspose(3, 3)(h)
    g = k.layers.GlobalMaxPooling1D()(h)
    return k.Model(x, k.layers.Concatenate()([g, k.layers.GlobalAveragePooling1D()(h)]))


def _conv3d(k: Any) -> Any:
    x = k.Input((6, 6, 6, 2), name="vol")
    h = k.layers.Conv3D(3, 3, padding="same")(x)
    h = k.layers.MaxPooling3D(2)(h)
    h = k.layers.AveragePooling3D(2, padding="same")(h)
    h = k.layers.UpSampling3D()(h)
    h = k.layers.Conv3DTranspose(2, 3)(h)
    return k.Model(x, k.layers.GlobalAveragePooling3D()(h))


def _lstm(k: Any) -> Any:
    x = k.Input((7, 3), name="seq")
    h = k.layers.LSTM(5, return_sequences=True)(x)
    h = k.layers.Bidirectional(k.layers.LSTM(4, return_sequences=True))(h)
    h = k.layers.TimeDistributed(k.layers.Dense(3))(h)
    return k.Model(x, k.layers.LSTM(2, go_backwards=True)(h))


def _gru(k: Any) -> Any:
    x = k.Input((7, 3), name="seq")
    h = k.layers.GRU(5, return_sequences=True, reset_after=False)(x)
    h = k.layers.GRU(4, return_sequences=True)(h)
    h = k.layers.SimpleRNN(3, return_sequences=True)(h)
    h = k.layers.ConvLSTM1D(2, 3, padding="same", return_sequences=False)(
        k.layers.Reshape((7, 3, 1))(h))
    return k.Model(x, k.layers.Flatten()(h))


def _attention(k: Any) -> Any:
    x = k.Input((6, 8), name="seq")
    h = k.layers.LayerNormalization()(x)
    h = x + k.layers.MultiHeadAttention(num_heads=2, key_dim=4)(h, h)
    g = k.layers.GroupQueryAttention(head_dim=4, num_query_heads=2, num_key_value_heads=1)(h, h)
    h = k.layers.LayerNormalization()(h + g)
    f = k.layers.Dense(16, activation="gelu")(h)
    h = h + k.layers.EinsumDense("abc,cd->abd", output_shape=(None, 8))(f)
    a = k.layers.Attention()([h, h])
    a = a + k.layers.AdditiveAttention()([h, h])
    return k.Model(x, k.layers.GlobalAveragePooling1D()(a))


def _embedding(k: Any) -> Any:
    tokens = k.Input((5,), dtype="int32", name="tokens")
    dense = k.Input((5,), name="dense")
    e = k.layers.Embedding(11, 4)(tokens)
    c = k.layers.CategoryEncoding(num_tokens=11, output_mode="multi_hot")(tokens)
    h = k.layers.Flatten()(e)
    return k.Model([tokens, dense],
                   k.layers.Dense(2)(k.layers.Concatenate()([h, c, dense])))


def _normalization(k: Any) -> Any:
    x = k.Input((6,), name="x")
    norm = k.layers.Normalization()
    norm.adapt(np.random.default_rng(0).normal(3.0, 2.0, size=(32, 6)).astype("float32"))
    h = norm(x)
    h = k.layers.BatchNormalization()(h)
    h = k.layers.LayerNormalization()(h)
    h = k.layers.RMSNormalization()(h)
    h = k.layers.UnitNormalization()(h)
    h = k.layers.Reshape((6, 1))(h)
    h = k.layers.GroupNormalization(groups=1)(h)
    h = k.layers.Flatten()(h)
    h = k.layers.GaussianNoise(0.1)(h)
    h = k.layers.GaussianDropout(0.1)(h)
    h = k.layers.AlphaDropout(0.1)(h)
    h = k.layers.ActivityRegularization(l1=0.01)(h)
    return k.Model(x, k.layers.Dense(2)(h))


def _resizing(k: Any) -> Any:
    x = k.Input((10, 10, 3), name="img")
    outs = []
    for method in ("bilinear", "nearest", "bicubic", "area", "lanczos3"):
        h = k.layers.Resizing(8, 8, interpolation=method)(x)
        outs.append(k.layers.Flatten()(h))
    h = k.layers.Rescaling(1 / 255.0, offset=-0.5)(x)
    h = k.layers.CenterCrop(6, 6)(h)
    outs.append(k.layers.Flatten()(h))
    return k.Model(x, k.layers.Dense(2)(k.layers.Concatenate()(outs)))


def _augmentation(k: Any) -> Any:
    """Augmentation layers: identity at inference, but exported with their graphs."""
    x = k.Input((12, 12, 3), name="img")
    h = k.layers.RandomFlip()(x)
    h = k.layers.RandomRotation(0.1)(h)
    h = k.layers.RandomZoom(0.1)(h)
    h = k.layers.RandomTranslation(0.1, 0.1)(h)
    h = k.layers.RandomContrast(0.1)(h)
    h = k.layers.RandomBrightness(0.1)(h)
    h = k.layers.RandomCrop(10, 10)(h)
    h = k.layers.SpatialDropout2D(0.1)(h)
    return k.Model(x, k.layers.GlobalAveragePooling2D()(h))


def _lookup(k: Any) -> Any:
    """Integer lookup and discretization: tables filled from in-memory vocabularies."""
    ids = k.Input((3,), dtype="int64", name="ids")
    values = k.Input((3,), name="values")
    looked = k.layers.IntegerLookup(vocabulary=[3, 5, 7, 11], output_mode="one_hot")(ids)
    buckets = k.layers.Discretization(bin_boundaries=[-1.0, 0.0, 1.0])(values)
    hashed = k.layers.Hashing(num_bins=4)(ids)
    parts = [k.layers.Flatten()(looked), k.ops.cast(buckets, "float32"),
             k.ops.cast(hashed, "float32"), values]
    return k.Model([ids, values], k.layers.Dense(2)(k.layers.Concatenate()(parts)))


def _keras_ops(k: Any) -> Any:
    """A functional model written with ``keras.ops``, the way Keras 3 users write math."""
    o = k.ops
    x = k.Input((4,), name="x")
    m = o.reshape(x, (-1, 2, 2))
    eye = o.eye(2) + o.triu(o.ones((2, 2))) + o.tril(o.ones((2, 2)))
    spd = o.matmul(m, o.transpose(m, (0, 2, 1))) + 3.0 * eye
    parts = [
        o.sort(x), o.cast(o.argsort(x), "float32"), o.top_k(x, 2)[0],
        o.cast(o.expand_dims(o.argmax(x, axis=-1), -1), "float32"), o.cumprod(x, axis=-1),
        o.norm(x, axis=-1, keepdims=True), o.logsumexp(x, axis=-1, keepdims=True),
        o.clip(x, -1, 1), o.where(x > 0, x, 0.1 * x), o.floor(x), o.round(x), o.sign(x),
        o.power(o.abs(x) + 1, 0.5), o.log2(o.abs(x) + 1), o.arctan(x), o.arcsinh(x),
        o.reshape(o.linalg.det(spd), (-1, 1)), o.reshape(o.linalg.inv(spd), (-1, 4)),
        o.reshape(o.linalg.cholesky(spd), (-1, 4)),
        o.reshape(o.linalg.solve(spd, o.ones_like(m)), (-1, 4)),
        o.reshape(o.tensordot(m, eye, axes=1), (-1, 4)), o.var(x, axis=-1, keepdims=True),
        o.std(x, axis=-1, keepdims=True), o.min(x, axis=-1, keepdims=True),
        o.prod(x, axis=-1, keepdims=True), o.mod(x, 1.5), o.square(x), o.exp2(x),
        o.sinh(x), o.cosh(x), o.arccos(o.tanh(x)), o.arcsin(o.tanh(x)), o.log10(o.abs(x) + 1),
        o.maximum(x, 0.0), o.minimum(x, 0.0), o.abs(x), o.negative(x), o.reciprocal(x + 5.0),
        o.rfft(x)[0], o.roll(x, 1, axis=-1), o.flip(x, axis=-1),
        o.repeat(x[:, :1], 2, axis=-1), o.pad(x[:, :2], ((0, 0), (1, 1))),
    ]
    return k.Model(x, o.concatenate(parts, axis=-1))


def _mobilenet(k: Any) -> Any:
    return k.applications.MobileNetV2(input_shape=(32, 32, 3), weights=None, classes=4)


def _efficientnet(k: Any) -> Any:
    return k.applications.EfficientNetB0(input_shape=(32, 32, 3), weights=None, classes=4)


def _resnet(k: Any) -> Any:
    return k.applications.ResNet50(input_shape=(32, 32, 3), weights=None, classes=4)


def _tf_math(k: Any) -> Any:
    """A plain ``tf.Module`` of elementwise and linear-algebra math, as physicists write them."""
    t = tf()

    class Physics(t.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = t.Variable(t.ones((3, 3)))

        @t.function(input_signature=[t.TensorSpec((None, 3), t.float32, name="x")])
        def serve(self, x: Any) -> Any:
            y = t.sin(x) + t.cos(x) * t.exp(-x**2) + t.math.log1p(t.abs(x)) + t.sqrt(x * x + 1)
            y = y + t.tanh(x) + t.math.atan2(x, 1 + x * x) + t.math.pow(t.abs(x) + 1, 1.5)
            y = y + t.math.erf(x) + t.math.sigmoid(x) + t.math.softplus(x) + t.math.rsqrt(x * x + 1)
            y = y + t.math.asinh(x) + t.math.tan(x / 4) + t.math.square(x) - t.math.log(x * x + 1)
            y = t.where(x > 0, y, -y) + t.clip_by_value(x, -1.0, 1.0) + t.maximum(x, 0.0)
            z = t.matmul(y, self.w) + t.einsum("bi,ij->bj", y, self.w)
            s = t.reduce_sum(z, axis=1, keepdims=True) + t.reduce_mean(z, axis=1, keepdims=True)
            s = s + t.reduce_max(z, axis=1, keepdims=True) + t.math.reduce_logsumexp(z, 1, True)
            return {"y": t.concat([z, s, t.math.cumsum(x, axis=1), t.nn.softmax(x)], axis=1)}

    return Physics()


def _control_flow(k: Any) -> Any:
    """``tf.cond`` and ``tf.while_loop`` in a serving function (control flow stays in the graph)."""
    t = tf()

    class Solver(t.Module):
        @t.function(input_signature=[t.TensorSpec((None, 2), t.float32, name="x")])
        def serve(self, x: Any) -> Any:
            def step(i: Any, y: Any) -> Any:
                return i + 1, y - 0.1 * (y * y * y - x)

            _, y = t.while_loop(lambda i, y: i < 20, step, (t.constant(0), x))
            y = t.cond(t.reduce_sum(x) > 0, lambda: y * 2.0, lambda: y / 2.0)
            return {"y": y}

    return Solver()


FAMILIES: dict[str, Callable[[Any], Any]] = {
    "mlp": _dense, "activations": _activations, "merge-reshape": _merge, "cnn": _cnn,
    "depthwise": _depthwise, "conv1d": _conv1d, "conv3d": _conv3d, "lstm": _lstm, "gru": _gru,
    "attention": _attention, "embedding": _embedding, "normalization": _normalization,
    "resizing": _resizing, "augmentation": _augmentation, "lookup": _lookup,
    "keras-ops": _keras_ops, "mobilenetv2": _mobilenet, "efficientnetb0": _efficientnet,
    "resnet50": _resnet, "tf-math": _tf_math, "control-flow": _control_flow,
}  # fmt: skip


def export_family(name: str, folder: Path, *, saved: bool = True) -> list[Path]:
    """Export family ``name`` into ``folder``; returns the SavedModel directories written.

    A Keras model is written by ``model.export()`` and, when ``saved``, by
    ``tf.saved_model.save`` too; a ``tf.Module`` only by ``tf.saved_model.save``.
    """
    k = keras()
    k.utils.set_random_seed(0)
    model = FAMILIES[name](k)
    if not isinstance(model, k.Model):
        path = folder / f"{name}-module"
        tf().saved_model.save(model, str(path), signatures={"serving_default": model.serve})
        return [path]
    exported, saved = folder / f"{name}-export", folder / f"{name}-saved"
    model.export(str(exported), verbose=False)
    if not saved:
        return [exported]
    try:
        tf().saved_model.save(model, str(saved))
    except AssertionError as exc:  # seed generators are "untracked" for tf.saved_model.save
        print(f"{name}: tf.saved_model.save fails ({str(exc).splitlines()[0][:60]})")
        return [exported]
    return [exported, saved]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("families", nargs="*", help=f"some of: {', '.join(FAMILIES)}")
    parser.add_argument("--check", action="store_true", help="exit 1 when an op is not allowed")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.families) - FAMILIES.keys())
    if unknown:
        parser.error(f"unknown families: {', '.join(unknown)}")
    every: set[str] = set()
    with tempfile.TemporaryDirectory() as folder:
        for name in args.families or FAMILIES:
            ops: set[str] = set()
            for path in export_family(name, Path(folder)):
                ops |= inspect_savedmodel(path).ops
            every |= ops
            shown = ", ".join(op if op in ALLOWED_OPS else f"{op} (NEW)" for op in sorted(ops))
            print(f"{name}: {shown}", flush=True)
    new = sorted(every - ALLOWED_OPS)
    print(f"\nall {len(every)} reachable ops: {', '.join(sorted(every))}")
    print(f"not on the allow-list: {', '.join(new) or 'none'}")
    return 1 if args.check and new else 0


if __name__ == "__main__":
    sys.exit(main())
