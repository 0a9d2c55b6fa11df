"""The bundled demo models: found through jacgui._resources, loadable, and as accurate as stated.

The analytic references below are written out independently of resources/demo_functions.py, so
a wrong formula in the build script shows up here as a mismatch.
"""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import numpy as np
import pytest

from jacgui import _resources

KERAS_MODELS = {
    # name: (input name, input shape, output name, output shape)
    "oscillator": ("oscillator_params", (5,), "displacement", (20,)),
    "borehole": ("borehole_inputs", (8,), "flow", (1,)),
    "digits_cnn": ("image", (28, 28, 1), "class_scores", (10,)),
}
PY_MODELS = ("quadratic", "textbook_vector")
MODEL_FILES = {f"{n}.keras" for n in KERAS_MODELS} | {f"{n}.py" for n in PY_MODELS}

BOREHOLE_BOX = [
    (0.05, 0.15), (100, 50000), (63070, 115600), (990, 1110),
    (63.1, 116), (700, 820), (1120, 1680), (9855, 12045),
]
OSCILLATOR_BOX = [(0.75, 1.5), (2.5, 6.0), (0.1, 0.8), (-1.0, 1.0), (-2.0, 2.0)]
OSCILLATOR_TIMES = 0.2 * np.arange(20)


def borehole_exact(x: np.ndarray) -> np.ndarray:
    """Borehole flow [m^3/yr] (Harper & Gupta 1983); rows (rw, r, Tu, Hu, Tl, Hl, L, Kw)."""
    rw, r, tu, hu, tl, hl, length, kw = np.asarray(x, dtype=np.float64).T
    ln = np.log(r / rw)
    return 2 * np.pi * tu * (hu - hl) / (ln * (1 + 2 * length * tu / (ln * rw**2 * kw) + tu / tl))


def oscillator_exact(p: np.ndarray) -> np.ndarray:
    """x(t) of m x'' + c x' + k x = 0 (underdamped) for rows (m, k, c, x0, v0); (N, 20)."""
    m, k, c, x0, v0 = (col[:, None] for col in np.asarray(p, dtype=np.float64).T)
    t = OSCILLATOR_TIMES[None, :]
    decay = c / (2 * m)
    wd = np.sqrt(k / m - decay**2)
    return np.exp(-decay * t) * (x0 * np.cos(wd * t) + (v0 + decay * x0) / wd * np.sin(wd * t))


def sample(box: list[tuple[float, float]], n: int, seed: int) -> np.ndarray:
    low, high = np.array(box, dtype=np.float64).T
    return low + (high - low) * np.random.default_rng(seed).random((n, len(box)))


def central_jacobian(fn, point: np.ndarray, rel_step: float = 1e-6) -> np.ndarray:
    """(n_out, n_in) central-difference Jacobian of a float64 batch function at one point."""
    cols = []
    for j in range(point.size):
        h = rel_step * max(abs(point[j]), 1.0)
        e = np.zeros_like(point)
        e[j] = h
        diff = np.reshape(fn((point + e)[None]) - fn((point - e)[None]), -1)
        cols.append(diff / (2 * h))
    return np.stack(cols, axis=1)


@pytest.fixture(scope="module")
def tf():
    import tensorflow  # imported plainly: a broken install must fail, not skip

    return tensorflow


@pytest.fixture(scope="module")
def models(tf) -> dict:
    """Every bundled .keras model, loaded once, safe mode on."""
    import keras

    return {
        name: keras.saving.load_model(
            _resources.resource_path("models", f"{name}.keras"), compile=False, safe_mode=True
        )
        for name in KERAS_MODELS
    }


def sidecar(name: str) -> dict:
    return json.loads(_resources.resource_path("models", f"{name}.jacgui.json").read_text())


def sidecar_point(name: str) -> np.ndarray:
    entry = sidecar(name)["inputs"][KERAS_MODELS[name][0]]
    return np.asarray(entry["point"], dtype=np.float32).reshape(KERAS_MODELS[name][1])


