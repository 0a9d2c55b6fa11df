"""Loader for a Python file that defines a function ``f(x)``.

The file is **executed** when it is loaded, like any Python import: load only files you trust.

Contract of the file:

- ``f(x)``: takes ONE point as a float tensor of shape ``INPUT_SHAPE`` (no batch dimension) and
  returns a tensor (or anything ``tf.convert_to_tensor`` accepts) of any fixed shape. It must be
  written with TensorFlow ops so it can be traced and differentiated.
- ``INPUT_SHAPE`` (optional): tuple of ints; inferred from ``POINT`` when absent.
- ``POINT`` (optional): the default point; zeros when absent.
- ``INPUT_NAMES`` / ``OUTPUT_NAMES`` (optional): one name per flattened input / output element.

The model has one input named ``x`` and one output named ``f``; jacgui batches ``f`` itself with
``tf.vectorized_map`` (falling back to ``tf.map_fn`` when ``f`` cannot be vectorised).
"""

from __future__ import annotations

import runpy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._tf import tf
from ..errors import ModelLoadError, PointError
from ..handle import ForwardFn, ModelHandle
from ..points import validate_point
from ..reasons import short_reason
from ..spec import TensorInfo

INPUT_NAME = "x"
OUTPUT_NAME = "f"


def load_pyfile(path: Path) -> ModelHandle:
    """Run ``path`` and wrap its ``f(x)`` as a batched model."""
    tf()  # the file will almost certainly import TensorFlow; keep its log level set first
    try:
        namespace = runpy.run_path(str(path), run_name="__jacgui_model__")
    except BaseException as exc:  # SystemExit and friends must not escape either
        raise ModelLoadError(f"running {path.name} raised {short_reason(exc)}") from None
    f = namespace.get("f")
    if f is None:
        raise ModelLoadError(f"{path.name} defines no function f(x)")
    if not callable(f):
        raise ModelLoadError(f"{path.name}: f is a {type(f).__name__}, not a function")
    f = _with_autograph(f)
    shape, point = _shape_and_point(path.name, namespace)
    in_names = _names(path.name, namespace, "INPUT_NAMES", int(np.prod(shape)))
    spec = TensorInfo(INPUT_NAME, shape, "float32", in_names)
    if point is not None:
        try:
            point = validate_point(point, spec)
        except PointError as exc:
            raise ModelLoadError(f"{path.name}: POINT is invalid: {exc}") from None
    start = point if point is not None else np.zeros(shape)
    try:
        value = tf().convert_to_tensor(f(tf().constant(start, tf().float32)))
    except Exception as exc:
        raise ModelLoadError(f"{path.name}: f(POINT) raised {short_reason(exc)}") from None
    out_shape = tuple(int(d) for d in value.shape)
    out_names = _names(path.name, namespace, "OUTPUT_NAMES", int(np.prod(out_shape)))
    forward = _batched(f, "float32")
    try:
        # Traced, not eager: numpy calls inside f work eagerly but fail in the engine's graphs.
        batch = tf().constant(start[None], tf().float32)
        tf().function(forward, autograph=False)({INPUT_NAME: batch})
    except Exception as exc:
        raise ModelLoadError(
            f"{path.name}: f cannot be traced by TensorFlow (use tf ops only): {short_reason(exc)}"
        ) from None
    return ModelHandle(
        path=str(path),
        format="python",
        inputs=(spec,),
        outputs=(TensorInfo(OUTPUT_NAME, out_shape, "float32", out_names),),
        forward=forward,
        default_point={INPUT_NAME: start.astype("float64")},
        point_source="file" if point is not None else "zeros",
        make_float64=lambda: _float64(f, path.name, start),
        notes=(f"{path.name} was executed as Python code to load it",),
        source=f,
    )


def _with_autograph(f: Any) -> Any:
    """``f`` with its Python control flow on tensors (``if x[0] > 0:``) turned into graph ops.

    The engine traces its functions without AutoGraph: converting jacgui's and Keras's own code
    cost about a second of every model's first Jacobian, and Keras runs its models unconverted
    too. A file's function may rely on the conversion, so it is converted here, once.
    """
    if isinstance(f, tf().types.experimental.PolymorphicFunction):
        return f  # a tf.function of its own converts itself when it is traced
    try:
        return tf().autograph.to_graph(f)
    except Exception:  # no Python source to convert (a builtin, a C extension): nothing to do
        return f


def _shape_and_point(name: str, ns: dict[str, Any]) -> tuple[tuple[int, ...], Any]:
    point = ns.get("POINT")
    shape = ns.get("INPUT_SHAPE")
    if shape is not None:
        try:
            shape = tuple(int(d) for d in (shape if isinstance(shape, (list, tuple)) else [shape]))
        except (TypeError, ValueError):
            raise ModelLoadError(f"{name}: INPUT_SHAPE must be a tuple of ints") from None
        if any(d < 1 for d in shape):
            raise ModelLoadError(f"{name}: INPUT_SHAPE {shape} has a size below 1")
        return shape, point
    if point is None:
        raise ModelLoadError(f"{name} defines neither INPUT_SHAPE nor POINT")
    try:
        array = np.asarray(point, dtype="float64")
    except (TypeError, ValueError):
        raise ModelLoadError(f"{name}: POINT is not an array of numbers") from None
    return tuple(int(d) for d in array.shape), array


def _names(name: str, ns: dict[str, Any], key: str, size: int) -> tuple[str, ...] | None:
    names = ns.get(key)
    if names is None:
        return None
    if isinstance(names, str) or len(list(names)) != size:
        raise ModelLoadError(f"{name}: {key} must list {size} names")
    return tuple(str(n) for n in names)


def _batched(f: Any, dtype: str) -> ForwardFn:
    """``f`` of one point turned into ``{x: (B, *shape)} -> {f: (B, *out_shape)}``."""

    def one(x: Any) -> Any:
        y = tf().convert_to_tensor(f(x))
        return y if y.dtype == dtype else tf().cast(y, dtype)

    def forward(inputs: Mapping[str, Any]) -> dict[str, Any]:
        t = tf()
        x = t.cast(inputs[INPUT_NAME], dtype)
        try:
            y = t.vectorized_map(one, x)
        except Exception:  # pfor cannot convert some ops; loop instead
            y = t.map_fn(one, x, fn_output_signature=t.TensorSpec(None, dtype))
        return {OUTPUT_NAME: y}

    return forward


def _float64(f: Any, name: str, start: np.ndarray) -> ForwardFn:
    forward = _batched(f, "float64")
    try:
        forward({INPUT_NAME: tf().constant(start[None], tf().float64)})
    except Exception as exc:  # the engine falls back to float32 on ModelLoadError
        raise ModelLoadError(f"{name}: f fails in float64: {short_reason(exc)}") from None
    return forward
