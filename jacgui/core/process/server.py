"""The engine process: ``python -m jacgui.core.process.server``.

Life of an engine:

1. It keeps its channel (requests on the original fd 0, answers on the original fd 1) on
   private descriptors, then points fd 0 at ``/dev/null`` and fd 1 at stderr, so that a model's
   ``print()`` or ``input()`` cannot touch the channel by accident.
2. It imports TensorFlow and Keras (a spare engine is warm before it has a model) and sends the
   ``ready`` handshake. Nothing has started a thread yet.
3. It reads messages on its only thread until ``load`` arrives, then caps its memory, applies
   the sandbox for THAT model (unless the model is trusted; see :mod:`.sandbox`), starts the
   reader thread, and loads the model. One engine serves one model.
4. The reader thread takes ``call``, ``cancel`` and ``shutdown`` messages as they come, so a
   ``cancel`` reaches a running job; the main thread runs jobs one at a time (TensorFlow and
   Keras state is per thread) and sends progress between chunks.

The parent ending (end of the channel) ends the engine at once, whatever it is running.
"""

from __future__ import annotations

import faulthandler
import io
import os
import platform
import queue
import shutil
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ... import __version__
from .._tf import keras, tf
from ..errors import JacguiError, JacobianCancelled, ModelLoadError
from ..handle import ModelHandle
from ..job import CancelToken, Progress
from ..loading import load_model
from ..model_info import SandboxStatus
from ..reasons import one_line
from . import codec, protocol, sandbox
from .operations import OPERATIONS
from .wire import FrameReader, Limits, ProtocolError, write_frame

__all__ = ["Engine", "main"]

#: Exit status when the parent sent something that breaks the protocol.
PROTOCOL_EXIT = 3
_DEBUG = os.environ.get("JACGUI_DEBUG", "") not in ("", "0")
_F_SETPIPE_SZ = 1031
_PIPE_BYTES = 1 << 20


