"""Shared test set-up: no display is needed anywhere in the suite."""

from __future__ import annotations

import os

# Must happen before any Qt import, including pytest-qt's own.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
