"""How failures cross the boundary: the engine's side classifies, the client and CLI map back.

The engine side runs here on a pipe (no TensorFlow needed): each kind of failure must arrive as
the matching error message, and the client must turn each message into the right exception.
The command line must exit 1 for jacgui's own bugs inside the engine, with the engine's
traceback under JACGUI_DEBUG=1.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from jacgui import cli
from jacgui.core.errors import (
    EngineInternalError,
    EngineMemoryError,
    JacguiError,
    JacobianCancelled,
    ModelLoadError,
    PointError,
    UnsafeModelError,
)
from jacgui.core.process import protocol
from jacgui.core.process.failures import remote_error
from jacgui.core.process.jobs import EngineJob
from jacgui.core.process.server import Engine
from jacgui.core.process.wire import FrameReader


class _OwnError(PointError):
    """A JacguiError subclass defined outside jacgui.core.errors."""


def _memory_chain() -> BaseException:
    try:
        try:
            raise MemoryError("Unable to allocate 3.00 GiB")
        except MemoryError:
            raise ModelLoadError("running bomb.py raised MemoryError") from None
    except ModelLoadError as error:
        return error


def _engine_says(error: BaseException, internal: bool = False) -> dict:
    read_fd, write_fd = os.pipe()
    with io.FileIO(read_fd, "rb") as reader, io.FileIO(write_fd, "wb") as writer:
        engine = Engine(io.BytesIO(), writer, Path("."))
        engine._fail(7, error, internal=internal)
        writer.close()
        message, _ = FrameReader(reader).read()
    return protocol.validate(message, protocol.FROM_ENGINE)


@pytest.mark.parametrize("error, kind, name", [
    (UnsafeModelError("needs trust"), "user", "UnsafeModelError"),
    (_OwnError("odd point"), "user", "PointError"),
    (JacobianCancelled("stop"), "cancelled", "JacobianCancelled"),
    (_memory_chain(), "memory", "ModelLoadError"),
    (KeyError("bug"), "internal", "KeyError"),
    (JacguiError("a jacgui error raised by jacgui's own bug"), "internal", "JacguiError"),
])
def test_the_engine_classifies_each_failure(error, kind, name):
    internal = kind == "internal" and isinstance(error, JacguiError)
    message = _engine_says(error, internal=internal)
    assert (message["kind"], message["error_class"]) == (kind, name)
    assert "\n" not in message["message"]
    assert bool(message["traceback"]) == (kind == "internal")


@pytest.mark.parametrize("kind, name, expected", [
    ("user", "UnsafeModelError", UnsafeModelError),
    ("cancelled", "JacobianCancelled", JacobianCancelled),
    ("memory", "ModelLoadError", EngineMemoryError),
    ("internal", "KeyError", EngineInternalError),
])
def test_the_client_rebuilds_the_matching_exception(kind, name, expected):
    job = EngineJob(lambda job_id: None, 7, "jacobian", "computing reverse mode", None, None,
                    None)
    error = remote_error(job, {"kind": kind, "error_class": name,
                               "message": "what\x1b[31m happened", "traceback": "Traceback ..."},
                         memory_limit=3 << 30)
    assert type(error) is expected
    assert "\x1b" not in str(error)  # the engine's text is escaped before anyone prints it
    if expected is EngineMemoryError:
        assert str(error).startswith("the engine exceeded its memory limit of 3.0 GiB while "
                                     "computing reverse mode")
    if expected is EngineInternalError:
        assert error.remote_traceback == "Traceback ..."


class _BuggyEngineModel:
    """Stands in for a RemoteModel whose engine hits a jacgui bug."""

    def __init__(self, *args, **kwargs):
        pass

    def run_in_engine(self, operation, arguments):
        raise EngineInternalError("KeyError: 'plan' (in the engine)", "Traceback: engine side")


@pytest.mark.parametrize("debug", [False, True])
def test_cli_exits_1_for_a_bug_in_the_engine(tmp_path, capsys, monkeypatch, debug):
    monkeypatch.setattr(cli, "RemoteModel", _BuggyEngineModel)
    monkeypatch.setenv("JACGUI_DEBUG", "1" if debug else "")
    model = tmp_path / "m.keras"
    model.write_bytes(b"x")
    assert cli.main(["compute", str(model)]) == 1
    err = capsys.readouterr().err
    # The remote type is the cause; the wrapper's name says nothing to the user.
    assert "jacgui: internal error: KeyError: 'plan' (in the engine) (set JACGUI_DEBUG" in err
    assert ("Traceback: engine side" in err) == debug
