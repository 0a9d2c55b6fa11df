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


def onednn_enabled() -> bool:
    """Whether TensorFlow runs its oneDNN CPU kernels in this process (imports TensorFlow).

    Under oneDNN, vectorised Jacobians through batched matmuls crash or return wrong numbers
    (see :data:`jacgui.core.selection.VECTORISATION_HAZARDS`). When TensorFlow cannot say,
    oneDNN is assumed on, which only costs speed.
    """
    tf()
    try:
        from tensorflow.python.util import _pywrap_util_port
    except ImportError:
        return True
    return bool(_pywrap_util_port.IsMklEnabled())


def disable_onednn() -> bool:
    """Turn TensorFlow's oneDNN CPU kernels off for this process, before TensorFlow loads.

    TensorFlow reads ``TF_ENABLE_ONEDNN_OPTS`` once, at import. Without oneDNN, vectorised
    Jacobians through attention layers and batched matmuls are correct, and 10-13 times
    faster than the non-vectorised loop the engine uses for them under oneDNN; but dense and
    large convolutional models lose 1.3-1.7x (benchmarks/onednn_attention.py). So it is a
    per-model choice for a process that runs the engine: worth it when
    ``Problem.facts().hazards`` is not empty for the selection being differentiated.

    Returns
    -------
    bool
        True when oneDNN will be off; False when TensorFlow was already imported with it on.
    """
    if "tensorflow" in sys.modules:
        return os.environ.get("TF_ENABLE_ONEDNN_OPTS", "").lower() in ("0", "false")
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
    return True


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