class Engine:
    """One engine: the channel, the model, the job queue and the cancel tokens.

    Parameters
    ----------
    requests, answers : io.RawIOBase
        The two ends of the channel.
    private_dir : Path
        The engine's own read-write folder (``HOME`` and ``TMPDIR``).
    """

    def __init__(self, requests: io.RawIOBase, answers: io.RawIOBase, private_dir: Path) -> None:
        self._reader = FrameReader(requests, Limits(max_payload=1 << 40))
        self._answers = answers
        self._send_lock = threading.Lock()
        self._private_dir = private_dir
        self._jobs: queue.Queue[tuple[int, str, Any] | None] = queue.Queue()
        self._tokens: dict[int, CancelToken] = {}
        self._tokens_lock = threading.Lock()
        self.model: ModelHandle | None = None
        self.load_error = "no model was loaded"
        self.status: SandboxStatus | None = None

    # -- channel ------------------------------------------------------------------------------
    def send(self, message: dict[str, Any], value: Any = None, has_value: bool = False) -> None:
        """Send one message; ``value`` goes through the codec into ``message["value"]``."""
        arrays: list[np.ndarray] = []
        if has_value:
            message["value"], arrays = codec.encode(value)
        with self._send_lock:
            write_frame(self._answers, message, arrays)

    def receive(self) -> dict[str, Any] | None:
        """The next request, validated; ``None`` when the parent has gone."""
        frame = self._reader.read()
        if frame is None:
            return None
        message, arrays = frame
        protocol.validate(message, protocol.TO_ENGINE)
        if message["type"] == "call":
            message["args"] = codec.decode(message["args"], arrays)
            if not isinstance(message["args"], dict):
                raise ProtocolError("call arguments must be a dict")
        return message

    # -- life cycle ---------------------------------------------------------------------------
    def handshake(self) -> None:
        """Tell the parent which versions run here and what sandbox the machine offers."""
        # Asking TensorFlow for its GPUs would start the driver's threads before the sandbox.
        gpu = tf().test.is_built_with_cuda() and os.path.exists("/dev/nvidiactl")
        self.send({"type": "ready", "protocol": protocol.PROTOCOL_VERSION,
                   "jacgui": __version__, "python": platform.python_version(),
                   "tensorflow": tf().__version__, "keras": keras().__version__,
                   "numpy": np.__version__, "pid": os.getpid(),
                   "landlock_abi": sandbox.landlock_abi()[0],
                   "sandbox": sandbox.support_summary(),
                   "device": "GPU or CPU (chosen when a model loads)" if gpu else "CPU"})

    def serve(self) -> None:
        """Wait for the model, confine the process for it, load it, then run jobs until told."""
        while True:
            message = self.receive()
            if message is None or message["type"] == "shutdown":
                return
            if message["type"] == "load":
                break
            if message["type"] == "call":  # the parent always loads first; answer anyway
                self._fail(message["id"], ModelLoadError("no model is loaded in this engine"))
        try:
            self.status = self._confine(message)
        except sandbox.SandboxError as error:
            self._fail(message["id"], error, internal=True)
            return
        threading.Thread(target=self._read_requests, name="jacgui-engine-reader",
                         daemon=True).start()
        self._load(message)
        while (job := self._jobs.get()) is not None:
            self._run(*job)

    def _confine(self, load: dict[str, Any]) -> SandboxStatus:
        sandbox.apply_memory_limit(load["memory_limit"])
        if load["unsafe"]:
            return sandbox.unconfined("the model is trusted (--unsafe / unsafe=True)",
                                      load["memory_limit"])
        if not sandbox.landlock_abi()[0]:
            return sandbox.unconfined(sandbox.landlock_abi()[1] + "; relying on the model scans",
                                      load["memory_limit"])
        return sandbox.apply(load["path"], self._private_dir, load["memory_limit"])

    def _load(self, load: dict[str, Any]) -> None:
        name = Path(load["path"]).name
        self.send({"type": "activity", "id": load["id"], "what": f"loading {name}"})
        try:
            model = load_model(load["path"], unsafe=load["unsafe"])
            info = model.info(sandbox=self.status)
        except BaseException as error:  # every failure is the load's answer
            self.load_error = f"loading {name} failed: {one_line(error, 1000)}"
            self._fail(load["id"], error)
            return
        self.model = model
        self.send({"type": "result", "id": load["id"], "finished": time.monotonic()}, info,
                  has_value=True)

    def _read_requests(self) -> None:
        try:
            while (message := self.receive()) is not None:
                if message["type"] == "cancel":
                    with self._tokens_lock:
                        self._tokens.setdefault(message["id"], CancelToken()).cancel()
                    self.send({"type": "cancelling", "id": message["id"]})
                elif message["type"] == "call":
                    with self._tokens_lock:
                        self._tokens.setdefault(message["id"], CancelToken())
                    self._jobs.put((message["id"], message["op"], message["args"]))
                elif message["type"] == "shutdown":
                    break
                else:
                    raise ProtocolError(f"unexpected {message['type']} message")
        except OSError:
            pass  # the channel broke: the parent is gone
        except Exception as error:  # a reader that died would orphan the engine
            print(f"jacgui engine: bad request from the parent: {error}", file=sys.stderr)
            _leave(self._private_dir, PROTOCOL_EXIT)
        _leave(self._private_dir, 0)  # the parent is gone or asked: stop whatever runs

    # -- jobs ---------------------------------------------------------------------------------
    def _run(self, job_id: int, op: str, args: dict[str, Any]) -> None:
        with self._tokens_lock:
            token = self._tokens.setdefault(job_id, CancelToken())
        try:
            operation = OPERATIONS.get(op)
            if operation is None:
                raise ProtocolError(f"unknown operation {op[:40]!r}")
            token.raise_if_cancelled()
            if self.model is None:
                raise ModelLoadError(f"no model: {self.load_error}")
            what = operation.describe(self.model, args)
            self.send({"type": "activity", "id": job_id, "what": what})
            if _DEBUG:
                print(f"jacgui engine: job {job_id}: {what}", file=sys.stderr, flush=True)
            value = operation.run(self.model, args, self._progress(job_id), token)
        except BaseException as error:  # every failure is the job's answer
            self._fail(job_id, error, internal=isinstance(error, ProtocolError))
        else:
            try:
                self.send({"type": "result", "id": job_id, "finished": time.monotonic()}, value,
                          has_value=True)
            except TypeError as error:
                self._fail(job_id, error, internal=True)
        finally:
            with self._tokens_lock:
                self._tokens.pop(job_id, None)

    def _progress(self, job_id: int) -> Callable[[Progress], None]:
        def report(progress: Progress) -> None:
            self.send({"type": "progress", "id": job_id}, progress, has_value=True)
        return report

    def _fail(self, job_id: int, error: BaseException, internal: bool = False) -> None:
        kind, name = "internal", type(error).__name__
        if isinstance(error, JacobianCancelled):
            kind = "cancelled"
        elif _out_of_memory(error):
            kind = "memory"
        elif isinstance(error, JacguiError) and not internal:
            kind = "user"
            name = next(c.__name__ for c in type(error).__mro__
                        if protocol.USER_ERRORS.get(c.__name__) is c)
        text = "" if kind != "internal" else "".join(
            traceback.format_exception(type(error), error, error.__traceback__))
        self.send({"type": "error", "id": job_id, "kind": kind, "error_class": name,
                   "message": one_line(error, 1000), "traceback": text})


def _out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` or what caused it is an allocation failure (NumPy, Python or TF)."""
    seen = 0
    while error is not None and seen < 20:
        if isinstance(error, MemoryError) or type(error).__name__ == "ResourceExhaustedError":
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _leave(private_dir: Path, status: int) -> None:
    shutil.rmtree(private_dir, ignore_errors=True)
    os._exit(status)


def _take_channel() -> tuple[io.RawIOBase, io.RawIOBase]:
    """The channel on private descriptors; fd 0 becomes /dev/null and fd 1 stderr."""
    requests, answers = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdout.flush()
    os.dup2(2, 1)
    try:
        import fcntl

        fcntl.fcntl(answers, _F_SETPIPE_SZ, _PIPE_BYTES)  # fewer wake-ups for large results
    except (ImportError, OSError):
        pass
    return io.FileIO(requests, "rb"), io.FileIO(answers, "wb")


def main(argv: list[str] | None = None) -> int:
    """Run an engine on this process's stdin/stdout; ``argv[0]`` is its private folder."""
    args = sys.argv[1:] if argv is None else argv
    private_dir = Path(args[0]) if args else Path(os.environ.get("TMPDIR", "/tmp"))
    requests, answers = _take_channel()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    faulthandler.enable()
    engine = Engine(requests, answers, private_dir)
    try:
        tf(), keras()
        engine.handshake()
        engine.serve()
    except (BrokenPipeError, ProtocolError) as error:
        print(f"jacgui engine: {error}", file=sys.stderr)
        _leave(private_dir, PROTOCOL_EXIT)
    _leave(private_dir, 0)
    return 0


if __name__ == "__main__":
    main()
