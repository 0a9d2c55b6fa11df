"""Lazy TensorFlow import: the window must appear before TensorFlow has loaded."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

_lock = threading.Lock()


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence file descriptor 2 while TensorFlow's C++ runtime starts.

    TensorFlow prints oneDNN and CUDA notices before its own log level is read, so the
    environment variable alone cannot keep them off a user's terminal.
    """
    if os.environ.get("JACGUI_DEBUG"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def tf() -> Any:
    """Import TensorFlow (and Keras) on first use, with its start-up chatter silenced."""
    module = sys.modules.get("tensorflow")
    if module is not None and "keras" in sys.modules:
        return module
    with _lock:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        with _quiet_stderr():
            import keras  # noqa: F401 - its import also prints notices
            import tensorflow

            tensorflow.get_logger().setLevel("ERROR")
            tensorflow.autograph.set_verbosity(0)
    return tensorflow


def keras() -> Any:
    """Import Keras 3 on first use."""
    tf()
    import keras as keras_module

    return keras_module


def device_description() -> str:
    """Where TensorFlow computes: ``"CPU"`` or ``"GPU: <names>"``."""
    names = []
    for gpu in tf().config.list_physical_devices("GPU"):
        details = tf().config.experimental.get_device_details(gpu)
        names.append(details.get("device_name", gpu.name.split(":", 1)[-1]))
    return "GPU: " + ", ".join(names) if names else "CPU"
