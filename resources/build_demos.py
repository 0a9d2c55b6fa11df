"""Rebuild the bundled binary demo models and their ``.jacgui.json`` sidecars, in place.

Usage::

    python resources/build_demos.py            # all models
    python resources/build_demos.py borehole   # only some: oscillator, borehole, digits

Seeds are fixed and TensorFlow's op determinism is on, so a rebuild reproduces the same weights
on the same software stack (the ``.keras`` zip still differs by its save date). It prints the
accuracy each model reached on a held-out set; ``resources/README.md`` quotes those numbers and
``tests/test_resources.py`` checks them. Takes about a minute on 2 CPU cores.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True  # no __pycache__ inside the shipped resources folder

import demo_functions as demo  # noqa: E402

MODELS = HERE / "models"
SEED = 20240601


def _keras():
    import keras
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    return keras


def _fit(model, x, y, *, epochs: int, batch_size: int, lr: float, loss: str = "mse") -> None:
    """Adam with a cosine-decayed learning rate; quiet."""
    keras = _keras()
    steps = epochs * int(np.ceil(len(x) / batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(lr, decay_steps=steps, alpha=0.01)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss)
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, shuffle=True)


def _save(model, name: str, sidecar: dict) -> None:
    """Save ``models/<name>.keras`` (weights only, no optimizer state) and its sidecar."""
    keras = _keras()
    # A fresh, uncompiled copy: Keras 3 would otherwise store the Adam moments (3x the size);
    # clone_model() is no help, it compiles the clone like the original.
    clean = keras.Model.from_config(model.get_config())
    clean.set_weights(model.get_weights())
    path = MODELS / f"{name}.keras"
    clean.save(path)
    big = any(len(spec.get("point", ())) > 100 for spec in sidecar["inputs"].values())
    text = json.dumps(sidecar, indent=None if big else 1, ensure_ascii=False)
    sidecar_path = MODELS / f"{name}.jacgui.json"
    sidecar_path.write_text(text + "\n")
    print(f"  wrote {path.name} ({path.stat().st_size / 1024:.0f} KiB), "
          f"{sidecar_path.name} ({sidecar_path.stat().st_size / 1024:.1f} KiB)")


def _mlp(keras, n_in: int, n_out: int, width: int, depth: int, mean, std, input_name: str):
    """Input -> fixed Normalization -> ``depth`` tanh Dense layers -> linear Dense head."""
    inputs = keras.Input(shape=(n_in,), name=input_name)
    h = keras.layers.Normalization(mean=mean, variance=np.square(std), name="normalize")(inputs)
    for i in range(depth):
        h = keras.layers.Dense(width, activation="tanh", name=f"hidden{i + 1}")(h)
    return inputs, keras.layers.Dense(n_out, name="head")(h)


def build_borehole() -> None:
    """Surrogate of the borehole function on its standard box; input normalisation inside."""
    keras = _keras()
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    names = list(demo.BOREHOLE_INPUTS)
    box = [(lo, hi) for lo, hi, _ in demo.BOREHOLE_INPUTS.values()]
    x_train, x_test = demo.sample_box(box, 40000, rng), demo.sample_box(box, 5000, rng)
    y_train, y_test = demo.borehole(x_train), demo.borehole(x_test)
    y_mean, y_std = float(y_train.mean()), float(y_train.std())

    inputs, head = _mlp(keras, 8, 1, 64, 3, x_train.mean(0), x_train.std(0), "borehole_inputs")
    # Undo the target scaling inside the model, so it outputs m^3/yr; shape (1,) per sample.
    flow = keras.layers.Rescaling(scale=y_std, offset=y_mean, name="flow")(head)
    model = keras.Model(inputs, flow, name="borehole_surrogate")
    x_fit = x_train.astype("float32")
    y_fit = ((y_train - y_mean) / y_std).astype("float32")[:, None]
    body = keras.Model(inputs, head)  # train the scaled head; the Rescaling is fixed
    _fit(body, x_fit, y_fit, epochs=120, batch_size=256, lr=3e-3)

    pred = model.predict(x_test.astype("float32"), verbose=0)[:, 0]
    rel_rmse = np.sqrt(np.mean((pred - y_test) ** 2)) / np.mean(y_test)
    rel_max = np.max(np.abs(pred - y_test) / y_test)
    nominal = np.array([demo.BOREHOLE_NOMINAL])
    pred_nom = float(model.predict(nominal.astype("float32"), verbose=0)[0, 0])
    true_nom = float(demo.borehole(nominal)[0])
    print(f"borehole: held-out RMSE / mean flow = {rel_rmse:.4f}, max rel. error = {rel_max:.4f}; "
          f"nominal: {pred_nom:.3f} vs exact {true_nom:.3f} "
          f"({abs(pred_nom - true_nom) / true_nom:.4%})")
    _save(model, "borehole", {
        "inputs": {"borehole_inputs": {"names": names, "point": demo.BOREHOLE_NOMINAL}},
        "outputs": {"flow": {"names": ["water flow [m^3/yr]"]}},
    })


def build_oscillator() -> None:
    """Surrogate of a damped oscillator's displacement at 20 times: the default demo."""
    keras = _keras()
    keras.utils.set_random_seed(SEED + 1)
    rng = np.random.default_rng(SEED + 1)
    names = list(demo.OSCILLATOR_INPUTS)
    box = [(lo, hi) for lo, hi, _ in demo.OSCILLATOR_INPUTS.values()]
    nominal = [nom for _, _, nom in demo.OSCILLATOR_INPUTS.values()]
    x_train, x_test = demo.sample_box(box, 40000, rng), demo.sample_box(box, 5000, rng)
    y_train, y_test = demo.oscillator(x_train), demo.oscillator(x_test)

    inputs, head = _mlp(keras, 5, len(demo.OSCILLATOR_TIMES), 128, 3,
                        x_train.mean(0), x_train.std(0), "oscillator_params")
    displacement = keras.layers.Identity(name="displacement")(head)
    model = keras.Model(inputs, displacement, name="oscillator_surrogate")
    _fit(model, x_train.astype("float32"), y_train.astype("float32"),
         epochs=150, batch_size=256, lr=3e-3)

    pred = model.predict(x_test.astype("float32"), verbose=0)
    rel_rmse = np.sqrt(np.mean((pred - y_test) ** 2)) / np.sqrt(np.mean(y_test**2))
    max_err = np.max(np.abs(pred - y_test))
    pred_nom = model.predict(np.array([nominal], dtype="float32"), verbose=0)[0]
    err_nom = np.max(np.abs(pred_nom - demo.oscillator(np.array([nominal]))[0]))
    print(f"oscillator: held-out RMSE / RMS displacement = {rel_rmse:.4f}, "
          f"max abs error = {max_err:.4f} m; nominal max abs error = {err_nom:.4f} m")
    _save(model, "oscillator", {
        "inputs": {"oscillator_params": {"names": names, "point": nominal}},
        "outputs": {"displacement": {"names": [f"x(t={t:.2f} s)" for t in demo.OSCILLATOR_TIMES]}},
    })


