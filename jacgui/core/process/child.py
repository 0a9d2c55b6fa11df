"""One engine process seen from the parent: spawn, channel threads, stderr tail, kill, exit.

:class:`EngineProcess` knows nothing of jobs: it starts ``python -m jacgui.core.process.server``
in its own session (a terminal's Ctrl-C reaches only the parent), with a private temporary
folder as ``HOME`` and ``TMPDIR``; it writes frames from a queue (so a caller never blocks on a
busy engine), reads frames on a thread and hands each one, validated, to the client; keeps the
last lines of the engine's stderr; and, once the channel ends, reaps the process and says why it
ended.
"""

from __future__ import annotations

import atexit
import collections
import io
import os
import queue
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import protocol
from .wire import FrameReader, Limits, ProtocolError, encode_frame

try:
    import fcntl
except ImportError:  # not on Windows
    fcntl = None

__all__ = ["EngineProcess", "engine_environment"]

#: Lines of the engine's stderr kept for crash messages and debugging.
STDERR_LINES = 200
_F_SETPIPE_SZ = 1031
_PIPE_BYTES = 1 << 20
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

MessageHandler = Callable[["EngineProcess", dict[str, Any], list[np.ndarray]], None]
LostHandler = Callable[["EngineProcess", str], None]

_LIVE: weakref.WeakSet[EngineProcess] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    # Engines end on their own when this process's end closes their channel, but a SIGKILLed
    # engine cannot remove its folder: stop them here, while we can still clean up.
    for engine in list(_LIVE):
        engine.close()
        engine.remove_private_dir()


def engine_environment(private_dir: str) -> dict[str, str]:
    """The engine's environment: ours, with a private HOME/TMPDIR and this jacgui importable.

    ``OPENBLAS_NUM_THREADS=1`` keeps NumPy from starting a thread pool at import: the sandbox
    must be applied while the engine has a single thread (TensorFlow uses its own pools).
    """
    env = dict(os.environ)
    private = Path(private_dir)
    env.update(HOME=str(private), TMPDIR=str(private), TEMP=str(private), TMP=str(private),
               KERAS_HOME=str(private / ".keras"), XDG_CACHE_HOME=str(private / ".cache"),
               XDG_CONFIG_HOME=str(private / ".config"), OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1", PYTHONNOUSERSITE="1")
    # The same code as ours: the folder holding this jacgui, then our PYTHONPATH and user site
    # (which a private HOME would hide).
    root = str(Path(__file__).resolve().parents[3])
    extra = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else ""
    if user_site and user_site in sys.path:
        extra.append(user_site)
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([root, *extra]))
    return env


