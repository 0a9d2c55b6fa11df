"""jacgui's engine against the plain call an expert writes, alternating calls in one run.

Run:  nice python benchmarks/engine_vs_tf.py [--pairs 40] [--models A,B,C,D,E] [--all]
      [--loop-seconds 5]

For each reference model (benchmarks/models.py) the model is saved, loaded with
``jacgui.load_model``, and ``jacgui.jacobian(model, x)`` (``auto``) is timed against the expert
call of the mode ``auto`` picks, written on the raw in-memory Keras model (baselines.py):
reverse = ``tape.jacobian`` in one cached ``tf.function``; forward = ``tf.vectorized_map`` of
ForwardAccumulator JVPs over a constant identity in one ``tf.function``. Both map a numpy point
to a numpy matrix. Calls alternate pair by pair (ABBA order, so neither side always runs
first); the table gives the median of the per-pair ratios jacgui / expert and the median of
the per-pair differences (ms added by jacgui). ``--all`` adds explicit reverse, forward and
batched float32 fd-central rows. The last table compares batched fd-central (float32, no
error estimate, like for like) with the loop people write: two eager calls per input column.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import baselines  # the script's folder is first on sys.path
import numpy as np
from models import build_models

import jacgui


def alternate(plain, engine, pairs: int, budget_s: float) -> tuple[float, float, float, float]:
    """Median ms of each side, median per-pair ratio and median per-pair added ms."""
    plain(), engine()  # warm-up: traces on both sides
    plain_ms, engine_ms = [], []
    deadline = time.perf_counter() + budget_s
    for index in range(pairs):
        order = (plain, engine) if index % 2 == 0 else (engine, plain)
        for call in order:
            start = time.perf_counter()
            call()
            (plain_ms if call is plain else engine_ms).append((time.perf_counter() - start) * 1e3)
        if time.perf_counter() > deadline and index >= 4:
            break
    ratios = [e / p for e, p in zip(engine_ms, plain_ms, strict=True)]
    added = [e - p for e, p in zip(engine_ms, plain_ms, strict=True)]
    return (statistics.median(plain_ms), statistics.median(engine_ms), statistics.median(ratios),
            statistics.median(added))


def loaded_models(letters: set[str]):
    """(name, raw Keras model, jacgui handle of the same model saved and reloaded)."""
    folder = Path(tempfile.mkdtemp(prefix="jacgui-bench-"))
    for name, keras_model in build_models().items():
        if name[0] in letters:
            path = folder / f"{name[0]}.keras"
            keras_model.save(path)
            yield name, keras_model, jacgui.load_model(path)


def point_for(handle) -> np.ndarray:
    spec = handle.input()
    return np.random.default_rng(1).uniform(-1, 1, spec.shape).astype(np.float32)


def rows_for(name: str, keras_model, handle, args) -> list[str]:
    x = point_for(handle)
    m, n = handle.output().size, handle.input().size
    block = None if n <= 2048 else 1024
    experts = {"reverse": lambda: baselines.expert_reverse(keras_model),
               "forward": lambda: baselines.expert_forward(keras_model, block),
               "fd": lambda: baselines.expert_batched_fd(keras_model, block)}
    auto = jacgui.jacobian(handle, x)
    cases = [(f"auto ({auto.method})", {}, auto.method)]
    if args.all:
        cases += [("reverse", {"method": "reverse"}, "reverse"),
                  ("forward", {"method": "forward"}, "forward"),
                  ("fd-central f32", {"method": "fd-central", "dtype": "float32",
                                      "error_estimate": False}, "fd")]
    rows = []
    for label, options, kind in cases:
        plain = experts[kind]()
        expected = plain(x)
        got = jacgui.jacobian(handle, x, **options).matrix
        error = np.abs(got - expected).max() / np.abs(expected).max()
        p_ms, e_ms, ratio, added = alternate(lambda p=plain: p(x),
                                             lambda o=options: jacgui.jacobian(handle, x, **o),
                                             args.pairs, args.budget)
        rows.append(f"| {name[0]} | {m}x{n} | {label} | {e_ms:.3f} | {p_ms:.3f} | {ratio:.3f} "
                    f"| {added:+.3f} | {error:.1e} |")
        print(rows[-1], flush=True)
    return rows


def loop_row(name: str, keras_model, handle, seconds: float, pairs: int) -> str:
    x = point_for(handle)
    loop_ms = baselines.per_column_loop_ms(keras_model, x, seconds)
    batched = [0.0] * pairs
    for index in range(pairs):
        start = time.perf_counter()
        jacgui.jacobian(handle, x, method="fd-central", dtype="float32", error_estimate=False)
        batched[index] = (time.perf_counter() - start) * 1e3
    best = statistics.median(batched[1:]) if pairs > 1 else batched[0]
    return (f"| {name[0]} | {handle.input().size} | {loop_ms:.1f} | {best:.2f} "
            f"| {loop_ms / best:.0f}x |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--budget", type=float, default=40.0, help="seconds per row at most")
    parser.add_argument("--models", default="A,B,C,D,E")
    parser.add_argument("--all", action="store_true", help="also reverse, forward and fd rows")
    parser.add_argument("--loop-seconds", type=float, default=5.0)
    parser.add_argument("--no-loop", action="store_true")
    args = parser.parse_args()
    letters = set(filter(None, args.models.split(",")))
    print("| model | m x n | method | jacgui ms | expert ms | ratio (median of pairs) "
          "| added ms | max err / max|J| |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    models = list(loaded_models(letters))
    for name, keras_model, handle in models:
        rows_for(name, keras_model, handle, args)
    if args.no_loop:
        return
    print("\n| model | n | per-column loop ms (extrapolated) | batched fd-central f32 ms "
          "| speed-up |")
    print("|---|---:|---:|---:|---:|")
    for name, keras_model, handle in models:
        print(loop_row(name, keras_model, handle, args.loop_seconds, 7), flush=True)


if __name__ == "__main__":
    main()
