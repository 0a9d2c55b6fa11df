"""The image-model workflow on a MobileNet-like model, through the real loader and engine.

The network is built like a MobileNet block: a strided convolution, batch norm, ReLU6, a
depthwise convolution, a 1x1 projection, global pooling and softmax, untrained. It is saved as a
real ``.keras`` file whose input has a generated name, as keras.applications models do. Opened in
the window:
- the point is a picture, not zeros;
- the labels are short;
- at an all-zero input every ReLU6 sits on its kink, the Jacobian is exactly zero, and the
  window says why.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from jacgui.core.spec import SHORT_NAME

from .window_driver import start, wait_result


@pytest.fixture(scope="module")
def mobilenet_like(tmp_path_factory: pytest.TempPathFactory) -> str:
    import keras

    inputs = keras.Input((32, 32, 3))  # no name: Keras generates one
    h = keras.layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(inputs)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.ReLU(6.0)(h)
    h = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False)(h)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.ReLU(6.0)(h)
    h = keras.layers.Conv2D(16, 1, use_bias=False)(h)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    outputs = keras.layers.Dense(4, activation="softmax")(h)
    path = tmp_path_factory.mktemp("mobilenet") / "mobilenet_like.keras"
    keras.Model(inputs, outputs).save(path)
    return str(path)


def test_mobilenet_like_model_opens_on_a_picture_with_readable_labels(
        qtbot: Any, make_session: Any, real_engine: Any, mobilenet_like: str) -> None:
    session = make_session(real_engine)
    result = start(qtbot, session, mobilenet_like)
    state = session.state
    point = state.point.value(state.input_name)
    assert point.shape == (32, 32, 3)
    assert np.ptp(point) > 0.1, "the default point is a picture, not zeros and not flat"
    assert result.matrix.shape == (4, 32 * 32 * 3)
    assert np.abs(result.matrix).max() > 0 and not result.warnings
    # Pixel labels name the pixel; the generated tensor name is in none of them.
    assert result.input_labels[:2] == ("[0,0,0]", "[0,0,1]")
    assert result.input_labels[-1] == "[31,31,2]"
    labels = (*result.input_labels, *result.output_labels)
    # Short enough for the heatmap's axis: a short name, even one Keras numbered by how many
    # layers the process made ('dense_37'), keeps its place; a long one gives way to the index.
    assert max(len(label) for label in labels) <= SHORT_NAME + len("[99]")
    assert not any("keras_tensor" in label or "input_layer" in label for label in labels)
    assert not session.window.views.notes.isVisible()


def test_an_all_zero_image_says_why_its_jacobian_vanishes(
        qtbot: Any, make_session: Any, real_engine: Any, mobilenet_like: str) -> None:
    session = make_session(real_engine)
    start(qtbot, session, mobilenet_like)
    state = session.state
    result = wait_result(qtbot, session,
                         lambda: state.point.set(state.input_name, np.zeros((32, 32, 3))))
    assert not np.any(result.matrix), "ReLU6 at 0 passes no gradient: J is exactly zero"
    notes = session.window.views.notes
    assert notes.isVisible()
    assert "exactly zero" in notes.text() and "all-zero input" in notes.text()
    assert "try another point" in notes.text()
