"""The cost of the process boundary: the engine process against the same work in-process.

Run:  nice python benchmarks/engine_process.py [--runs N] [--compare-tree PATH]

1. live mode: round trips per second of the demo's Jacobian at a moving point, through the
   engine (``EngineClient.call``) and in-process (``jacgui.jacobian``); the window needs >= 20/s;
2. a 1000 x 1000 float32 Jacobian: from the engine having it (its ``time.monotonic()``, a clock
   shared by the processes of one machine) to the decoded array here; target <= 30 ms;
3. start to first Jacobian of the demo in a fresh process: engine client vs in-process API;
4. ``jacgui compute`` of the demo end to end against a bare ``python -c "import tensorflow"``
   (medians); ``--compare-tree`` runs the same command with another checkout of jacgui first
   on ``PYTHONPATH`` (e.g. the main branch, which computes in-process);
5. cancel: a cooperative cancel between chunks, and the kill of an endless graph after the grace;
6. opening a second model (and so a restart after a crash): in the warm spare or a cold engine.

Medians of ``--runs`` repetitions; the machine's speed matters only through the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jacgui._resources import examples  # noqa: E402 - after the path set-up above
from jacgui.core.errors import JacobianCancelled  # noqa: E402
from jacgui.core.process.client import EngineClient  # noqa: E402

DEMO = next(path for path in examples().values() if path.stem == "oscillator")
DIGITS = next(path for path in examples().values() if path.stem == "digits_cnn")


def _median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1e3


def live_mode(calls: int) -> None:
    import jacgui

    local = jacgui.load_model(DEMO)
    name = local.inputs[0].name
    base = local.default_point[name]
    points = [base * (1 + 0.01 * np.sin(k)) for k in range(calls)]
    with EngineClient() as client:
        client.open_model(DEMO)
        for _ in range(5):  # traces and warm caches on both sides
            client.call("jacobian", {"point": {name: base}})
            jacgui.jacobian(local, base)
        remote, near = [], []
        for point in points:
            start = time.perf_counter()
            client.call("jacobian", {"point": {name: point}})
            remote.append(time.perf_counter() - start)
            start = time.perf_counter()
            jacgui.jacobian(local, point)
            near.append(time.perf_counter() - start)
    print(f"live mode, demo {local.outputs[0].size}x{local.inputs[0].size}, {calls} calls:")
    print(f"  engine     {_median_ms(remote):7.2f} ms/call  {1 / statistics.median(remote):7.0f}/s")
    print(f"  in-process {_median_ms(near):7.2f} ms/call  {1 / statistics.median(near):7.0f}/s")
    print(f"  ratio engine/in-process: {statistics.median(remote) / statistics.median(near):.2f}")


def large_result(runs: int, folder: Path) -> None:
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1000,), name="x"), keras.layers.Dense(1000, name="y")])
    path = folder / "square1000.keras"
    model.save(path)
    transfer, total, compute = [], [], []
    with EngineClient() as client:
        client.open_model(path)
        client.call("jacobian", {"method": "reverse"})
        for _ in range(runs):
            start = time.monotonic()
            job = client.submit("jacobian", {"method": "reverse"})
            result = job.result()
            done = time.monotonic()
            assert result.matrix.shape == (1000, 1000) and result.matrix.dtype == np.float32
            transfer.append(job.received_at - job.finished_at)
            total.append(done - start)
            compute.append(result.seconds)
    print(f"1000x1000 float32 Jacobian, {runs} runs:")
    print(f"  engine finished -> array decoded here: {_median_ms(transfer):6.1f} ms "
          f"(max {max(transfer) * 1e3:.1f}; target <= 30)")
    print(f"  whole call {_median_ms(total):6.1f} ms, of which computing "
          f"{_median_ms(compute):6.1f} ms")


_FIRST_ENGINE = """
import time, sys
start = float(sys.argv[1])
from jacgui.core.process.client import EngineClient
client = EngineClient()
client.open_model(sys.argv[2])
client.call("jacobian", {{}})
print(time.time() - start)
client.close()
"""
_FIRST_LOCAL = """
import time, sys
start = float(sys.argv[1])
import jacgui
jacgui.jacobian(jacgui.load_model(sys.argv[2]))
print(time.time() - start)
"""


def first_result(runs: int, pythonpath: str) -> None:
    env = dict(os.environ, PYTHONPATH=pythonpath, TF_CPP_MIN_LOG_LEVEL="3")
    codes = {"engine client": _FIRST_ENGINE.format(), "in-process": _FIRST_LOCAL}
    times: dict[str, list[float]] = {label: [] for label in codes}
    for _ in range(runs):  # interleaved, so a change in the machine's load hits both alike
        for label, code in codes.items():
            out = subprocess.run([sys.executable, "-c", code, repr(time.time()), str(DEMO)],
                                 capture_output=True, text=True, env=env, check=True).stdout
            times[label].append(float(out.strip().splitlines()[-1]))
    print(f"start to first demo Jacobian in a fresh process ({runs} runs, medians):")
    for label, values in times.items():
        print(f"  {label:<14} {statistics.median(values):6.2f} s")


def cli(runs: int, compare_tree: str | None) -> None:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    command = [sys.executable, "-m", "jacgui", "compute", str(DEMO)]
    rows = {"python -c 'import tensorflow'": ([sys.executable, "-c", "import tensorflow"], env),
            "jacgui compute demo (this tree)": (command, dict(env, PYTHONPATH=str(ROOT)))}
    if compare_tree:
        rows[f"jacgui compute demo ({Path(compare_tree).name})"] = (
            command, dict(env, PYTHONPATH=compare_tree))
    times: dict[str, list[float]] = {label: [] for label in rows}
    for _ in range(runs):  # interleaved, so a change in the machine's load hits all alike
        for label, (cmd, run_env) in rows.items():
            start = time.perf_counter()
            subprocess.run(cmd, env=run_env, capture_output=True, check=True, cwd=ROOT)
            times[label].append(time.perf_counter() - start)
    bare = statistics.median(next(iter(times.values())))
    print(f"command line, {runs} runs, medians:")
    for label, values in times.items():
        value = statistics.median(values)
        print(f"  {label:<40} {value:6.2f} s  ({value - bare:+5.2f} s over the bare import)")


def _running(client: EngineClient, args: dict) -> object:
    """Submit a Jacobian and return its job once the engine reports its first progress."""
    started = threading.Event()
    job = client.submit("jacobian", args, on_progress=lambda progress: started.set())
    started.wait()
    return job


def cancel(runs: int, folder: Path) -> None:
    from tests.process.conftest import wait_busy
    from tests.process.models import endless_savedmodel

    cooperative, killed = [], []
    with EngineClient() as client:
        client.open_model(DIGITS)
        for _ in range(runs):
            job = _running(client, {"method": "fd-central", "memory_budget": 40 << 20})
            start = time.monotonic()
            client.cancel(job.job_id)
            try:
                job.result()
            except JacobianCancelled:
                cooperative.append(time.monotonic() - start)
        client.open_model(endless_savedmodel(folder))
        for _ in range(min(runs, 3)):
            job = _running(client, {})
            wait_busy(client)  # inside the endless loop (it is silent), past every chunk boundary
            start = time.monotonic()
            client.cancel(job.job_id)
            try:
                job.result()
            except JacobianCancelled:
                killed.append(time.monotonic() - start)
            # The next job queues behind the reload of the model in the restarted engine.
        grace = client.cancel_grace
    print(f"cancel (grace {grace:g} s):")
    print(f"  between chunks (digits, central differences): {_median_ms(cooperative):6.1f} ms")
    print(f"  endless graph, killed after the grace:        {_median_ms(killed):6.1f} ms")


def second_model(runs: int) -> None:
    borehole = next(path for path in examples().values() if path.stem == "borehole")
    warm, cold = [], []
    for _ in range(runs):
        with EngineClient(spare=True) as client:
            client.open_model(DEMO)
            while client.spare_pid is None:
                time.sleep(0.05)  # the spare starts once the client is idle
            start = time.perf_counter()
            client.open_model(borehole)
            warm.append(time.perf_counter() - start)
        start = time.perf_counter()
        with EngineClient() as client:
            client.open_model(borehole)
            cold.append(time.perf_counter() - start)
    print(f"opening a second model ({runs} runs, medians):")
    print(f"  in the warm spare   {_median_ms(warm):7.0f} ms")
    print(f"  in a cold engine    {_median_ms(cold):7.0f} ms (includes importing TensorFlow)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=200, help="live-mode calls")
    parser.add_argument("--compare-tree", help="another jacgui checkout for the CLI comparison")
    parser.add_argument("--only", choices=("live", "large", "first", "cli", "cancel", "open"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        steps = {"live": lambda: live_mode(args.calls),
                 "large": lambda: large_result(max(args.runs, 10), Path(folder)),
                 "first": lambda: first_result(args.runs, str(ROOT)),
                 "cli": lambda: cli(args.runs, args.compare_tree),
                 "cancel": lambda: cancel(args.runs, Path(folder)),
                 "open": lambda: second_model(args.runs)}
        for name, step in steps.items():
            if args.only in (None, name):
                step()
    return 0


if __name__ == "__main__":
    sys.exit(main())
