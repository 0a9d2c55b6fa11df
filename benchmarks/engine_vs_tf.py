"""jacgui's engine against the best plain TensorFlow call, in the same process.

Run:  python benchmarks/engine_vs_tf.py [--runs 30] [--models A,B,C,D,E] [--demos]

For each model it prints the median time of every jacgui method and of the plain TF call of
the same kind (cached tf.function around tape.jacobian; vectorised ForwardAccumulator JVPs;
float32 batched central differences), called in alternation pair by pair (so cache effects
of a neighbouring big call do not favour either side), and the ratio jacgui / plain. ``auto``
is compared with the plain call of the mode it picks. For 784-input models (and with --demos for every
model) it also extrapolates the textbook loop, two eager model calls per cell, and prints how
many times faster batched fd-central is. Calls are interleaved round-robin so that machine
noise hits both sides alike. A-E are the issue's reference models; --demos adds the bundled
demo models.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import baselines  # noqa: E402
from models import build_models  # noqa: E402

import jacgui  # noqa: E402
from jacgui._resources import examples  # noqa: E402
from jacgui.core.planning import choose_method  # noqa: E402

METHODS = ("auto", "reverse", "forward", "fd-forward", "fd-central")


def interleaved_medians(calls: dict, runs: int, budget_s: float = 30.0) -> dict[str, float]:
    """Median ms of each callable, called round-robin after one warm-up call each."""
    for call in calls.values():
        call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    deadline = time.perf_counter() + budget_s
    for _ in range(runs):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
        if time.perf_counter() > deadline:
            break
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}


def handles(letters: set[str], demos: bool):
    """(name, jacgui handle) for the reference models (saved and reloaded) and the demos."""
    folder = Path(tempfile.mkdtemp(prefix="jacgui-bench-"))
    for name, keras_model in build_models().items():
        if name[0] in letters:
            path = folder / f"{name[0]}.keras"
            keras_model.save(path)
            yield name, jacgui.load_model(path)
    if demos:
        for name, path in examples().items():
            yield f"demo {path.name}", jacgui.load_model(path)


def bench_one(name: str, model, runs: int, loop_seconds: float, loop: bool,
              slow_fd: bool) -> None:
    """Print the rows of one model: each jacgui method timed in alternation with its baseline."""
    spec = model.input()
    x = np.asarray(model.default_point[spec.name], dtype=np.float32)
    if not np.any(x):
        x = np.random.default_rng(1).uniform(-1, 1, spec.shape).astype(np.float32)
    m, n = model.output().size, spec.size

    def call(batch):
        return model.forward({spec.name: batch})[model.output().name]

    # Large inputs are chunked the way an expert would: the unchunked call runs out of memory.
    block = None if n <= 2048 else 1024
    plain = {"reverse": baselines.plain_reverse(call, spec.shape),
             "forward": baselines.plain_forward(call, spec.shape, block),
             "fd": baselines.plain_batched_fd(call, spec.shape, block)}
    jac = {method: (lambda method=method: jacgui.jacobian(model, x, method=method))
           for method in METHODS}
    # Like for like with the plain batch and the textbook loop: float32, no 2h error estimate.
    jac["fd-central f32"] = lambda: jacgui.jacobian(
        model, x, method="fd-central", dtype="float32", error_estimate=False)
    plain_of = {"reverse": "reverse", "forward": "forward", "fd-forward": "fd",
                "fd-central": "fd", "fd-central f32": "fd"}
    auto, _ = choose_method("auto", m, n)
    plain_of["auto"] = auto
    med: dict[str, float] = {}
    for method, base in plain_of.items():
        if method in ("fd-forward", "fd-central") and not slow_fd:
            continue
        pair = interleaved_medians({"plain": lambda b=base: plain[b](x), "jacgui": jac[method]},
                                   runs)
        med[method] = pair["jacgui"]
        med[f"plain {base}"] = min(med.get(f"plain {base}", np.inf), pair["plain"])
        label = f"auto={auto}" if method == "auto" else method
        print(f"{name:<26} {f'{m}x{n}':>9} {label:<14} {pair['jacgui']:>10.3f} "
              f"{pair['plain']:>9.3f} {pair['jacgui'] / pair['plain']:>6.2f}", flush=True)
    fastest = min(med["reverse"], med["forward"])
    best_plain = min(med["plain reverse"], med["plain forward"])
    print(f"{'':<26} {'':>9} auto / fastest jacgui AD = {med['auto'] / fastest:.2f}; "
          f"auto / best plain AD = {med['auto'] / best_plain:.2f}", flush=True)
    if loop:
        loop_ms = baselines.textbook_loop_ms(call, x, m, loop_seconds)
        text = f"{loop_ms / med['fd-central f32']:.0f}x (float32, like for like)"
        if "fd-central" in med:
            text += f", {loop_ms / med['fd-central']:.0f}x (float64 + error estimate)"
        print(f"{'':<26} {'':>9} textbook loop ~{loop_ms / 1e3:.2f} s (extrapolated): batched "
              f"fd-central is {text} faster", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--models", default="A,B,C,D,E")
    parser.add_argument("--demos", action="store_true")
    parser.add_argument("--loop-seconds", type=float, default=5.0)
    parser.add_argument("--max-fd64-inputs", type=int, default=5000,
                        help="skip float64 FD rows above this many inputs (minutes per call)")
    args = parser.parse_args()
    letters = set(filter(None, args.models.split(",")))
    print(f"{'model':<26} {'m x n':>9} {'method':<14} {'jacgui ms':>10} {'plain ms':>9} "
          f"{'ratio':>6}   (each row: jacgui and its plain TF baseline called in alternation; "
          "fd rows: plain = float32 batched central differences)")
    for name, model in handles(letters, args.demos):
        loop = args.demos and name.startswith("demo") or model.input().size == 784
        bench_one(name, model, args.runs, args.loop_seconds, loop,
                  model.input().size <= args.max_fd64_inputs)


if __name__ == "__main__":
    main()
