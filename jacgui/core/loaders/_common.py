"""Helpers shared by the model loaders: dtype names, shapes and fixed-batch calls."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._tf import tf
from ..errors import ModelLoadError
from ..spec import TensorInfo


def dtype_name(dtype: Any) -> str:
    """NumPy-style name of a TF/Keras/NumPy dtype (``"float32"``, ``"int32"``)."""
    name = getattr(dtype, "name", None) or str(dtype)
    return name.replace("tf.", "")


def static_shape(shape: Any, what: str) -> tuple[int, ...]:
    """A shape without its batch dimension, as ints; unknown sizes are a load error."""
    dims = list(shape)[1:]
    if any(d is None for d in dims):
        raise ModelLoadError(
            f"{what} has shape {tuple(shape)} with an unknown size; "
            "jacgui needs fixed sample shapes"
        )
    return tuple(int(d) for d in dims)


def to_float32(value: Any) -> Any:
    """Cast low-precision float outputs (float16/bfloat16 policies) up to float32."""
    value = tf().convert_to_tensor(value)
    if value.dtype in (tf().float16, tf().bfloat16):
        return tf().cast(value, tf().float32)
    return value


def fixed_batch_call(
    call: Callable[[dict[str, Any]], dict[str, Any]],
    batch: int,
    out_signature: Mapping[str, Any],
) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """Wrap a model that only accepts batches of exactly ``batch`` rows.

    Rows are processed in groups of ``batch``; the last group is padded with copies of its first
    row and the padding is dropped from the result. The rows must not depend on each other,
    which holds for inference-mode models. ``out_signature`` maps each output name to a
    ``tf.TensorSpec`` of one group; it is needed only when the batch size is unknown at trace time.
    """

    def pad(chunk: Any, rows: Any) -> Any:
        missing = batch - rows
        filler = tf().repeat(chunk[:1], missing, axis=0)
        return tf().concat([chunk, filler], axis=0)

    def forward(inputs: Mapping[str, Any]) -> dict[str, Any]:
        first = next(iter(inputs.values()))
        total = first.shape[0]
        if total is None:
            return _dynamic(inputs)
        outs: list[dict[str, Any]] = []
        for start in range(0, total, batch):
            rows = min(batch, total - start)
            chunk = {k: pad(v[start : start + rows], rows) for k, v in inputs.items()}
            outs.append({k: v[:rows] for k, v in call(chunk).items()})
        return {k: tf().concat([o[k] for o in outs], axis=0) for k in outs[0]}

    def _dynamic(inputs: Mapping[str, Any]) -> dict[str, Any]:
        # Batch size only known at run time: pad to a multiple and map over the groups.
        t = tf()
        first = next(iter(inputs.values()))
        total = t.shape(first)[0]
        groups = (total + batch - 1) // batch
        padded = {}
        for k, v in inputs.items():
            filler = t.repeat(v[:1], groups * batch - total, axis=0)
            full = t.concat([v, filler], axis=0)
            padded[k] = t.reshape(full, t.concat([[groups, batch], t.shape(v)[1:]], axis=0))
        mapped = t.map_fn(call, padded, fn_output_signature=dict(out_signature))
        return {
            k: t.reshape(v, t.concat([[groups * batch], t.shape(v)[2:]], axis=0))[:total]
            for k, v in mapped.items()
        }

    return forward


def zeros_point(specs: tuple[TensorInfo, ...]) -> dict[str, np.ndarray]:
    """Zero default point for every input (float64 for float inputs, the input dtype else)."""
    return {s.name: np.zeros(s.shape, dtype="float64" if s.is_float else s.dtype) for s in specs}