def build_digits() -> None:
    """Small CNN on synthetic rendered digits; outputs logits (pre-softmax class scores)."""
    keras = _keras()
    keras.utils.set_random_seed(SEED + 2)
    rng = np.random.default_rng(SEED + 2)
    x_train, y_train = demo.synthetic_digits(8000, rng)
    x_test, y_test = demo.synthetic_digits(1000, rng)

    layers = keras.layers
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    h = layers.Conv2D(8, 3, activation="relu", name="conv1")(inputs)
    h = layers.MaxPooling2D(2, name="pool1")(h)
    h = layers.Conv2D(16, 3, activation="relu", name="conv2")(h)
    h = layers.MaxPooling2D(2, name="pool2")(h)
    h = layers.Flatten(name="flatten")(h)
    logits = layers.Dense(10, name="class_scores")(h)
    model = keras.Model(inputs, logits, name="digits_cnn")
    _fit(model, x_train, y_train, epochs=8, batch_size=64, lr=3e-3,
         loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))

    accuracy = np.mean(np.argmax(model.predict(x_test, verbose=0), axis=1) == y_test)
    index = int(np.flatnonzero(y_test == 3)[0])  # the default point: a synthetic "3"
    print(f"digits_cnn: held-out accuracy = {accuracy:.4f} (synthetic glyphs); "
          f"default point is held-out image #{index} (label 3)")
    point = np.round(x_test[index].reshape(-1).astype(np.float64), 3).tolist()
    _save(model, "digits_cnn", {
        "inputs": {"image": {"point": point}},
        "outputs": {"class_scores": {"names": [f"digit {d}" for d in range(10)]}},
    })


def build_sample_image() -> None:
    """``images/sample.png``: the default point of image models (96×96 RGB, about 20 KB).

    A drawn scene rather than a photograph: sky, sun, hills, a house and grass texture give
    edges, flat areas and colour, so a CNN's ReLUs are neither all on nor all at their kinks.
    """
    from PIL import Image

    size = 96
    rng = np.random.default_rng(SEED)
    rows, cols = np.mgrid[0:size, 0:size] / (size - 1)
    image = np.empty((size, size, 3))
    image[...] = np.stack([0.35 + 0.3 * rows, 0.55 + 0.25 * rows, 0.95 - 0.1 * rows], axis=-1)
    sun = (rows - 0.22) ** 2 + (cols - 0.78) ** 2 < 0.012
    image[sun] = (1.0, 0.85, 0.3)
    hill = rows > 0.62 + 0.08 * np.sin(6.0 * cols) - 0.05 * cols
    grass = np.stack([0.25 + 0.1 * rng.random((size, size)), 0.55 + 0.15 * rng.random((size, size)),
                      0.2 + 0.05 * rng.random((size, size))], axis=-1)
    image[hill] = grass[hill]
    wall = (rows > 0.45) & (rows < 0.72) & (cols > 0.18) & (cols < 0.42)
    image[wall] = (0.8, 0.72, 0.6)
    roof = (rows > 0.3) & (rows <= 0.45) & (np.abs(cols - 0.30) < (rows - 0.3) * 1.0)
    image[roof] = (0.6, 0.15, 0.1)
    door = (rows > 0.58) & (rows < 0.72) & (cols > 0.27) & (cols < 0.33)
    image[door] = (0.3, 0.2, 0.1)
    pixels = np.clip(np.round(image * 255), 0, 255).astype(np.uint8)
    target = HERE / "images" / "sample.png"
    target.parent.mkdir(exist_ok=True)
    Image.fromarray(pixels, "RGB").save(target, optimize=True)
    print(f"sample image: {target.name}, {target.stat().st_size} bytes")


BUILDERS = {"oscillator": build_oscillator, "borehole": build_borehole, "digits": build_digits,
            "sample-image": build_sample_image}


def main(argv: list[str]) -> None:
    """Build the models named in ``argv`` (all when empty)."""
    chosen = argv or list(BUILDERS)
    unknown = set(chosen) - set(BUILDERS)
    if unknown:
        raise SystemExit(f"unknown model(s) {sorted(unknown)}; choose from {list(BUILDERS)}")
    MODELS.mkdir(exist_ok=True)
    for name in chosen:
        start = time.perf_counter()
        BUILDERS[name]()
        print(f"  ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
