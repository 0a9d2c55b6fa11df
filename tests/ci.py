"""Whether the suite runs under CI, where nothing may be skipped and runs must repeat."""

from __future__ import annotations

import os


def in_ci() -> bool:
    """True when the CI runner started us (it sets ``CI=true``; ``1`` and ``yes`` count too)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
