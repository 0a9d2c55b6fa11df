"""Fixtures of the engine-process tests: clients, the misbehaving models, the Landlock check.

Engines are real child processes (each imports TensorFlow, about 3 s of CPU), so tests share
them where the behaviour under test allows: ``window`` is one client with a warm spare, as the
window would use it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from jacgui._resources import examples
from jacgui.core.process.client import EngineClient
from jacgui.core.process.sandbox import landlock_abi
from tests.process import models as pm

#: Seconds any single engine step (start, load, compute) may take before a test gives up.
WAIT_S = 180.0


def demo(name: str = "oscillator") -> Path:
    """A bundled example model."""
    return next(path for path in examples().values() if path.stem == name)


def require_landlock() -> None:
    """Fail under CI and skip elsewhere when this kernel has no Landlock (CI must sandbox)."""
    abi, reason = landlock_abi()
    if abi:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the sandbox tests, but {reason}")
    pytest.skip(reason)


def wait_stuck(client: EngineClient) -> None:
    """Until the model says on the engine's stderr that it is stuck inside its job."""
    deadline = time.monotonic() + WAIT_S
    while not any(pm.STUCK in line for line in client.engine_log()):
        assert time.monotonic() < deadline, "the model never got stuck"
        time.sleep(0.01)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_busy(client: EngineClient, seconds: float = 0.5) -> None:
    """Until the engine has burnt ``seconds`` of CPU since now: a silent endless job loops."""
    pid = client.pid
    start = cpu_seconds(pid)
    deadline = time.monotonic() + WAIT_S
    while cpu_seconds(pid) - start < seconds:
        assert time.monotonic() < deadline, "the engine never got busy"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def window() -> Iterator[EngineClient]:
    """One client with a warm spare engine, shared by a module's tests."""
    client = EngineClient(spare=True, cancel_grace=1.0)
    yield client
    client.close()


@pytest.fixture
def fresh_client() -> Iterator[EngineClient]:
    """A client of its own (for tests that kill or starve its engine)."""
    client = EngineClient()
    yield client
    client.close()


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Paths of the misbehaving ``.py`` models and the folder their gates live in."""
    folder = tmp_path_factory.mktemp("hostile")
    gates = tmp_path_factory.mktemp("gates")
    return {"segfault": pm.segfault_model(folder), "exit": pm.exit_model(folder),
            "gated": pm.gated_model(folder, gates / "open"), "gate": gates / "open"}


@pytest.fixture(scope="session")
def endless(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SavedModel whose serving function loops forever."""
    return pm.endless_savedmodel(tmp_path_factory.mktemp("endless"))


@pytest.fixture(scope="session")
def hot_point_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A point file (JSON) that makes the hostile models misbehave."""
    path = tmp_path_factory.mktemp("points") / "hot.json"
    path.write_text(str(pm.HOT_POINT.tolist()))
    return path


HOT = {"x": pm.HOT_POINT}
COLD = {"x": np.array([1.0, 2.0, 3.0, 4.0])}
