"""The memory budget holds: peak resident memory measured, in fresh processes, not planned.

The model is y_i = sum_k tanh(x_i w_k) with n = 500 inputs and k = 200: every Jacobian row
carries a (500, 200) intermediate, so reverse mode unchunked grows by about 400 MiB, far over
the small budget. Each budget runs in its own process, so no earlier peak or allocator cache
hides a later one. The peak is the kernel's high-water mark (VmHWM, reset before the Jacobian
through /proc/self/clear_refs), or a 0.5 ms RSS sampler where the kernel refuses the reset.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MiB = 1 << 20
SMALL, LARGE = 40, 320  # MiB

CHILD = """
import json, sys
import numpy as np
import jacgui
from jacgui.core._tf import tf
from jacgui.core.handle import ModelHandle
from jacgui.core.rss import PeakRSS, current_rss
from jacgui.core.spec import TensorInfo

N, K = 500, 200
t = tf()
w = np.random.default_rng(0).standard_normal(K)


def forward(feeds):
    x = feeds["x"]
    return {"y": t.reduce_sum(t.tanh(x[:, :, None] * t.cast(w, x.dtype)), axis=2)}


model = ModelHandle("memory://wide", "python", (TensorInfo("x", (N,)),),
                    (TensorInfo("y", (N,)),), forward, {"x": np.linspace(-1.0, 1.0, N)})
model.forward({"x": t.zeros((1, N))})  # TensorFlow's own start-up is not the Jacobian's


def high_water_mark():
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmHWM")


def measure(budget):
    baseline = current_rss()
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as stream:
            stream.write("5")  # reset the high-water mark to the current RSS
        high_water_mark()
    except OSError:
        with PeakRSS(interval=0.0005) as peak:
            result = jacgui.jacobian(model, method="reverse", memory_budget=budget)
        return result, peak.peak - baseline, "sampled"
    result = jacgui.jacobian(model, method="reverse", memory_budget=budget)
    return result, high_water_mark() - baseline, "VmHWM"


out = {}
for label, budget in json.loads(sys.argv[1]):
    result, growth, how = measure(budget)
    x = model.default_point["x"]
    expected = np.diag((w * (1 - np.tanh(np.outer(x, w)) ** 2)).sum(axis=1))
    error = float(np.abs(result.matrix - expected).max() / np.abs(expected).max())
    out[label] = {"growth": growth, "chunks": result.chunks, "how": how, "error": error}
print(json.dumps(out))
"""


def _measure(*processes: list[tuple[str, int]]) -> dict:
    """Run each list of (label, budget) in its own fresh process, side by side."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = [subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(runs)], cwd=ROOT,
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True) for runs in processes]
    found = {}
    for child in children:
        try:
            out, err = child.communicate(timeout=300)
        finally:
            if child.poll() is None:
                child.kill()
                child.communicate()
        assert child.returncode == 0, err[-3000:]
        found.update(json.loads(out.strip().splitlines()[-1]))
    return found


def test_peak_memory_stays_within_the_budget_and_follows_it():
    # The unchunked run goes second in the small-budget process: memory the allocator kept
    # from the first run can only make it look smaller, never larger.
    report = _measure([("small", SMALL * MiB), ("unlimited", 1 << 32)],
                      [("large", LARGE * MiB)])
    small, large, unlimited = report["small"], report["large"], report["unlimited"]
    # float32 reverse mode against the float64 closed form: round-off only.
    assert all(run["error"] < 1e-5 for run in report.values()), report
    # The problem is real: unchunked it needs far more than the small budget ...
    assert unlimited["chunks"] == 1 and unlimited["growth"] > 2 * SMALL * MiB, report
    # ... each budget holds ...
    assert small["chunks"] > large["chunks"] > 1, report
    assert small["growth"] <= SMALL * MiB, report
    assert large["growth"] <= LARGE * MiB, report
    # ... and the budget is what sets the peak: eight times the budget, at least twice the peak.
    assert large["growth"] >= 2 * small["growth"], report
