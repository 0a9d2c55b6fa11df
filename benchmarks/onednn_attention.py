"""Attention models: non-vectorised Jacobians with oneDNN on, or vectorised ones with it off?

Run:  nice python benchmarks/onednn_attention.py [--rounds 3] [--calls 15] [--models ...]

Under TensorFlow's oneDNN CPU kernels (the default), vectorised Jacobians through attention
crash or go wrong, so jacgui computes those models without vectorisation. The alternative is
``TF_ENABLE_ONEDNN_OPTS=0``, which TensorFlow reads once at import: it is a decision for the
whole process, so it also changes the speed of every other model. Each configuration runs in
its own subprocess (a crash stays there), rounds alternate the two so that machine load hits
both alike, and every process checks its Jacobians against ``tape.jacobian(...,
experimental_use_pfor=False)``. The table gives jacgui's ``auto`` median per call, the median
over rounds, for a small transformer block, keras Attention, and the reference models A-E.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def attention_models() -> dict:
    """A transformer block (16 tokens x 32, 2 heads, gelu MLP) and keras Attention (16 x 8)."""
    import keras

    keras.utils.set_random_seed(0)
    x = keras.Input((16, 32), name="tokens")
    a = keras.layers.MultiHeadAttention(2, 16)(x, x)
    h = keras.layers.LayerNormalization()(x + a)
    f = keras.layers.Dense(32)(keras.layers.Dense(64, activation="gelu")(h))
    block = keras.Model(x, keras.layers.Flatten()(keras.layers.LayerNormalization()(h + f)),
                        name="transformer_block")
    q = keras.Input((16, 8), name="tokens")
    attention = keras.Model(q, keras.layers.Flatten()(keras.layers.Attention()([q, q])),
                            name="attention")
    return {"T transformer block 16x32, 2 heads": block, "K keras Attention 16x8": attention}


def child(letters: set[str], calls: int) -> None:
    """Time jacgui auto on each model in this process; print one JSON line."""
    import tensorflow as tf
    from models import build_models

    import jacgui
    from jacgui.core._tf import onednn_enabled

    models = {**attention_models(), **build_models()}
    folder = Path(tempfile.mkdtemp(prefix="jacgui-onednn-"))
    out = {"onednn": onednn_enabled()}
    for name, keras_model in models.items():
        if name[0] not in letters:
            continue
        path = folder / f"{name[0]}.keras"
        keras_model.save(path)
        handle = jacgui.load_model(path)
        x = np.random.default_rng(1).uniform(-1, 1, handle.input().shape).astype(np.float32)
        result = jacgui.jacobian(handle, x)
        error = float("nan")
        if name[0] in "TK":  # the models at risk: check against the loop reference
            xt = tf.constant(x[None])
            with tf.GradientTape(persistent=True) as tape:
                tape.watch(xt)
                y = tf.reshape(keras_model(xt, training=False), [-1])
            ref = tape.jacobian(y, xt, experimental_use_pfor=False).numpy().reshape(y.shape[0], -1)
            error = float(np.abs(result.matrix - ref).max() / np.abs(ref).max())
        times = []
        for _ in range(calls if handle.input().size < 5000 else max(3, calls // 3)):
            start = time.perf_counter()
            jacgui.jacobian(handle, x)
            times.append((time.perf_counter() - start) * 1e3)
        out[name] = {"ms": statistics.median(times), "error": error,
                     "vectorised": "not vectorised" not in result.method_reason}
    print(json.dumps(out))


def run_config(onednn: bool, letters: str, calls: int) -> dict:
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="1" if onednn else "0")
    done = subprocess.run([sys.executable, __file__, "--child", "--models", letters,
                           "--calls", str(calls)], env=env, capture_output=True, text=True,
                          cwd=HERE)
    if done.returncode != 0:
        return {"crash": f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=15)
    parser.add_argument("--models", default="T,K,A,B,C,D,E")
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    letters = set(filter(None, args.models.split(",")))
    if args.child:
        child(letters, args.calls)
        return
    runs: dict[bool, list[dict]] = {True: [], False: []}
    for _ in range(args.rounds):
        for onednn in (True, False):
            runs[onednn].append(run_config(onednn, args.models, args.calls))
    print("| model | oneDNN on: ms (vectorised?) | oneDNN off: ms (vectorised?) | off / on "
          "| max err / max|J| (on, off) |")
    print("|---|---:|---:|---:|---|")
    names = [k for k in runs[True][0] if k != "onednn"] if "crash" not in runs[True][0] else []
    for name in names:
        cells, medians = [], []
        for onednn in (True, False):
            rows = [r[name] for r in runs[onednn] if name in r]
            ms = statistics.median(r["ms"] for r in rows)
            medians.append(ms)
            cells.append(f"{ms:.2f} ({'yes' if rows[0]['vectorised'] else 'no'})")
        errors = ", ".join(f"{runs[o][0][name]['error']:.1e}" for o in (True, False))
        print(f"| {name} | {cells[0]} | {cells[1]} | {medians[1] / medians[0]:.2f} "
              f"| {errors} |", flush=True)
    for onednn in (True, False):
        for run in runs[onednn]:
            if "crash" in run:
                print(f"oneDNN {'on' if onednn else 'off'}: {run['crash']}")


if __name__ == "__main__":
    main()
