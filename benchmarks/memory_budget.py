"""Peak resident memory of a Jacobian against its memory budget (the 100 x 12288 CNN).

Run:  python benchmarks/memory_budget.py [--budget-mib 256] [--model E]

Each budget runs in a fresh process so earlier peaks do not mask later ones. The baseline is
the RSS after loading the model and one forward pass; the growth above it should stay within
the budget, and the number of chunks should follow the budget.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure(model_letter: str, budget_mib: float, method: str) -> dict:
    """Run one measurement in this process and return its numbers."""
    sys.path.insert(0, str(HERE))
    import numpy as np
    from models import build_models

    import jacgui
    from jacgui.core.rss import PeakRSS, current_rss

    keras_model = next(m for k, m in build_models().items() if k[0] == model_letter)
    path = Path(tempfile.mkdtemp()) / f"{model_letter}.keras"
    keras_model.save(path)
    model = jacgui.load_model(path)
    x = np.random.default_rng(1).uniform(0, 1, model.input().shape)
    model.forward({model.input().name: x[None].astype("float32")})
    baseline = current_rss()
    with PeakRSS() as peak:
        result = jacgui.jacobian(model, x, method=method, memory_budget=int(budget_mib * 2**20))
    return {"budget_mib": budget_mib, "method": result.method, "chunks": result.chunks,
            "baseline_mib": baseline / 2**20, "peak_growth_mib": (peak.peak - baseline) / 2**20,
            "seconds": result.seconds, "shape": list(result.shape)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="E")
    parser.add_argument("--budget-mib", type=float, nargs="*", default=[1024, 512, 256])
    parser.add_argument("--method", default="auto")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.model, args.budget_mib[0], args.method)))
        return
    print(f"{'budget MiB':>10} {'method':>8} {'chunks':>6} {'baseline MiB':>12} "
          f"{'peak growth MiB':>15} {'within':>6} {'seconds':>8}")
    for budget in args.budget_mib:
        out = subprocess.run([sys.executable, __file__, "--child", "--model", args.model,
                              "--method", args.method, "--budget-mib", str(budget)],
                             capture_output=True, text=True, check=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        within = "yes" if row["peak_growth_mib"] <= budget else "NO"
        print(f"{budget:>10.0f} {row['method']:>8} {row['chunks']:>6} {row['baseline_mib']:>12.0f} "
              f"{row['peak_growth_mib']:>15.0f} {within:>6} {row['seconds']:>8.2f}")


if __name__ == "__main__":
    main()
