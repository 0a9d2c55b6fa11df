"""Loader for TensorFlow SavedModel directories (``model.export()``, ``tf.saved_model.save``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._tf import tf
from ..errors import ModelLoadError
from ..handle import ForwardFn, ModelHandle
from ..reasons import short_reason
from ..safety import check_savedmodel
from ..spec import TensorInfo
from ._common import (
    dtype_name,
    fixed_batch_call,
    static_shape,
    to_float32,
    zeros_point,
)

# Keras-2 and tf.saved_model.save name the default endpoint "serving_default"; Keras 3's
# model.export() adds "serve" as well.
SERVING_KEYS = ("serving_default", "serve")


def load_savedmodel(path: Path, *, unsafe: bool) -> ModelHandle:
    """Load a SavedModel and differentiate through its serving signature.

    Everything that loading or calling it can run is scanned first against the op allow-list
    (:func:`jacgui.core.safety.check_savedmodel`); an op off the list, or a TF1 SavedModel,
    refuses the load unless ``unsafe`` is true.
    """
    notes = list(check_savedmodel(path, unsafe=unsafe))
    try:
        loaded = tf().saved_model.load(str(path))
    except Exception as exc:  # every failure becomes a one-line load error
        raise ModelLoadError(f"cannot load SavedModel {path.name}: {short_reason(exc)}") from None
    signatures = dict(getattr(loaded, "signatures", {}) or {})
    key = next((k for k in SERVING_KEYS if k in signatures), None)
    if key is None and len(signatures) == 1:
        key = next(iter(signatures))
    if key is None:
        known = ", ".join(sorted(signatures)) or "none"
        raise ModelLoadError(
            f"SavedModel {path.name} has no serving signature "
            f"(expected 'serving_default' or 'serve'; found: {known})"
        )
    notes.append(f"signature {key!r}; float64 evaluation is not available for SavedModels")
    sig = signatures[key]
    args, kwargs = sig.structured_input_signature
    if args:
        raise ModelLoadError(f"signature {key!r} of {path.name} takes positional inputs")
    in_specs: dict[str, Any] = dict(kwargs)
    inputs = tuple(
        TensorInfo(n, static_shape(s.shape, f"input {n!r}"), dtype_name(s.dtype))
        for n, s in in_specs.items()
    )
    out_specs = sig.structured_outputs
    if not isinstance(out_specs, Mapping):
        out_specs = {"output_0": out_specs}
    outputs = tuple(
        TensorInfo(str(n), static_shape(s.shape, f"output {n!r}"), _out_dtype(s.dtype))
        for n, s in out_specs.items()
    )

    def call(batch: Mapping[str, Any]) -> dict[str, Any]:
        t = tf()
        result = sig(**{n: t.cast(batch[n], s.dtype) for n, s in in_specs.items()})
        if not isinstance(result, Mapping):
            result = {"output_0": result}
        return {str(n): to_float32(v) for n, v in result.items()}

    forward: ForwardFn = call
    batches = {s.shape[0] for s in in_specs.values()}
    fixed = next(iter(batches)) if len(batches) == 1 else None
    if fixed is not None:
        # Signatures are traced for one shape: they reject any other batch size outright.
        signature = {o.name: tf().TensorSpec((fixed, *o.shape), o.dtype) for o in outputs}
        forward = fixed_batch_call(call, int(fixed), signature)
        notes.append(f"the signature only accepts batches of {fixed}; inputs are padded to it")
    return ModelHandle(
        path=str(path),
        format="savedmodel",
        inputs=inputs,
        outputs=outputs,
        forward=forward,
        default_point=zeros_point(inputs),
        param_count=_param_count(sig),
        make_float64=None,
        notes=tuple(notes),
        # The signature holds only weak references to the restored object; keep it alive.
        source=loaded,
    )


def _out_dtype(dtype: Any) -> str:
    name = dtype_name(dtype)
    return "float32" if name in ("float16", "bfloat16") else name


def _param_count(sig: Any) -> int | None:
    try:
        variables = sig.variables
    except Exception:  # not every function exposes its captures
        return None
    if not variables:
        return None
    return int(sum(int(np.prod(v.shape)) for v in variables))
