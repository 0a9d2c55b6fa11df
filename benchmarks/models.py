"""The five reference models of the performance issue, built with fixed seeds."""

from __future__ import annotations

import keras


def _mlp(sizes: list[int], name: str) -> keras.Model:
    inputs = keras.Input((sizes[0],), name="x")
    h = inputs
    for width in sizes[1:-1]:
        h = keras.layers.Dense(width, activation="tanh")(h)
    outputs = keras.layers.Dense(sizes[-1], name="y")(h)
    return keras.Model(inputs, outputs, name=name)


def _cnn(shape: tuple[int, int, int], filters: list[int], classes: int, name: str) -> keras.Model:
    inputs = keras.Input(shape, name="image")
    h = inputs
    for width in filters:
        h = keras.layers.Conv2D(width, 3, padding="same", activation="relu")(h)
        h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Flatten()(h)
    outputs = keras.layers.Dense(classes, name="scores")(h)
    return keras.Model(inputs, outputs, name=name)


def build_models() -> dict[str, keras.Model]:
    """A-E of the issue's table: name -> untrained but seeded Keras model."""
    keras.utils.set_random_seed(0)
    return {
        "A mlp 784-256-256-10": _mlp([784, 256, 256, 10], "A"),
        "B cnn 28x28x1->10": _cnn((28, 28, 1), [32, 64], 10, "B"),
        "C mlp 8-512-512-1000": _mlp([8, 512, 512, 1000], "C"),
        "D mlp 512-1024-512": _mlp([512, 1024, 512], "D"),
        "E cnn 64x64x3->100": _cnn((64, 64, 3), [32, 64, 128], 100, "E"),
    }
