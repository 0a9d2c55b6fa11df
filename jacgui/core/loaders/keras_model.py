"""Loader for Keras 3 ``.keras`` archives and legacy ``.h5``/``.hdf5`` files."""

from __future__ import annotations

import re
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from .._tf import keras, tf
from ..errors import ModelLoadError, UnsafeModelError
from ..handle import ForwardFn, ModelHandle
from ..keras_prescan import prescan_keras
from ..reasons import short_reason
from ..spec import TensorInfo
from ._common import (
    dtype_name,
    fixed_batch_call,
    static_shape,
    to_float32,
    zeros_point,
)
from .float64 import rebuild_float64

_MISSING_CLASS = re.compile(r"Could not locate (?:class|function) '([^']+)'")


def load_keras(path: Path, *, unsafe: bool) -> ModelHandle:
    """Load a ``.keras``/``.h5`` file with ``compile=False`` and ``safe_mode=not unsafe``.

    The config is pre-scanned first (:func:`jacgui.core.keras_prescan.prescan_keras`): what
    Keras's safe mode lets through (a Lambda calling a class, foreign-code layers, strings
    where tensors belong) refuses the load unless ``unsafe`` is true.
    """
    fmt = "keras" if path.suffix.lower() == ".keras" else "h5"
    if fmt == "keras" and not zipfile.is_zipfile(path):
        raise ModelLoadError(
            f"{path.name} is not a valid .keras file (not a zip archive; truncated or corrupt?)"
        )
    notes: list[str] = []
    if fmt == "h5":
        version = _h5_keras_version(path)
        if version.startswith("2."):
            notes.append(f"Keras {version} HDF5 file loaded with compile=False")
        else:
            notes.append("legacy HDF5 file loaded with compile=False")
    notes.extend(prescan_keras(path, unsafe=unsafe))
    if unsafe:
        notes.append("loaded with safe_mode off (unsafe=True)")
    model = _load(path, unsafe)
    adapter = _KerasAdapter(model, path.name)
    handle = adapter.handle(str(path), fmt, notes)
    handle.make_float64 = lambda: _float64_forward(model, adapter, unsafe)
    return handle


def _load(path: Path, unsafe: bool) -> Any:
    k = keras()
    try:
        # compile=False: Keras-2 files fail on their saved metrics otherwise (keras#19330), and
        # jacgui never trains. safe_mode is passed per call because Keras keeps it thread-local.
        with warnings.catch_warnings():
            # Advice to the model's author ("Do not pass an input_shape argument to a layer",
            # from Keras-2 configs) would land on the user's terminal; the user cannot act on it.
            warnings.simplefilter("ignore", UserWarning)
            return k.saving.load_model(str(path), compile=False, safe_mode=not unsafe)
    except Exception as exc:  # every failure becomes a one-line load error
        text = str(exc)
        if "safe_mode" in text or "unsafe_deserialization" in text:
            what = "a Lambda layer" if "Lambda" in text else "code"
            raise UnsafeModelError(
                f"{path.name} contains {what} that safe mode refuses to deserialize; load it with "
                "--unsafe / unsafe=True only if you trust the file"
            ) from None
        missing = _MISSING_CLASS.search(text)
        if missing:
            raise ModelLoadError(
                f"{path.name} uses the custom class {missing.group(1)!r}, which is not registered; "
                "decorate it with @keras.saving.register_keras_serializable() and import it first"
            ) from None
        if isinstance(exc, OSError) and "signature" in text:
            raise ModelLoadError(
                f"{path.name} is not a valid HDF5 file (corrupt or truncated?)"
            ) from None
        raise ModelLoadError(f"cannot load {path.name}: {short_reason(exc)}") from None


def _h5_keras_version(path: Path) -> str:
    try:
        import h5py

        with h5py.File(path, "r") as f:
            version = f.attrs.get("keras_version", "")
    except Exception:  # Keras reports unreadable files itself
        return ""
    return version.decode() if isinstance(version, bytes) else str(version)


