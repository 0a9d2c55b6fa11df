"""Saliency and gradient × input over an image-shaped input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .analysis_support import analysis_window, start  # noqa: F401

__all__ = ["analysis_window"]


def test_saliency_overlay_opacity_and_export(qtbot: Any, analysis_window: Any,
                                             tmp_path: Path) -> None:
    session = analysis_window
    result = start(qtbot, session, "image.keras")  # y = flatten(img) @ W: row i of J is W[:, i]
    panel = session.analysis
    assert panel.isTabEnabled(panel.indexOf(panel.images))
    assert session.window.tabs.isTabEnabled(1)  # the sensitivity map still works beside it
    session.window.tabs.setCurrentWidget(panel)
    panel.setCurrentWidget(panel.images)
    session.heatmap.select_cell(2, 5)
    view = panel.images
    assert view.output.currentIndex() == 2
    expected = np.abs(result.matrix[2]).reshape(8, 8)
    np.testing.assert_allclose(view.image_map().values, expected)
    np.testing.assert_allclose(view.overlay.image, expected)
    assert view.colorbar.levels() == (0.0, expected.max())
    view.opacity.setValue(25)
    assert view.overlay.opacity() == 0.25
    # Gradient × input at the all-zero default point is zero everywhere.
    view.kind.setCurrentIndex(view.kind.findData("gxi"))
    np.testing.assert_array_equal(view.image_map().values, np.zeros((8, 8)))
    view.export_data(tmp_path / "map.json")
    doc = json.loads((tmp_path / "map.json").read_text())
    assert doc["analysis"] == "gxi" and np.array(doc["values"]).shape == (8, 8)
    view.export_picture(tmp_path / "map.png")
    assert (tmp_path / "map.png").stat().st_size > 1000


def test_image_maps_tab_is_off_for_vector_inputs(qtbot: Any, analysis_window: Any) -> None:
    session = analysis_window
    start(qtbot, session, "linear.keras")
    panel = session.analysis
    assert not panel.isTabEnabled(panel.indexOf(panel.images))