class EngineProcess:
    """A running engine process and its channel.

    Parameters
    ----------
    on_message : callable
        ``on_message(engine, message, arrays)`` for every valid frame, on the reader thread.
    on_lost : callable
        ``on_lost(engine, reason)`` once, on the reader thread, when the channel ends or breaks
        (``reason`` is empty for a plain end, else the protocol error); the process is reaped
        before the call.
    max_payload : int
        The largest array payload accepted in one frame.
    echo_stderr : bool
        Copy the engine's stderr to ours as it comes (``JACGUI_DEBUG=1``).
    """

    def __init__(self, on_message: MessageHandler, on_lost: LostHandler, max_payload: int,
                 echo_stderr: bool = False) -> None:
        self.private_dir = tempfile.mkdtemp(prefix="jacgui-engine-")
        self.started_at = time.monotonic()
        self.status: dict[str, Any] | None = None  # the handshake, once it came
        self.kill_reason: tuple[str, Any] | None = None
        self.returncode: int | None = None
        self.peak_rss = 0
        self.closing = False
        self._on_message, self._on_lost = on_message, on_lost
        self._echo = echo_stderr
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self._outbox: queue.Queue[list[Any] | None] = queue.Queue()
        self._ended = threading.Event()
        self._popen = subprocess.Popen(
            [sys.executable, "-m", "jacgui.core.process.server", self.private_dir],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
            cwd=self.private_dir, env=engine_environment(self.private_dir),
            start_new_session=hasattr(os, "setsid"), close_fds=True)
        self.pid = self._popen.pid
        _LIVE.add(self)
        self._grow_pipe(self._popen.stdin)
        self._limits = Limits(max_payload=max_payload)
        for target, name in ((self._read, "reader"), (self._write, "writer"),
                             (self._read_stderr, "stderr")):
            threading.Thread(target=target, name=f"jacgui-engine-{self.pid}-{name}",
                             daemon=True).start()

    # -- channel ------------------------------------------------------------------------------
    def send(self, message: dict[str, Any], arrays: list[np.ndarray] | None = None) -> None:
        """Queue one message for the engine (never blocks; lost if the engine is gone)."""
        self._outbox.put(encode_frame(message, arrays or []))

    def _write(self) -> None:
        stream = self._popen.stdin
        while (pieces := self._outbox.get()) is not None:
            try:
                for piece in pieces:
                    stream.write(piece)  # a raw pipe in blocking mode writes everything
            except (BrokenPipeError, OSError, ValueError):
                return  # the engine is gone; the reader reports it

    def _read(self) -> None:
        reader = FrameReader(self._popen.stdout, self._limits)
        reason = ""
        try:
            while (frame := reader.read()) is not None:
                message, arrays = frame
                protocol.validate(message, protocol.FROM_ENGINE)
                if self.status is None and message["type"] != "ready":
                    raise ProtocolError("the engine did not start with a handshake")
                if message["type"] == "ready":
                    if self.status is not None:
                        raise ProtocolError("a second handshake")
                    if message["protocol"] != protocol.PROTOCOL_VERSION:
                        raise ProtocolError(f"protocol {message['protocol']}, expected "
                                            f"{protocol.PROTOCOL_VERSION}")
                    self.status = message
                self._on_message(self, message, arrays)
        except ProtocolError as error:
            reason = str(error) or "protocol error"
        except (OSError, ValueError) as error:
            reason = f"the channel failed: {error}"
        self._outbox.put(None)
        self._reap(kill=bool(reason))
        self._ended.set()
        self._on_lost(self, reason)

    def _read_stderr(self) -> None:
        stream = io.BufferedReader(self._popen.stderr)
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip("\n")[:500]
            self._stderr.append(line)
            if self._echo:
                print(f"[engine {self.pid}] {line}", file=sys.stderr)

    @staticmethod
    def _grow_pipe(stream: Any) -> None:
        if fcntl is not None:
            try:
                fcntl.fcntl(stream.fileno(), _F_SETPIPE_SZ, _PIPE_BYTES)
            except (OSError, ValueError):
                pass  # an older kernel: the default 64 KiB pipe still works

    # -- process ------------------------------------------------------------------------------
    def rss(self) -> int:
        """Resident memory in bytes right now (0 once the process is gone or unknown)."""
        try:
            with open(f"/proc/{self.pid}/statm", encoding="ascii") as stream:
                value = int(stream.read().split()[1]) * _PAGE
        except (OSError, ValueError, IndexError):
            return 0
        self.peak_rss = max(self.peak_rss, value)
        return value

    def kill(self, reason: str, detail: Any = None) -> None:
        """Stop the engine (and anything it started) at once; the first reason given wins."""
        if self.kill_reason is None:
            self.kill_reason = (reason, detail)
        try:
            if hasattr(os, "killpg"):
                os.killpg(self.pid, signal.SIGKILL)  # the engine's session: it and its children
            else:
                self._popen.kill()
        except (ProcessLookupError, PermissionError, OSError):
            pass

    def close(self) -> None:
        """Stop the engine without reporting it as lost."""
        self.closing = True
        self.kill("close")

    def wait_ended(self, timeout: float) -> bool:
        """Wait until the process is reaped and its folder removed; whether it was."""
        return self._ended.wait(timeout)

    def remove_private_dir(self) -> None:
        """Remove the engine's temporary folder now (after :meth:`close`, if not yet reaped)."""
        shutil.rmtree(self.private_dir, ignore_errors=True)

    def stderr_tail(self, lines: int = 40) -> list[str]:
        """The last ``lines`` lines the engine wrote to stderr."""
        return list(self._stderr)[-lines:]

    def _reap(self, kill: bool) -> None:
        # A broken engine may keep running with its channel closed: wait a little, then kill.
        deadline = time.monotonic() + (0.0 if kill else 2.0)
        while self.returncode is None and not hasattr(os, "wait4"):
            try:
                self.returncode = self._popen.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.kill("protocol" if kill else "hung")
                deadline = float("inf")
        while self.returncode is None:
            try:
                pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = self._popen.returncode if self._popen.returncode is not None \
                    else -signal.SIGKILL
                break
            if pid == self.pid:
                self.returncode = os.waitstatus_to_exitcode(status)
                self.peak_rss = max(self.peak_rss, usage.ru_maxrss * 1024)
                break
            if time.monotonic() >= deadline:
                self.kill("protocol" if kill else "hung")
                deadline = float("inf")
            time.sleep(0.005)
        self._popen.returncode = self.returncode  # reaped here, so Popen must not wait again
        for stream in (self._popen.stdin, self._popen.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.remove_private_dir()
        _LIVE.discard(self)

    def exit_cause(self) -> str:
        """``"SIGSEGV"``, ``"exit status 3"``, ...: how the process ended."""
        code = self.returncode
        if code is None:
            return "still running"
        if code < 0:
            try:
                return signal.Signals(-code).name
            except ValueError:
                return f"signal {-code}"
        return f"exit status {code}"