class _KerasAdapter:
    """Input/output bookkeeping of one Keras model, reusable for its float64 copy."""

    def __init__(self, model: Any, filename: str) -> None:
        self.model = model
        self.filename = filename
        symbolic = _symbolic_inputs(model, filename)
        struct = getattr(model, "_inputs_struct", None)
        if isinstance(struct, Mapping):
            self.input_names = list(struct.keys())
            tensors = [struct[k] for k in self.input_names]
            self.pack = "dict"
        else:
            tensors = list(symbolic)
            self.input_names = _input_names(tensors)
            self.pack = "list" if isinstance(struct, (list, tuple)) else "single"
        self.input_dtypes = [dtype_name(t.dtype) for t in tensors]
        self.inputs = tuple(
            TensorInfo(n, static_shape(t.shape, f"input {n!r}"), d)
            for n, t, d in zip(self.input_names, tensors, self.input_dtypes, strict=True)
        )
        batches = {t.shape[0] for t in tensors}
        self.fixed_batch = next(iter(batches)) if len(batches) == 1 else None
        self.output_keys: list[Any] = []
        self.output_names: list[str] = []
        self.needs_fixed = False
        self.outputs = self._probe(model)

    def _args(self, inputs: Mapping[str, Any], float_dtype: str | None = None) -> Any:
        t = tf()
        dtypes = [
            float_dtype if float_dtype and s.is_float else s.dtype for s in self.inputs
        ]
        values = [t.cast(inputs[n], d) for n, d in zip(self.input_names, dtypes, strict=True)]
        if self.pack == "dict":
            return dict(zip(self.input_names, values, strict=True))
        return values if self.pack == "list" else values[0]

    def _zeros(self, batch: int) -> dict[str, Any]:
        t = tf()
        return {s.name: t.zeros((batch, *s.shape), dtype=s.dtype) for s in self.inputs}

    def _probe(self, model: Any) -> tuple[TensorInfo, ...]:
        try:
            out = model(self._args(self._zeros(1)), training=False)
        except Exception as exc:
            if self.fixed_batch in (None, 1):
                raise ModelLoadError(
                    f"{self.filename}: calling the model failed: {short_reason(exc)}"
                ) from None
            self.needs_fixed = True
            out = self._call_fixed_probe(model)
        else:
            if self.fixed_batch is not None and self.fixed_batch > 1:
                # A declared batch size is often only a hint; check whether another size runs.
                try:
                    model(self._args(self._zeros(self.fixed_batch + 1)), training=False)
                except Exception:
                    self.needs_fixed = True
        if isinstance(out, Mapping):
            self.output_keys = list(out.keys())
            self.output_names = [str(k) for k in self.output_keys]
            values = [out[k] for k in self.output_keys]
        else:
            values = list(out) if isinstance(out, (list, tuple)) else [out]
            names = _output_names(model, len(values))
            listed = isinstance(out, (list, tuple))
            self.output_keys = list(range(len(values))) if listed else [None]
            self.output_names = names
        return tuple(
            TensorInfo(n, tuple(int(d) for d in v.shape[1:]), dtype_name(to_float32(v).dtype))
            for n, v in zip(self.output_names, values, strict=True)
        )

    def _call_fixed_probe(self, model: Any) -> Any:
        try:
            out = model(self._args(self._zeros(self.fixed_batch)), training=False)
        except Exception as exc:
            raise ModelLoadError(
                f"{self.filename}: calling the model failed: {short_reason(exc)}"
            ) from None
        if isinstance(out, Mapping):
            return {k: v[:1] for k, v in out.items()}
        if isinstance(out, (list, tuple)):
            return [v[:1] for v in out]
        return out[:1]

    def forward(self, model: Any, float_dtype: str | None = None) -> ForwardFn:
        """The batched inference call of ``model`` (this adapter's model or its float64 copy).

        ``float_dtype`` overrides the dtype that float inputs are cast to (``"float64"`` for the
        float64 copy); by default they take the dtype of the model's inputs.
        """

        def call(inputs: Mapping[str, Any]) -> dict[str, Any]:
            out = model(self._args(inputs, float_dtype), training=False)
            if self.output_keys == [None]:
                return {self.output_names[0]: to_float32(out)}
            pairs = zip(self.output_names, self.output_keys, strict=True)
            return {n: to_float32(out[k]) for n, k in pairs}

        if not self.needs_fixed:
            return call
        t = tf()
        signature = {
            o.name: t.TensorSpec((self.fixed_batch, *o.shape), _out_dtype(o, float_dtype))
            for o in self.outputs
        }
        return fixed_batch_call(call, self.fixed_batch, signature)

    def handle(self, path: str, fmt: str, notes: list[str]) -> ModelHandle:
        """The :class:`ModelHandle` of the adapter's own model."""
        model = self.model
        if self.needs_fixed:
            notes.append(
                f"the model only runs on batches of {self.fixed_batch}; inputs are padded to "
                "that size"
            )
        low = sorted({_compute_dtype(layer) for layer in _layers(model)} & {"float16", "bfloat16"})
        if low:
            notes.append(f"the model computes in {'/'.join(low)}; outputs are cast to float32")
        try:
            params: int | None = int(model.count_params())
        except Exception:  # unbuilt models cannot count
            params = None
        return ModelHandle(
            path=path,
            format=fmt,
            inputs=self.inputs,
            outputs=self.outputs,
            forward=self.forward(model),
            default_point=zeros_point(self.inputs),
            param_count=params,
            notes=tuple(notes),
            source=model,
        )


