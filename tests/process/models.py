"""Hostile and misbehaving models for the engine-process tests, written by these builders.

Every ``.py`` model here behaves at load time (the loader evaluates ``f`` at the default point
``x = 0``) and misbehaves only when computing at a point whose first value is above
:data:`TRIGGER`, so a test controls exactly when the damage happens.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np

#: A point whose first value is above this makes the models below misbehave.
TRIGGER = 100.0
#: A point that triggers them.
HOT_POINT = np.array([1000.0, 1.0, 2.0, 3.0])

_HEADER = '''
import ctypes
import os
import sys
import time

import numpy as np
import tensorflow as tf

INPUT_SHAPE = (4,)


def _hot(x):
    return np.asarray(x).reshape(-1)[0] > {trigger}


def _guarded(action):
    """Run ``action`` inside the graph, only at a hot point; f stays differentiable."""
    def step(x):
        if _hot(x):
            action()
        return np.asarray(x, dtype=np.asarray(x).dtype)

    def f(x):
        y = tf.numpy_function(step, [x], x.dtype, stateful=True)
        y = tf.ensure_shape(y, x.shape)
        return tf.reduce_sum(x * x) + 0.0 * tf.reduce_sum(y)
    return f
'''


def write_py(directory: Path, name: str, body: str, **values: Any) -> Path:
    """A ``.py`` model: the shared header plus ``body`` formatted with ``values``."""
    path = directory / name
    source = _HEADER.format(trigger=TRIGGER) + textwrap.dedent(body).format(**values)
    path.write_text(source, encoding="utf-8")
    return path


def segfault_model(directory: Path) -> Path:
    """Dies of SIGSEGV (a NULL read through ctypes) while computing at a hot point."""
    return write_py(directory, "segfault.py", """
        f = _guarded(lambda: ctypes.string_at(0))
    """)


def exit_model(directory: Path) -> Path:
    """Calls ``os._exit(7)`` while computing at a hot point."""
    return write_py(directory, "quitter.py", """
        f = _guarded(lambda: os._exit(7))
    """)


#: What the models below write to the engine's stderr once they are stuck inside a job.
STUCK = "jacgui-test: stuck inside the job"


def gated_model(directory: Path, gate: Path) -> Path:
    """Blocks while computing at a hot point until the file ``gate`` exists.

    ``os.path.exists`` needs no read right, so the gate works in the sandbox too. Once blocked it
    writes :data:`STUCK` to stderr, so a test knows the engine is past its cancel checkpoint.
    """
    return write_py(directory, "gated.py", """
        def _wait():
            if not os.path.exists({gate!r}):
                print({stuck!r}, file=sys.stderr, flush=True)
            while not os.path.exists({gate!r}):
                time.sleep(0.005)

        f = _guarded(_wait)
    """, gate=str(gate), stuck=STUCK)


def memory_bomb_model(directory: Path, nbytes: int, shared: bool, hold: bool) -> Path:
    """Allocates and touches ``nbytes`` while loading: private heap or anonymous shared memory.

    Shared anonymous memory is not counted by RLIMIT_DATA: only the watchdog can stop it. With
    ``hold`` the model then waits forever, so the load can only end by the engine being stopped.
    """
    allocate = ("m = mmap.mmap(-1, {n}, flags=mmap.MAP_SHARED)\n"
                "for i in range(0, {n}, 4096):\n    m[i] = 1") if shared else \
        "block = np.ones({n} // 8)"
    return write_py(directory, "shared_bomb.py" if shared else "bomb.py", """
        import mmap

        {allocate}
        while {hold}:
            time.sleep(1)

        f = _guarded(lambda: None)
    """, allocate=allocate.format(n=int(nbytes)), hold=bool(hold))


def attack_model(directory: Path, targets: dict[str, Any]) -> Path:
    """Tries every escape at load time and reports what happened in its output's name.

    ``targets`` holds: ``canary_dir`` (a folder with ``canary.txt``), ``site`` (a folder on the
    engine's ``sys.path``), ``secret`` (a file to read), ``tcp_port`` (a listening TCP socket),
    ``udp_port`` (a bound UDP socket), ``unix_path`` (a listening Unix socket) and
    ``parent`` (the test process id). At compute time it also writes a file from inside the
    TensorFlow graph (``tf.io.write_file``), which runs on TensorFlow's own threads.
    """
    return write_py(directory, "attack.py", """
        import socket
        import subprocess

        T = {targets!r}
        RESULTS = []


        def attempt(name, action):
            try:
                action()
                RESULTS.append(name + "=done")
            except BaseException as error:
                RESULTS.append(name + "=" + type(error).__name__)


        def _write(path, text="pwned"):
            with open(path, "w") as stream:
                stream.write(text)


        attempt("write", lambda: _write(os.path.join(T["canary_dir"], "written.txt")))
        attempt("overwrite", lambda: _write(os.path.join(T["canary_dir"], "canary.txt")))
        attempt("delete", lambda: os.remove(os.path.join(T["canary_dir"], "canary.txt")))
        attempt("pth", lambda: _write(os.path.join(T["site"], "evil.pth"), "import os"))
        attempt("read", lambda: open(T["secret"]).read())
        attempt("tcp", lambda: socket.create_connection(("127.0.0.1", T["tcp_port"]), 2))
        attempt("udp", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(
            b"pwned", ("127.0.0.1", T["udp_port"])))
        attempt("unix", lambda: socket.socket(socket.AF_UNIX).connect(T["unix_path"]))
        attempt("exec", lambda: subprocess.run(
            ["/bin/sh", "-c", "echo pwned > " + os.path.join(T["canary_dir"], "exec.txt")],
            check=True))
        attempt("signal", lambda: os.kill(T["parent"], 0))

        OUTPUT_NAMES = [";".join(RESULTS)]
        GRAPH_TARGET = os.path.join(T["canary_dir"], "from_graph.txt")


        def f(x):
            def write():
                tf.io.write_file(GRAPH_TARGET, "pwned")
                return x
            y = tf.cond(x[0] > {trigger}, write, lambda: x)
            return tf.reshape(tf.reduce_sum(y * y), (1,))
    """, targets=targets, trigger=TRIGGER)


def forging_model(directory: Path, payload: str) -> Path:
    """Writes ``payload`` (Python building the bytes) into the engine's answer channel at load.

    The channel is the one writable pipe that is not stderr; a model running in the engine can
    find it, so the parent must treat every byte that arrives as hostile.
    """
    return write_py(directory, "forger.py", """
        import fcntl
        import stat

        from jacgui.core.process.wire import encode_frame


        def _channel():
            err = os.fstat(2).st_ino
            for name in os.listdir("/proc/self/fd"):
                fd = int(name)
                try:
                    info = os.fstat(fd)
                    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
                except OSError:
                    continue
                if (stat.S_ISFIFO(info.st_mode) and flags & os.O_ACCMODE == os.O_WRONLY
                        and info.st_ino != err):
                    return fd
            raise RuntimeError("no channel found")


        os.write(_channel(), {payload})
        time.sleep(600)  # the parent must stop this engine; the load never answers itself
        f = _guarded(lambda: None)
    """, payload=payload)


def results_of(names: str) -> dict[str, str]:
    """``{"write": "PermissionError", ...}`` from an attack model's output name."""
    return dict(item.split("=", 1) for item in names.split(";"))


def endless_savedmodel(directory: Path) -> Path:
    """A SavedModel whose serving function never returns (a ``tf.while_loop`` on ``True``).

    It says nothing when it loops (printing is refused by the scan, as a real attacker's loop
    would be silent): tests see it loop by the engine's CPU time (:func:`conftest.wait_busy`).
    """
    import tensorflow as tf

    class Endless(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec((None, 3), tf.float32, name="x")])
        def serve(self, x):
            start = tf.constant(0, tf.int64)
            count = tf.while_loop(lambda i: tf.constant(True), lambda i: i + 1, [start])[0]
            return {"y": x * 2.0 + tf.cast(count, tf.float32) * 0.0}

    module = Endless()
    path = directory / "endless"
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path
