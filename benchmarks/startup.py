"""Start-up time of the window: process start to window painted, and to the first heatmap.

Run:  python benchmarks/startup.py [-n 5] [--display auto|xvfb|offscreen] [MODEL]

Launches ``python -m jacgui`` ``n`` times as a subprocess. The launcher notes ``time.time()``
just before ``Popen``; the app, told by ``JACGUI_TIMING_FILE``, appends ``<event> <time.time()>``
lines as it starts (see :func:`jacgui.gui.app.mark`) and quits by itself once the first
Jacobian is painted (``JACGUI_EXIT_AFTER_FIRST_RESULT=1``). Every run gets a fresh settings
folder (``XDG_CONFIG_HOME``), so no saved geometry or recent list changes what it does.

Each launch alternates with a bare ``python -c "import tensorflow"`` in the same environment,
so the time from launch to the first heatmap is also given as the median of per-pair
differences over that import (the engine imports TensorFlow in its own process while the
window starts; the rest is loading, the first trace and the paint).

``auto`` uses a real X server (Xvfb) when one is installed, else Qt's offscreen platform.
Targets (issues): window painted < 1.0 s; first heatmap of the demo within 1.2 s of a bare
TensorFlow import; medians.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ("main", "app_created", "window_built", "shown", "painted", "tf_ready",
          "model_loaded", "first_result")


def start_xvfb() -> tuple[subprocess.Popen, str]:
    """A private Xvfb server; returns it and its DISPLAY."""
    for number in range(91, 120):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            display = f":{number}"
            server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(100):
                if Path(f"/tmp/.X11-unix/X{number}").exists():
                    return server, display
                time.sleep(0.05)
            server.kill()
            raise RuntimeError("Xvfb did not start")
    raise RuntimeError("no free X display number")


def launch(env: dict[str, str], model: str | None, timeout: float) -> dict[str, float]:
    """One start of the app; returns seconds from just before Popen to each event."""
    with tempfile.TemporaryDirectory() as folder:
        timing = Path(folder) / "timing.txt"
        run_env = dict(env, JACGUI_TIMING_FILE=str(timing), JACGUI_EXIT_AFTER_FIRST_RESULT="1",
                       XDG_CONFIG_HOME=str(Path(folder) / "config"))
        cmd = [sys.executable, "-m", "jacgui", *([model] if model else [])]
        t0 = time.time()
        proc = subprocess.run(cmd, env=run_env, cwd=ROOT, timeout=timeout,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        total = time.time() - t0
        if proc.returncode != 0 or not timing.exists():
            raise RuntimeError(f"jacgui exited with {proc.returncode}:\n{proc.stdout[-2000:]}")
        times = {}
        for line in timing.read_text().splitlines():
            name, value = line.split()
            times.setdefault(name, float(value) - t0)
        times["exit"] = total
        return times


def bare_tensorflow_import(env: dict[str, str], timeout: float) -> float:
    """Seconds for a fresh ``python -c "import tensorflow"``, Popen to exit."""
    t0 = time.time()
    subprocess.run([sys.executable, "-c", "import tensorflow"], env=env, timeout=timeout,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.time() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", help="model to open (the demo when omitted)")
    parser.add_argument("-n", type=int, default=5, help="number of launches (default 5)")
    parser.add_argument("--display", choices=("auto", "xvfb", "offscreen"), default="auto")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    server = None
    use_xvfb = args.display == "xvfb" or (args.display == "auto" and shutil.which("Xvfb"))
    if use_xvfb:
        server, display = start_xvfb()
        env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb")
        platform = f"Xvfb {display} (xcb)"
    else:
        env["QT_QPA_PLATFORM"] = "offscreen"
        platform = "offscreen"
    try:
        runs, imports = [], []
        for i in range(args.n):
            # Alternate which goes first, so a slow spell of the machine hits both alike.
            if i % 2:
                imports.append(bare_tensorflow_import(env, args.timeout))
                runs.append(launch(env, args.model, args.timeout))
            else:
                runs.append(launch(env, args.model, args.timeout))
                imports.append(bare_tensorflow_import(env, args.timeout))
            r = runs[-1]
            print(f"run {i + 1}: painted {r.get('painted', float('nan')):.3f} s, "
                  f"first heatmap {r.get('first_result', float('nan')):.3f} s, exit {r['exit']:.3f} s; "
                  f"bare import tensorflow {imports[-1]:.3f} s", flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait()

    print(f"\n{platform}, python {sys.version.split()[0]}, {args.n} launches, "
          f"model {args.model or 'demo (oscillator)'}")
    print(f"{'event (s after Popen)':24} {'median':>7} {'min':>7} {'max':>7}")
    for name in (*EVENTS, "exit"):
        values = [r[name] for r in runs if name in r]
        if values:
            print(f"{name:24} {statistics.median(values):7.3f} {min(values):7.3f} {max(values):7.3f}")
    painted = statistics.median(r["painted"] for r in runs)
    first = statistics.median(r["first_result"] for r in runs)
    bare = statistics.median(imports)
    over = statistics.median(r["first_result"] - t for r, t in zip(runs, imports, strict=True))
    print(f"{'bare import tensorflow':24} {bare:7.3f} {min(imports):7.3f} {max(imports):7.3f}")
    print(f"\nwindow painted: median {painted:.3f} s (target < 1.0 s)   "
          f"first heatmap: median {first:.3f} s, {over:+.3f} s over a bare TensorFlow import "
          f"(median of pairs; target <= +1.2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
