"""Rebuild a Keras model in float64, for accurate finite differences.

Setting the global dtype policy does not help because every layer's config carries its own
policy, so the config itself is rewritten: every floating dtype name found under a ``dtype`` or
``name`` key (layer dtypes, ``DTypePolicy`` configs, ``Input`` dtypes) becomes ``"float64"``.
"""

from __future__ import annotations

from typing import Any

from .._tf import keras
from ..errors import ModelLoadError
from ._common import short_message

# Mixed-precision policies are widened too: a float64 finite difference through float16
# compute would be no better than float32.
_WIDEN = {"float16", "bfloat16", "float32", "mixed_float16", "mixed_bfloat16"}


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
    """A float64 copy of ``model`` with the same weights.

    Raises
    ------
    ModelLoadError
        When the model cannot be rebuilt (custom layers that ignore their dtype, missing
        registrations); callers fall back to float32.
    """
    k = keras()
    try:
        config = widen_config(k.saving.serialize_keras_object(model))
        # safe_mode is passed per call: Keras keeps it in thread-local state, and the float64
        # copy is usually built in the engine's worker thread, not the one that loaded the model.
        clone = k.saving.deserialize_keras_object(config, safe_mode=not unsafe)
        clone.set_weights([w.astype("float64") for w in model.get_weights()])
    except Exception as exc:  # noqa: BLE001 - any failure means "no float64 for this model"
        raise ModelLoadError(f"cannot rebuild the model in float64: {short_message(exc)}") from None
    return clone
