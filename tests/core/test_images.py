"""The one image rule: layouts, short labels, and the default point of image models."""

from __future__ import annotations

import numpy as np
import pytest

from jacgui.core.images import image_layout, is_image
from jacgui.core.spec import TensorInfo


@pytest.mark.parametrize(("shape", "layout"), [
    ((28, 28), (28, 28, 1, True)),
    ((32, 24, 3), (32, 24, 3, True)),
    ((3, 32, 24), (32, 24, 3, False)),
    ((8, 8, 4), (8, 8, 4, True)),
])
def test_image_shapes(shape, layout):
    found = image_layout(shape)
    assert (found.height, found.width, found.channels, found.channels_last) == layout
    assert is_image(shape)


@pytest.mark.parametrize("shape", [(784,), (3, 3), (20, 5, 7), (16, 16, 6), (2, 8, 8, 3), ()])
def test_other_shapes_are_not_images(shape):
    assert not is_image(shape)


@pytest.mark.parametrize("shape", [(4, 5, 3), (3, 4, 5), (6, 7)])
def test_hwc_round_trip_and_labels_name_the_pixel(shape):
    layout = image_layout(shape)
    flat = np.arange(int(np.prod(shape)), dtype=float)
    np.testing.assert_array_equal(layout.from_hwc(layout.to_hwc(flat)), flat)
    hwc = layout.to_hwc(flat)
    # The label of an element names the (row, column, channel) where to_hwc puts it.
    for index in (0, 7, flat.size - 1):
        row, col, channel = (int(v) for v in np.argwhere(hwc == index)[0])
        expected = f"[{row},{col}]" if layout.channels == 1 else f"[{row},{col},{channel}]"
        assert layout.element_label(index) == expected


def test_labels_are_short_and_readable():
    assert TensorInfo("img", (4, 4, 3)).element_labels()[5] == "[0,1,2]"
    assert TensorInfo("x", (3,)).element_labels() == ("x[0]", "x[1]", "x[2]")
    # A generated name would make every label unreadable; the axis title names the tensor.
    assert TensorInfo("keras_tensor_587", (3,)).element_labels() == ("[0]", "[1]", "[2]")
    assert TensorInfo("seq", (20, 5, 7)).element_labels()[8] == "[0,1,1]"


def test_an_image_model_starts_from_the_sample_picture_not_zeros(loaded):
    handle = loaded["image"]  # img (4, 4, 3), no sidecar
    point = handle.default_point["img"]
    assert point.shape == (4, 4, 3) and handle.point_source == "sample image"
    assert np.all((point >= 0) & (point <= 1)) and np.ptp(point) > 0.1  # a picture, not flat
    assert any("sample picture" in note and "[0, 1]" in note for note in handle.notes)


def test_a_sidecar_point_wins_over_the_sample_picture(models, tmp_path):
    import shutil

    from jacgui.core.loading import load_model
    from tests.core.model_factory import write_sidecar

    path = tmp_path / "img.keras"
    shutil.copy(models["image"], path)
    write_sidecar(path, {"inputs": {"img": {"point": np.full((4, 4, 3), 0.25).tolist()}}})
    handle = load_model(path)
    np.testing.assert_array_equal(handle.default_point["img"], 0.25)
    assert handle.point_source == "sidecar"


def test_channels_first_images_are_read_into_their_layout(tmp_path):
    from PIL import Image

    from jacgui.core.points import point_from_image

    pixels = np.zeros((6, 5, 3), dtype=np.uint8)
    pixels[..., 0] = 255  # pure red
    Image.fromarray(pixels, "RGB").save(tmp_path / "red.png")
    value = point_from_image(tmp_path / "red.png", TensorInfo("chw", (3, 6, 5)))
    assert value.shape == (3, 6, 5)
    np.testing.assert_allclose(value[0], 1.0)
    np.testing.assert_allclose(value[1:], 0.0)
