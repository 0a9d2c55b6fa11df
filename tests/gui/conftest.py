"""Fixtures for the window tests: tiny in-memory models, an in-process engine, scripted dialogs
and the window built by the application's own composition root.

TensorFlow is imported once per session (about 3 s); every model here is built from weights
in memory, so no test depends on the loaders or on files unless it says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jacgui.core.errors import ModelLoadError, UnsafeModelError
from jacgui.core.handle import ModelHandle
from jacgui.core.spec import TensorInfo
from jacgui.gui.dialogs import Dialogs

from .local_engine import LocalEngine

#: Memory budget under which the medium model's Jacobian takes about 30 chunks.
MEDIUM_BUDGET = 4 << 20
#: Memory budget under which the slow model's Jacobian takes about 90 chunks.
SLOW_BUDGET = 8 << 20


def mlp_weights(sizes: list[int], seed: int) -> list[np.ndarray]:
    """The float32 weights of :func:`make_mlp`'s layers."""
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 1 / np.sqrt(a), (a, b)).astype("float32")
            for a, b in zip(sizes[:-1], sizes[1:], strict=False)]


def mlp_jacobian(sizes: list[int], seed: int, x: np.ndarray) -> np.ndarray:
    """The analytic Jacobian of :func:`make_mlp`'s model at ``x``, by the chain rule in float64.

    With ``h_k = tanh(h_{k-1} W_k)``: ``dh_k/dx = diag(1 - h_k**2) W_k^T dh_{k-1}/dx``.
    """
    h = np.asarray(x, dtype=np.float64)
    jacobian = np.eye(h.size)
    for w in mlp_weights(sizes, seed):
        h = np.tanh(h @ w.astype(np.float64))
        jacobian = (1.0 - h**2)[:, None] * (w.T.astype(np.float64) @ jacobian)
    return jacobian


def make_mlp(name: str, sizes: list[int], seed: int = 0, default: float = 0.5) -> ModelHandle:
    """A tanh MLP ``x (sizes[0],) -> y (sizes[-1],)`` as a :class:`ModelHandle`."""
    import tensorflow as tf

    weights = [tf.constant(w) for w in mlp_weights(sizes, seed)]

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


class ScriptedDialogs(Dialogs):
    """Dialogs that answer from attributes instead of asking, and remember the questions."""

    def __init__(self) -> None:
        self.open_path: str | None = None
        self.save_answer: tuple[str, str] | None = None
        self.trust = False
        self.trust_questions: list[str] = []
        self.confirm_answer = False
        self.confirm_questions: list[str] = []

    def open_file(self, parent: Any, title: str, folder: str, filters: str) -> str | None:
        return self.open_path

    def open_folder(self, parent: Any, title: str, folder: str) -> str | None:
        return self.open_path

    def save_file(self, parent: Any, title: str, folder: str,
                  filters: str) -> tuple[str, str] | None:
        return self.save_answer

    def confirm(self, parent: Any, text: str) -> bool:
        self.confirm_questions.append(text)
        return self.confirm_answer

    def ask_trust(self, parent: Any, path: str, reason: str) -> bool:
        self.trust_questions.append(path)
        return self.trust


#: Layer sizes of the small model (its analytic Jacobian: ``mlp_jacobian(SMALL, 0, x)``).
SMALL = [4, 8, 3]


@pytest.fixture(scope="session")
def small_model() -> ModelHandle:
    """4 inputs -> 3 outputs; computes in milliseconds."""
    return make_mlp("small", SMALL)


@pytest.fixture(scope="session")
def slow_model() -> ModelHandle:
    """A wide MLP whose Jacobian, under :data:`SLOW_BUDGET`, takes seconds in many chunks."""
    return make_mlp("slow", [1024, 4096, 4096, 4096, 1024], seed=2)


@pytest.fixture(scope="session")
def medium_model() -> ModelHandle:
    """About 30 chunks and half a second under :data:`MEDIUM_BUDGET`."""
    return make_mlp("medium", [512, 2048, 2048, 2048, 512], seed=3)


@pytest.fixture(scope="session")
def image_model() -> ModelHandle:
    return make_image_model()


@pytest.fixture
def engine_models(small_model: ModelHandle, slow_model: ModelHandle, medium_model: ModelHandle,
                  image_model: ModelHandle) -> dict[str, Any]:
    """What the test engine opens, by path (a fresh dict per test: tests may add models)."""
    return {
        "small.keras": small_model,
        "medium.keras": medium_model,
        "slow.keras": slow_model,
        "image.keras": image_model,
        "broken.keras": ModelLoadError("broken.keras: not a zip file"),
        "lambda.keras": UnsafeModelError("lambda.keras contains a Lambda layer"),
        "lambda.keras#trusted": small_model,
    }


@pytest.fixture
def engine(engine_models: dict[str, Any]) -> Iterator[LocalEngine]:
    """The in-process engine over :func:`engine_models`."""
    local = LocalEngine(engine_models)
    yield local
    local.close()


def real_loader(path: str, unsafe: bool) -> ModelHandle:
    """jacgui's own loader, for engines that open real files."""
    from jacgui.core.loading import load_model

    return load_model(path, unsafe=unsafe)


@pytest.fixture
def real_engine() -> Iterator[LocalEngine]:
    """An in-process engine that opens real files with the real loader (nothing faked)."""
    local = LocalEngine({}, loader=real_loader)
    yield local
    local.close()


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    from jacgui.gui.settings import Settings

    return Settings.in_file(tmp_path / "jacgui.ini")


MakeSession = Callable[..., Any]


@pytest.fixture
def make_session(qtbot: Any, settings: Any) -> Iterator[MakeSession]:
    """``make_session(link, memory_budget=None, settings=None)``: a shown window over ``link``.

    Built by :func:`jacgui.gui.app.build` exactly as the application builds it, with scripted
    dialogs; nothing is started. Every session is shut down (engine closed) after the test.
    """
    from jacgui.gui.app import build

    made: list[Any] = []

    def make(link: Any, memory_budget: int | None = None, settings_: Any = None) -> Any:
        session = build(link, settings_ if settings_ is not None else settings,
                        ScriptedDialogs(), memory_budget=memory_budget)
        qtbot.addWidget(session.window)
        session.window.show()
        made.append(session)
        return session

    yield make
    for session in made:
        session.runner.shutdown()
        session.window.close()


@pytest.fixture
def session(engine: LocalEngine, make_session: MakeSession) -> Any:
    """The window over :func:`engine`, nothing opened yet."""
    return make_session(engine)


@pytest.fixture(autouse=True)
def _no_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-process test engine sandboxes nothing: the window must know (it asks before
    running a .py model without a sandbox). Tests of the sandboxed case set it back."""
    monkeypatch.setattr("jacgui.gui.model_flow.sandbox_available", lambda: False)


@pytest.fixture(autouse=True)
def _no_long_job_question(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether a job is "long" depends on the machine's speed: no test may ask by accident.
    The tests of the question lower the limit to zero themselves."""
    monkeypatch.setattr("jacgui.gui.jacobian_flow.LONG_JOB_SECONDS", float("inf"))
