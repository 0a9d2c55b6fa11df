"""One loader per model format; :func:`jacgui.core.loading.load_model` picks among them."""

from __future__ import annotations
