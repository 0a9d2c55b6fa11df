"""Rebuild a Keras model in float64, for accurate finite differences.

Setting the global dtype policy does not help because every layer's config carries its own
policy, so the config itself is rewritten: every floating dtype name found under a ``dtype`` or
``name`` key (layer dtypes, ``DTypePolicy`` configs, ``Input`` dtypes) becomes ``"float64"``.

The state is then copied the way Keras itself loads a saved model, layer by layer through
``save_own_variables``/``load_own_variables`` and ``save_assets``/``load_assets``, not with
``set_weights``. Only the load protocol restores state that lives outside the weight list or must
be recomputed from it: an adapted ``Normalization`` keeps its mean and variance as tensors that
``finalize_state`` derives from its variables (``set_weights`` leaves them at 0 and 1), lookup
layers keep their vocabulary in assets. Whatever a layer's protocol still misses is caught by
checking the copy against the model at the point (:mod:`jacgui.core.precision`).
"""

from __future__ import annotations

import tempfile
from typing import Any

import numpy as np

from .._tf import keras
from ..errors import ModelLoadError
from ..reasons import short_reason

# Mixed-precision policies are widened too: a float64 finite difference through float16
# compute would be no better than float32.
_WIDEN = {"float16", "bfloat16", "float32", "mixed_float16", "mixed_bfloat16"}
_LOW_PRECISION = ("float16", "bfloat16")


def widen_config(node: Any) -> Any:
    """Copy of a serialized Keras config with every float dtype name set to ``"float64"``."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("dtype", "name") and isinstance(value, str) and value in _WIDEN:
                out[key] = "float64"
            else:
                out[key] = widen_config(value)
        return out
    if isinstance(node, list):
        return [widen_config(v) for v in node]
    return node


def rebuild_float64(model: Any, *, unsafe: bool) -> Any:
    """A float64 copy of ``model`` carrying the same state.

    Raises
    ------
    ModelLoadError
        When the model cannot be rebuilt (custom layers that ignore their dtype, missing
        registrations, state that does not transfer); callers fall back to float32.
    """
    k = keras()
    try:
        config = widen_config(k.saving.serialize_keras_object(model))
        # safe_mode is passed per call: Keras keeps it in thread-local state, and the float64
        # copy is usually built in the engine's worker thread, not the one that loaded the model.
        clone = k.saving.deserialize_keras_object(config, safe_mode=not unsafe)
        copy_state(model, clone)
    except ModelLoadError:
        raise
    except Exception as exc:  # any failure means "no float64 for this model"
        raise ModelLoadError(f"cannot rebuild the model in float64: {short_reason(exc)}") from None
    return clone


def copy_state(source: Any, clone: Any) -> None:
    """Give every layer of ``clone`` the state of the same layer of ``source``.

    Both models come from the same config, so their layers pair up in order; a mismatch in
    class means the structure did not survive the rebuild. (Names may differ: a subclassed
    model's own layers get fresh automatic names in the copy.)
    """
    originals, copies = _all_layers(source), _all_layers(clone)
    if len(originals) != len(copies):
        raise ModelLoadError("cannot rebuild the model in float64: the copy has other layers")
    for original, copy in zip(originals, copies, strict=True):
        if type(original) is not type(copy):
            raise ModelLoadError("cannot rebuild the model in float64: layer "
                                 f"{original.name!r} became {copy.name!r}")
        store: dict[str, Any] = {}
        original.save_own_variables(store)
        copy.load_own_variables({key: _array(value) for key, value in store.items()})
        if hasattr(original, "save_assets") and hasattr(copy, "load_assets"):
            with tempfile.TemporaryDirectory(prefix="jacgui-assets-") as folder:
                original.save_assets(folder)
                copy.load_assets(folder)


def lowest_precision(source: Any) -> str:
    """The narrowest float dtype ``source`` computes in.

    ``"float16"``, ``"bfloat16"`` or ``"float32"`` (also for anything that is not a Keras
    model).
    """
    dtypes = {str(getattr(layer, "compute_dtype", "") or "") for layer in _all_layers(source)}
    low = [name for name in _LOW_PRECISION if name in dtypes]
    # bfloat16 has the larger epsilon (2^-8 against float16's 2^-11).
    return "bfloat16" if "bfloat16" in low else (low[0] if low else "float32")


def _array(value: Any) -> np.ndarray:
    # Keras variables convert through .numpy(); np.asarray on them warns under numpy 2.
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def _all_layers(model: Any) -> list[Any]:
    if not hasattr(model, "_flatten_layers"):
        return []
    try:
        return list(model._flatten_layers(include_self=True, recursive=True))
    except Exception:  # private API: a model that cannot be flattened has no layer list
        return []
