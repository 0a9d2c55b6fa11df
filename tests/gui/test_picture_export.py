"""PNG and SVG pictures of the heatmap, and headless rendering."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6 import QtGui, QtSvg

from jacgui.gui import colormaps
from jacgui.gui.heatmap import HeatmapView
from jacgui.gui.picture_export import export_picture, export_png, export_svg
from jacgui.gui.render import render_result_image
from jacgui.gui.svg_fix import ensure_svg_export_works, svg_export_needs_fix

from .test_heatmap import make_result, settle

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def view(qtbot) -> HeatmapView:
    w = HeatmapView()
    # These tests read cell colours at cell centres; the value texts of small matrices sit
    # there (they have their own test).
    w.show_values(False)
    qtbot.addWidget(w)
    w.resize(640, 420)
    w.show()
    qtbot.waitExposed(w)
    return w


def extreme_result():
    # +max at (0, 0) and -max at (0, 1): the colour map's top and bottom colours.
    m = np.array([[2.0, -2.0, 0.5, 0.0], [1.0, -1.0, 0.25, 0.0], [0.0, 0.1, -0.1, 0.0]])
    return make_result(m, output_labels=("flow", "head", "level"),
                       input_labels=("rw", "r", "Tu", "Hu"), input_name="borehole_inputs")


def pixel(image: QtGui.QImage, view: HeatmapView, row: int, col: int, scale: float) -> np.ndarray:
    p = view.graphics_view().mapFromScene(view.cell_scene_pos(row, col))
    c = image.pixelColor(round(p.x() * scale), round(p.y() * scale))
    return np.array([c.red(), c.green(), c.blue()])


def test_png_size_colours_and_crisp_cells(qtbot, view: HeatmapView, tmp_path) -> None:
    view.set_result(extreme_result())
    settle(qtbot, view)
    scale = 4.0
    path = export_png(view, tmp_path / "heat.png", scale=scale)
    image = QtGui.QImage(str(path))
    gv = view.graphics_view()
    assert abs(image.width() - gv.width() * scale) <= 1
    assert abs(image.height() - gv.height() * scale) <= 1
    lut = colormaps.lookup_table("CET-D1").astype(int)
    assert np.abs(pixel(image, view, 0, 0, scale) - lut[-1]).max() <= 2
    assert np.abs(pixel(image, view, 0, 1, scale) - lut[0]).max() <= 2
    assert np.abs(pixel(image, view, 2, 3, scale) - lut[128]).max() <= 3  # zero -> neutral
    # Each cell is a flat block (no smoothing between cells): sample its inner 80 %.
    arr = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    arr = arr[:, : image.width() * 4].reshape(image.height(), image.width(), 4)
    rect = view.image_item().mapRectToScene(view.image_item().boundingRect())
    cw, ch = rect.width() / 4 * scale, rect.height() / 3 * scale
    for row, col in [(0, 0), (0, 1), (1, 2), (2, 1)]:
        centre = gv.mapFromScene(view.cell_scene_pos(row, col))
        cx, cy = centre.x() * scale, centre.y() * scale
        block = arr[round(cy - 0.4 * ch): round(cy + 0.4 * ch),
                    round(cx - 0.4 * cw): round(cx + 0.4 * cw)]
        assert block.size > 0
        assert (block == block[0, 0]).all(), f"cell ({row}, {col}) is not flat"
    # Not blank: labels and colour bar put dark pixels outside the matrix.
    assert (arr[..., :3].max(axis=2) < 60).sum() > 200


def test_svg_is_valid_xml_with_labels_colorbar_and_crisp_image(qtbot, view, tmp_path) -> None:
    view.set_result(extreme_result(), title="J at x0")
    settle(qtbot, view)
    path = export_svg(view, tmp_path / "heat.svg")
    root = ET.parse(path).getroot()
    texts = {"".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")}
    assert {"flow", "head", "level", "rw", "Tu", "Hu", "J at x0"} <= texts
    assert "input: borehole_inputs" in texts and "output: y" in texts
    assert {"-2", "0", "2"} <= texts  # colour-bar ticks
    images = list(root.iter(f"{SVG}image"))
    assert len(images) >= 2  # the matrix and the colour bar
    assert "pixelated" in path.read_text()
    renderer = QtSvg.QSvgRenderer(str(path))
    assert renderer.isValid()


def test_svg_fix_is_installed_only_when_needed() -> None:
    ensure_svg_export_works()
    assert not svg_export_needs_fix()


def test_export_picture_dispatches_on_suffix(qtbot, view, tmp_path) -> None:
    view.set_result(extreme_result())
    assert export_picture(view, tmp_path / "a.SVG").read_bytes().startswith(b"<?xml")
    assert QtGui.QImage(str(export_picture(view, tmp_path / "a.png", 1.0))).width() > 0
    with pytest.raises(ValueError):
        export_picture(view, tmp_path / "a.jpg")


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_render_result_image_headless(qtbot, tmp_path, suffix: str) -> None:
    path = render_result_image(extreme_result(), tmp_path / f"heat{suffix}", scale=1.5,
                               value_scale="symlog", size=(600, 400))
    if suffix == ".png":
        image = QtGui.QImage(str(path))
        assert image.width() == 900
        assert 400 < image.height() <= 600
    else:
        texts = {"".join(t.itertext()).strip() for t in ET.parse(path).getroot().iter(f"{SVG}text")}
        assert "flow" in texts and "0" in texts
