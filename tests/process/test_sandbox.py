"""The sandbox: an untrusted model can touch nothing outside its engine; trusted, it can.

Every attack runs at load time, in Python, from a ``.py`` model (which the loader executes), and
one more from inside the TensorFlow graph at compute time (it runs on TensorFlow's own threads,
created after the sandbox). The canaries are files, folders and listening sockets of this test.
The same model loaded with ``unsafe=True`` must hit every canary: that proves each assertion of
the sandboxed test can fail.
"""

from __future__ import annotations

import os
import socket

import pytest

from jacgui.core.errors import EngineMemoryError, ModelRunError
from jacgui.core.process.client import EngineClient
from tests.process import models as pm
from tests.process.conftest import COLD, HOT, WAIT_S, require_landlock

DENIED = "PermissionError"
ATTACKS = ("write", "overwrite", "delete", "pth", "read", "tcp", "udp", "unix", "exec", "signal")


@pytest.fixture
def targets(tmp_path, monkeypatch):
    """Canary files, a canary site-packages folder on the engine's sys.path, and sockets."""
    canaries = tmp_path / "canaries"
    canaries.mkdir()
    (canaries / "canary.txt").write_text("original")
    site = tmp_path / "site-packages"
    site.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("the secret")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]))
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(tmp_path / "unix.sock"))
    unix.listen()
    for sock in (tcp, udp, unix):
        sock.setblocking(False)
    values = {"canary_dir": str(canaries), "site": str(site), "secret": str(secret),
              "tcp_port": tcp.getsockname()[1], "udp_port": udp.getsockname()[1],
              "unix_path": str(tmp_path / "unix.sock"), "parent": os.getpid()}
    yield values, {"tcp": tcp, "udp": udp, "unix": unix}
    for sock in (tcp, udp, unix):
        sock.close()


def _touched(values, sockets) -> set[str]:
    """Which canaries the model reached."""
    canaries = values["canary_dir"]
    touched = set()
    if os.path.exists(os.path.join(canaries, "written.txt")):
        touched.add("write")
    canary = os.path.join(canaries, "canary.txt")
    if not os.path.exists(canary) or open(canary).read() != "original":
        touched.add("overwrite or delete")
    if os.path.exists(os.path.join(values["site"], "evil.pth")):
        touched.add("pth")
    if os.path.exists(os.path.join(canaries, "exec.txt")):
        touched.add("exec")
    if os.path.exists(os.path.join(canaries, "from_graph.txt")):
        touched.add("graph write")
    for name, sock in sockets.items():
        try:
            sock.recv(16) if name == "udp" else sock.accept()
        except BlockingIOError:
            continue
        touched.add(name)
    return touched


def test_a_sandboxed_model_reaches_nothing_outside_its_engine(targets, tmp_path):
    require_landlock()
    values, sockets = targets
    (tmp_path / "model").mkdir()
    model = pm.attack_model(tmp_path / "model", values)
    with EngineClient() as client:
        info = client.open_model(model, timeout=WAIT_S)
        assert info.sandbox.active and info.sandbox.sockets_blocked
        assert info.sandbox.summary.startswith("sandboxed (Landlock ABI")
        outcome = pm.results_of(info.outputs[0].feature_names[0])
        assert outcome == dict.fromkeys(ATTACKS, DENIED)
        with pytest.raises(ModelRunError, match="Permission denied"):
            client.call("jacobian", {"point": HOT}, timeout=WAIT_S)  # tf.io.write_file
        assert client.call("jacobian", {"point": COLD}, timeout=WAIT_S).shape == (1, 4)
    assert _touched(values, sockets) == set()


def test_the_same_model_trusted_reaches_every_canary(targets, tmp_path):
    values, sockets = targets
    (tmp_path / "model").mkdir()
    model = pm.attack_model(tmp_path / "model", values)
    with EngineClient() as client:
        info = client.open_model(model, unsafe=True, timeout=WAIT_S)
        assert not info.sandbox.active and "trusted" in info.sandbox.summary
        outcome = pm.results_of(info.outputs[0].feature_names[0])
        assert outcome == dict.fromkeys(ATTACKS, "done")
        client.call("jacobian", {"point": HOT}, timeout=WAIT_S)
    assert _touched(values, sockets) == {"write", "overwrite or delete", "pth", "exec",
                                         "graph write", "tcp", "udp", "unix"}


@pytest.mark.parametrize("shared", [False, True], ids=["heap", "shared memory"])
def test_a_memory_bomb_ends_its_engine_with_the_limit_line(tmp_path, shared):
    # 1.5 GiB on top of TensorFlow's ~0.4 GiB: over a 1 GiB limit. The heap bomb hits
    # RLIMIT_DATA; shared memory escapes it and is caught by the resident-memory watchdog
    # (the model then holds it, so only the watchdog can end the load).
    model = pm.memory_bomb_model(tmp_path, 3 << 29, shared=shared, hold=shared)
    with EngineClient(memory_limit=1 << 30) as client:
        with pytest.raises(EngineMemoryError, match=r"^the engine exceeded its memory limit of "
                                                    rf"1.0 GiB while loading {model.name}"):
            client.open_model(model, timeout=WAIT_S)
        assert client.model is None


def test_the_same_heap_bomb_loads_under_a_higher_limit(tmp_path):
    model = pm.memory_bomb_model(tmp_path, 3 << 29, shared=False, hold=False)
    with EngineClient(memory_limit=4 << 30) as client:
        assert client.open_model(model, timeout=WAIT_S).sandbox.memory_limit == 4 << 30