def jacobian(tf, model, point: np.ndarray) -> np.ndarray:
    x = tf.constant(point[None], dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = model(x, training=False)
    return tape.jacobian(y, x).numpy().reshape(int(np.prod(y.shape)), point.size)


# ---- the accessor ---------------------------------------------------------------------------


def test_examples_lists_every_model_in_menu_order():
    found = _resources.examples()
    assert {p.name for p in found.values()} == MODEL_FILES
    assert all(p.is_file() for p in found.values())
    assert next(iter(found.values())) == _resources.demo_model()  # default demo first
    assert all(isinstance(title, str) and title for title in found)


def test_demo_model_is_the_oscillator_and_exists():
    assert _resources.demo_model().is_file()
    assert _resources.demo_model().name == "oscillator.keras"
    assert _resources.sidecar_path(_resources.demo_model()).is_file()


def test_resource_path_and_icon():
    assert _resources.resource_path("models").is_dir()
    assert _resources.resource_path() == _resources.resources_dir()
    assert _resources.icon_path("jacgui") == _resources.icon_path("jacgui.svg")
    assert _resources.icon_path().is_file()
    assert _resources.icon_path().read_text().lstrip().startswith("<svg")


def test_sidecar_path_replaces_the_suffix():
    assert _resources.sidecar_path("/a/borehole.keras") == Path("/a/borehole.jacgui.json")


def test_bundled_files_are_small():
    for path in _resources.resources_dir().rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            assert path.stat().st_size < 300 * 1024, path


def test_accessor_imports_neither_qt_nor_tensorflow():
    import subprocess
    import sys

    code = (
        "import sys, jacgui._resources as r; r.examples(); "
        "bad = [m for m in ('tensorflow', 'keras', 'PySide6', 'pyqtgraph') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---- every .keras model ---------------------------------------------------------------------


@pytest.mark.parametrize("name", list(KERAS_MODELS))
def test_keras_model_signature_and_forward_at_sidecar_point(models, name):
    model = models[name]
    in_name, in_shape, out_name, out_shape = KERAS_MODELS[name]
    assert [t.name for t in model.inputs] == [in_name]
    assert tuple(model.inputs[0].shape[1:]) == in_shape
    assert model.output_names == [out_name]
    y = model(sidecar_point(name)[None], training=False).numpy()
    assert y.shape == (1, *out_shape)
    assert np.all(np.isfinite(y))


@pytest.mark.parametrize("name", list(KERAS_MODELS))
def test_sidecar_names_match_the_model(name):
    data = sidecar(name)
    in_name, in_shape, out_name, out_shape = KERAS_MODELS[name]
    assert set(data["inputs"]) == {in_name} and set(data["outputs"]) == {out_name}
    entry = data["inputs"][in_name]
    assert np.asarray(entry["point"]).size == int(np.prod(in_shape))
    if "names" in entry:
        assert len(entry["names"]) == int(np.prod(in_shape))
    assert len(data["outputs"][out_name]["names"]) == int(np.prod(out_shape))


# ---- accuracy against the closed forms (README states these bounds) -------------------------


def test_borehole_matches_the_analytic_function(models):
    model = models["borehole"]
    nominal = sidecar_point("borehole").astype(np.float64)
    assert nominal == pytest.approx([(lo + hi) / 2 for lo, hi in BOREHOLE_BOX])
    predicted = float(model(nominal[None].astype(np.float32)).numpy()[0, 0])
    exact = float(borehole_exact(nominal[None])[0])
    assert predicted == pytest.approx(exact, rel=0.01)  # within 1 % at the nominal point

    x = sample(BOREHOLE_BOX, 2000, seed=7)
    pred = model(x.astype(np.float32)).numpy()[:, 0]
    y = borehole_exact(x)
    assert np.sqrt(np.mean((pred - y) ** 2)) / np.mean(y) < 0.01  # RMSE < 1 % of mean flow


def test_borehole_jacobian_matches_the_analytic_one(tf, models):
    nominal = sidecar_point("borehole").astype(np.float64)
    got = jacobian(tf, models["borehole"], nominal.astype(np.float32))[0]
    want = central_jacobian(borehole_exact, nominal)[0]
    width = np.array([hi - lo for lo, hi in BOREHOLE_BOX])
    # Compare flow change across each input's whole range, relative to the largest one.
    err = np.abs(got - want) * width
    assert err.max() < 0.02 * np.abs(want * width).max()


def test_oscillator_matches_its_closed_form(models):
    model = models["oscillator"]
    nominal = sidecar_point("oscillator").astype(np.float64)
    predicted = model(nominal[None].astype(np.float32)).numpy()[0]
    exact = oscillator_exact(nominal[None])[0]
    assert exact[0] == pytest.approx(nominal[3])  # x(0) = x0: the time grid starts at 0
    assert np.max(np.abs(predicted - exact)) < 0.02  # m, with a 1 m initial displacement

    x = sample(OSCILLATOR_BOX, 2000, seed=8)
    pred = model(x.astype(np.float32)).numpy()
    y = oscillator_exact(x)
    assert np.sqrt(np.mean((pred - y) ** 2)) / np.sqrt(np.mean(y**2)) < 0.02


def test_oscillator_jacobian_matches_its_closed_form(tf, models):
    nominal = sidecar_point("oscillator").astype(np.float64)
    got = jacobian(tf, models["oscillator"], nominal.astype(np.float32))
    want = central_jacobian(oscillator_exact, nominal)
    assert got.shape == (20, 5)
    assert np.abs(got - want).max() < 0.05 * np.abs(want).max()


def test_digits_cnn_classifies_its_default_point_and_has_gradients(tf, models):
    model = models["digits_cnn"]
    point = sidecar_point("digits_cnn")
    assert 0.0 <= point.min() and point.max() <= 1.0
    scores = model(point[None]).numpy()[0]
    assert int(np.argmax(scores)) == 3  # the sidecar point is a synthetic "3"
    saliency = jacobian(tf, model, point)
    assert saliency.shape == (10, 784)
    assert np.all(np.isfinite(saliency)) and np.abs(saliency).max() > 1e-3


# ---- the Python models ----------------------------------------------------------------------


def test_quadratic_py(tf):
    namespace = runpy.run_path(str(_resources.resource_path("models", "quadratic.py")))
    assert tuple(namespace["INPUT_SHAPE"]) == (1,)
    x = tf.constant(namespace["POINT"], dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = namespace["f"](x)
    assert y.numpy() == pytest.approx([9.0])
    assert tape.jacobian(y, x).numpy().ravel() == pytest.approx([6.0])


def test_textbook_vector_py(tf):
    namespace = runpy.run_path(str(_resources.resource_path("models", "textbook_vector.py")))
    x = tf.constant(namespace["POINT"], dtype=tf.float32)
    assert tuple(x.shape) == tuple(namespace["INPUT_SHAPE"]) == (3,)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = namespace["f"](x)
    assert tuple(y.shape) == (3, 3)
    assert len(namespace["OUTPUT_NAMES"]) == 9 and len(namespace["INPUT_NAMES"]) == 3
    jac = tape.jacobian(y, x).numpy().reshape(9, 3)
    v = np.array([1.0, 2.0, 3.0])
    want = np.vstack([np.diag(2 * v), np.diag(np.cos(v)), np.diag(np.exp(v))])
    np.testing.assert_allclose(jac, want, rtol=1e-5, atol=1e-6)


# ---- through jacgui's own loader --------------------------------------------------------------


@pytest.mark.parametrize("title", list(_resources.EXAMPLES))
def test_every_example_loads_with_names_and_default_point(tf, title):
    from jacgui.core.loading import load_model

    handle = load_model(_resources.examples()[title])
    assert not [note for note in handle.notes if "ignored" in note or "unknown" in note]
    assert handle.point_source in ("sidecar", "file")
    assert all(spec.feature_names for spec in handle.outputs)
    batch = {name: value[None] for name, value in handle.default_point.items()}
    for spec, value in zip(handle.outputs, handle.forward(batch).values(), strict=True):
        assert tuple(np.shape(value)) == (1, *spec.shape)
        assert np.all(np.isfinite(value))
