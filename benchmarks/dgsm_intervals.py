"""Are jacgui's DGSM 95 % intervals honest? Coverage and calibration over repeated designs.

Run:  python benchmarks/dgsm_intervals.py [--designs 200] [--n 400]

For Ishigami (a = 7, b = 0.1 on [-pi, pi]^3), where every statistic has a closed form, it draws
``--designs`` independent designs of N points by each sampling method, runs
``global_sensitivity`` on each, and prints per statistic and input:

- coverage: the fraction of designs whose interval (estimate +- conf) holds the truth;
- calibration: mean reported standard error / actual standard deviation of the estimates over
  the designs (1 is honest, > 1 conservative, < 1 overconfident);
- for std, the same ratio for the old normal-theory standard error std / sqrt(2 (N - 1)).

The bootstrap treats the N points as independent draws, which uniform sampling is; a Latin
hypercube and a scrambled Sobol sequence estimate means with less variance, so their intervals
come out conservative, as this measures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sobol_vs_salib import handle, ishigami_tf  # noqa: E402

from jacgui.core.analysis import global_sensitivity, sample_box  # noqa: E402

PI, A, B = np.pi, 7.0, 0.1
NU = np.array([0.5 * (1 + 2 * B * PI**4 / 5 + B**2 * PI**8 / 9), A**2 / 2, 8 * B**2 * PI**6 / 7])
VARIANCE = A**2 / 8 + B * PI**4 / 5 + B**2 * PI**8 / 18 + 0.5
TRUTH = {"dgsm": NU, "mean_abs": np.array([2 / PI * (1 + B * PI**4 / 5), 2 * A / PI,
                                           2 * B * PI**2]),
         "std": np.sqrt(NU), "total_index_bound": 4 * NU / VARIANCE}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", type=int, default=200)
    parser.add_argument("--n", type=int, default=400)
    args = parser.parse_args()
    model, box = handle(ishigami_tf, 3), [[-PI, PI]] * 3
    print(f"Ishigami, N = {args.n} (Sobol: the next power of 2), {args.designs} designs each\n")
    print("| sampling | statistic | coverage x1, x2, x3 | reported SE / true SD x1, x2, x3 |")
    print("|---|---|---|---|")
    for method in ("uniform", "lhs", "sobol"):
        n = args.n if method != "sobol" else 1 << (args.n - 1).bit_length()
        estimates = {s: [] for s in TRUTH}
        errors = {s: [] for s in TRUTH}
        for seed in range(args.designs):
            g = global_sensitivity(model, sample_box(box, n, method, seed=seed), bounds=box,
                                   seed=10_000 + seed)
            for stat in TRUTH:
                estimates[stat].append(getattr(g, stat)[0])
                errors[stat].append(getattr(g, f"se_{stat}")[0])
        for stat, truth in TRUTH.items():
            e, se = np.array(estimates[stat]), np.array(errors[stat])
            coverage = np.mean(np.abs(e - truth) <= 1.959963984540054 * se, axis=0)
            spread = e.std(axis=0, ddof=1)
            ratio = se.mean(axis=0) / spread
            line = (f"| {method} (N={n}) | {stat} | {', '.join(f'{c:.2f}' for c in coverage)} | "
                    f"{', '.join(f'{r:.2f}' for r in ratio)} |")
            print(line)
            if stat == "std":
                old = (e / np.sqrt(2 * (n - 1))).mean(axis=0) / spread
                print(f"| {method} (N={n}) | std, old normal-theory SE | | "
                      f"{', '.join(f'{r:.2f}' for r in old)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
