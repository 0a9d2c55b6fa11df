"""Lazy TensorFlow import: the window must appear before TensorFlow has loaded."""

from __future__ import annotations

import os
from typing import Any


def tf() -> Any:
    """Import TensorFlow on first use, with its C++ start-up chatter silenced."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow

    return tensorflow


def keras() -> Any:
    """Import Keras 3 on first use."""
    tf()
    import keras as keras_module

    return keras_module
