"""jacgui's engine against the best plain TensorFlow call, in the same process.

Run:  python benchmarks/engine_vs_tf.py [--runs 30] [--models A,B,C,D,E]

Prints, per model, the median time of each jacgui method and of the plain TF baselines, and
the ratios jacgui / plain TF; then batched FD against the textbook one-call-per-cell loop
(capped, extrapolated). Calls are interleaved so machine noise hits both sides alike.
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
from jacgui.core.planning import choose_method  # noqa: E402


def interleaved_medians(calls: dict, runs: int, budget_s: float = 20.0) -> dict[str, float]:
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--models", default="A,B,C,D,E")
    parser.add_argument("--loop-seconds", type=float, default=5.0)
    args = parser.parse_args()
    wanted = set(args.models.split(","))
    folder = Path(tempfile.mkdtemp(prefix="jacgui-bench-"))
    print(f"{'model':<22} {'m x n':>10} {'method':<11} {'jacgui ms':>10} {'plain ms':>9} "
          f"{'ratio':>6}")
    for name, keras_model in build_models().items():
        if name[0] not in wanted:
            continue
        path = folder / f"{name[0]}.keras"
        keras_model.save(path)
        model = jacgui.load_model(path)
        x = np.random.default_rng(1).uniform(-1, 1, model.input().shape).astype(np.float32)
        m, n = model.output().size, model.input().size
        auto, _ = choose_method("auto", m, n)
        plain_rev = baselines.plain_reverse(keras_model)
        plain_fwd = baselines.plain_forward(keras_model)
        plain_fd = baselines.plain_batched_fd(keras_model)
        plain = {"reverse": plain_rev, "forward": plain_fwd, "fd-central": plain_fd}
        calls = {f"plain {k}": (lambda f=f: f(x)) for k, f in plain.items()}
        for method in ("auto", "reverse", "forward", "fd-central"):
            calls[method] = lambda method=method: jacgui.jacobian(model, x, method=method)
        medians = interleaved_medians(calls, args.runs)
        best_plain = min(medians["plain reverse"], medians["plain forward"])
        for method in ("auto", "reverse", "forward", "fd-central"):
            base = best_plain if method == "auto" else medians[f"plain {method}"]
            label = f"auto={auto}" if method == "auto" else method
            print(f"{name:<22} {f'{m}x{n}':>10} {label:<11} {medians[method]:>10.3f} "
                  f"{base:>9.3f} {medians[method] / base:>6.2f}")
        fastest = min(medians["reverse"], medians["forward"])
        print(f"{'':<22} {'':>10} auto / fastest AD method = {medians['auto'] / fastest:.2f}")
        if n == 784:
            loop_ms = baselines.textbook_loop_ms(keras_model, x, args.loop_seconds)
            print(f"{'':<22} {'':>10} textbook FD loop ~{loop_ms / 1e3:.1f} s (extrapolated); "
                  f"batched fd-central is {loop_ms / medians['fd-central']:.0f}x faster")


if __name__ == "__main__":
    main()