def _float64_forward(model: Any, adapter: _KerasAdapter, unsafe: bool) -> ForwardFn:
    clone = rebuild_float64(model, unsafe=unsafe)
    forward = adapter.forward(clone, "float64")
    try:
        zeros = {
            s.name: tf().zeros((1, *s.shape), dtype="float64" if s.is_float else s.dtype)
            for s in adapter.inputs
        }
        result = forward(zeros)
    except Exception as exc:  # the engine falls back to float32 on ModelLoadError
        raise ModelLoadError(f"the float64 copy of the model fails: {short_reason(exc)}") from None
    narrow = sorted(n for n, v in result.items() if v.dtype.is_floating and v.dtype != "float64")
    if narrow:
        # Layers created in a subclass's __init__ keep their own float32 policy.
        raise ModelLoadError(f"the float64 copy still computes {', '.join(narrow)} in float32")
    return forward


def _out_dtype(spec: TensorInfo, float_dtype: str | None) -> str:
    return float_dtype if float_dtype and spec.is_float else spec.dtype


def _input_names(tensors: list[Any]) -> list[str]:
    # Sequential models name their input tensor "keras_tensor_N"; that means nothing to a user.
    names = [str(t.name) for t in tensors]
    if any(n.startswith("keras_tensor") for n in names) or len(set(names)) != len(names):
        return ["x"] if len(names) == 1 else [f"input_{i}" for i in range(len(names))]
    return names


def _output_names(model: Any, count: int) -> list[str]:
    names = list(getattr(model, "output_names", None) or [])
    if len(names) != count:
        try:
            names = [o._keras_history.operation.name for o in model.outputs]
        except Exception:  # private API; any failure means generic names
            names = []
    if len(names) != count or len(set(names)) != count:
        names = [f"output_{i}" for i in range(count)]
    return [str(n) for n in names]


def _layers(model: Any) -> list[Any]:
    try:
        return list(model._flatten_layers(include_self=False))
    except Exception:  # private API; fall back to the top-level layers
        return list(getattr(model, "layers", []))


def _compute_dtype(layer: Any) -> str:
    return str(getattr(layer, "compute_dtype", "") or "")


def _symbolic_inputs(model: Any, filename: str) -> list[Any]:
    try:
        symbolic = model.inputs
    except Exception:  # subclassed and unbuilt models have no symbolic inputs
        symbolic = None
    if symbolic:
        return list(symbolic)
    # A built subclassed model still records the shape it was built with: one input "x".
    try:
        shape = (model.get_build_config() or {}).get("input_shape")
    except Exception:
        shape = None
    if isinstance(shape, (list, tuple)) and all(d is None or isinstance(d, int) for d in shape):
        dtype = getattr(model, "input_dtype", None) or "float32"
        return [SimpleNamespace(name="x", shape=tuple(shape), dtype=dtype)]
    raise ModelLoadError(
        f"{filename}: the model has no defined inputs (never built?); build it on data or "
        "save a functional model"
    )
