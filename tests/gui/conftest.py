"""Fixtures for the window tests: tiny in-memory models, a scripted backend and dialogs.

TensorFlow is imported once per session (about 3 s); every model here is built from weights
in memory, so no test depends on the loaders or on files.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jacgui.core.errors import ModelLoadError, UnsafeModelError
from jacgui.core.handle import ModelHandle
from jacgui.core.job import JacobianOptions
from jacgui.core.spec import TensorInfo
from jacgui.gui.dialogs import Dialogs
from jacgui.gui.worker import Backend


def make_mlp(name: str, sizes: list[int], seed: int = 0, default: float = 0.5) -> ModelHandle:
    """A tanh MLP ``x (sizes[0],) -> y (sizes[-1],)`` as a :class:`ModelHandle`."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    weights = [
        tf.constant(rng.normal(0, 1 / np.sqrt(a), (a, b)).astype("float32"))
        for a, b in zip(sizes[:-1], sizes[1:])
    ]

    def forward(inputs: Any) -> dict[str, Any]:
        h = tf.cast(inputs["x"], tf.float32)
        for w in weights:
            h = tf.tanh(tf.matmul(h, tf.cast(w, h.dtype)))
        return {"y": h}

    return ModelHandle(
        path=f"memory://{name}",
        format="python",
        inputs=(TensorInfo("x", (sizes[0],)),),
        outputs=(TensorInfo("y", (sizes[-1],)),),
        forward=forward,
        default_point={"x": np.full(sizes[0], default, dtype="float32")},
        point_source="file",
    )


def make_image_model() -> ModelHandle:
    """``img (8, 8, 1) -> y (3,)``: an image-shaped input for the picture preview."""
    import tensorflow as tf

    w = tf.constant(np.random.default_rng(1).normal(size=(64, 3)).astype("float32"))

    def forward(inputs: Any) -> dict[str, Any]:
        x = tf.reshape(tf.cast(inputs["img"], tf.float32), (-1, 64))
        return {"y": tf.matmul(x, w)}

    return ModelHandle(
        path="memory://image",
        format="python",
        inputs=(TensorInfo("img", (8, 8, 1)),),
        outputs=(TensorInfo("y", (3,)),),
        forward=forward,
        default_point={"img": np.zeros((8, 8, 1), dtype="float32")},
    )


class FakeBackend(Backend):
    """The real engine, but models come from a dict instead of files.

    ``models`` maps a path to a :class:`ModelHandle`, or to an exception to raise.
    """

    def __init__(self, models: dict[str, Any]) -> None:
        self.models = models
        self.loads: list[tuple[str, bool]] = []

    def load_model(self, path: str, unsafe: bool) -> Any:
        self.loads.append((path, unsafe))
        entry = self.models.get(path)
        if entry is None:
            raise ModelLoadError(f"{Path(path).name}: no such model")
        if isinstance(entry, UnsafeModelError) and unsafe:
            return self.models[path + "#trusted"]
        if isinstance(entry, Exception):
            raise entry
        return entry


class ScriptedDialogs(Dialogs):
    """Dialogs that answer from attributes instead of asking."""

    def __init__(self) -> None:
        self.open_path: str | None = None
        self.save_answer: tuple[str, str] | None = None
        self.trust = False
        self.trust_questions: list[str] = []

    def open_file(self, parent: Any, title: str, folder: str, filters: str) -> str | None:
        return self.open_path

    def open_folder(self, parent: Any, title: str, folder: str) -> str | None:
        return self.open_path

    def save_file(self, parent: Any, title: str, folder: str, filters: str) -> tuple[str, str] | None:
        return self.save_answer

    def ask_trust(self, parent: Any, path: str, reason: str) -> bool:
        self.trust_questions.append(path)
        return self.trust


@pytest.fixture(scope="session")
def small_model() -> ModelHandle:
    """4 inputs -> 3 outputs; computes in milliseconds."""
    return make_mlp("small", [4, 8, 3])


@pytest.fixture(scope="session")
def slow_model() -> ModelHandle:
    """A wide MLP whose Jacobian, under :data:`SLOW_OPTIONS`, takes seconds in many chunks."""
    return make_mlp("slow", [1024, 4096, 4096, 4096, 1024], seed=2)


@pytest.fixture(scope="session")
def medium_model() -> ModelHandle:
    """About 30 chunks and half a second under :data:`MEDIUM_OPTIONS`."""
    return make_mlp("medium", [512, 2048, 2048, 2048, 512], seed=3)


MEDIUM_OPTIONS = JacobianOptions(memory_budget=4 << 20)

#: Small memory budget so that the slow model's Jacobian is split into many chunks.
SLOW_OPTIONS = JacobianOptions(memory_budget=8 << 20)


@pytest.fixture(scope="session")
def image_model() -> ModelHandle:
    return make_image_model()


@pytest.fixture
def backend(small_model: ModelHandle, slow_model: ModelHandle, medium_model: ModelHandle,
            image_model: ModelHandle) -> FakeBackend:
    return FakeBackend({
        "small.keras": small_model,
        "medium.keras": medium_model,
        "slow.keras": slow_model,
        "image.keras": image_model,
        "broken.keras": ModelLoadError("broken.keras: not a zip file"),
        "lambda.keras": UnsafeModelError("lambda.keras contains a Lambda layer"),
        "lambda.keras#trusted": small_model,
    })


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    from jacgui.gui.settings import Settings

    return Settings.in_file(tmp_path / "jacgui.ini")


@pytest.fixture
def controller(qtbot: Any, backend: FakeBackend) -> Iterator[Any]:
    from jacgui.gui.controller import Controller

    ctrl = Controller(backend)
    ctrl.start()
    with qtbot.waitSignal(ctrl.tf_ready, timeout=60000):
        pass
    yield ctrl
    ctrl.shutdown()
