"""Shared test set-up: no display is needed anywhere in the suite."""

from __future__ import annotations

import os

from hypothesis import settings

from tests.ci import in_ci

# Must happen before any Qt import, including pytest-qt's own.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

# Under CI (the runner sets CI=true) hypothesis draws the same examples on every run, so a red
# build can be re-run and read; on a developer machine the examples vary from run to run and
# keep looking for new failures (found ones are replayed from .hypothesis/).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if in_ci():
    settings.load_profile("ci")
