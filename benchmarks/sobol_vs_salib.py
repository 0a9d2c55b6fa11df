"""jacgui's Sobol indices and DGSM against SALib on the same functions and sample sizes.

Run:  python benchmarks/sobol_vs_salib.py [--runs 3] [--resamples 500] [--sizes 1024,4096]

Both sides use the same TensorFlow model, a batched ``tf.function`` of the Ishigami function
(a = 7, b = 0.1 on [-pi, pi]^3) or the Sobol G-function (a = 0, 1, 4.5, 9, 99, 99, 99, 99 on
[0, 1]^8), so the model costs the same. The SALib side is what an expert writes around it:

- Sobol: ``SALib.sample.sobol.sample(calc_second_order=False)``, ONE model call on all
  N (d + 2) rows, ``SALib.analyze.sobol.analyze``;
- DGSM: ``SALib.sample.finite_diff.sample`` (delta 0.01), one model call,
  ``SALib.analyze.dgsm.analyze`` (``vi`` is nu; its ``dgsm`` is the total-index bound and its
  ``dgsm_conf`` the half-width of ``vi``, not of ``dgsm``);

and the jacgui side is one API call (``sobol_indices`` / ``sample_box`` + ``global_sensitivity``
with the same number of bootstrap replicates). ``sobol_indices`` also bootstraps its
convergence view (N/16 ... N/2), which SALib does not compute: the "no convergence view" row
times it with ``convergence=False``. Times are medians of ``--runs`` alternating
calls in one process; errors are against the closed forms; "covered" counts indices whose truth
lies within 1.5x the reported 95 % half-width.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jacgui.core.analysis import global_sensitivity, sample_box, sobol_indices  # noqa: E402
from jacgui.core.handle import ModelHandle  # noqa: E402
from jacgui.core.spec import TensorInfo  # noqa: E402

PI = np.pi
A, B = 7.0, 0.1
G = np.array([0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0])


def ishigami_tf(x):
    import tensorflow as tf

    x1, x2, x3 = x[:, 0], x[:, 1], x[:, 2]
    return (tf.sin(x1) + A * tf.sin(x2) ** 2 + B * x3**4 * tf.sin(x1))[:, None]


def g_tf(x):
    import tensorflow as tf

    return tf.reduce_prod((tf.abs(4 * x - 2) + G) / (1 + G), axis=1, keepdims=True)


def truth_ishigami():
    v1, v2, v13 = 0.5 * (1 + B * PI**4 / 5) ** 2, A**2 / 8, 8 * B**2 * PI**8 / 225
    v = v1 + v2 + v13
    nu = np.array([0.5 * (1 + 2 * B * PI**4 / 5 + B**2 * PI**8 / 9), A**2 / 2,
                   8 * B**2 * PI**6 / 7])
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v, nu, 4 * nu / v


def truth_g():
    vj = 1 / (3 * (1 + G) ** 2)
    v = np.prod(1 + vj) - 1
    total = np.array([vj[j] * np.prod(np.delete(1 + vj, j)) for j in range(G.size)]) / v
    return vj / v, total


def handle(f, n: int) -> ModelHandle:
    def forward(feeds):
        return {"y": f(feeds["x"])}

    return ModelHandle("bench", "python", (TensorInfo("x", (n,)),), (TensorInfo("y", (1,)),),
                       forward, {"x": np.zeros(n)})


def plain(f, n: int):
    """The expert's model call: one tf.function over the whole design."""
    import tensorflow as tf

    traced = tf.function(f, input_signature=[tf.TensorSpec((None, n), tf.float32)])
    return lambda x: traced(tf.constant(x, tf.float32)).numpy()[:, 0].astype(np.float64)


def medians(calls: dict, runs: int) -> dict[str, float]:
    times = {name: [] for name in calls}
    for call in calls.values():
        call()  # warm-up: traces
    for _ in range(runs):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}


def sobol_rows(name, f, bounds, truth, sizes, resamples, runs):
    from SALib.analyze import sobol as salib_sobol
    from SALib.sample import sobol as salib_sample

    n = len(bounds)
    model, evaluate = handle(f, n), plain(f, n)
    problem = {"num_vars": n, "names": [f"x{j}" for j in range(n)], "bounds": bounds}
    rows = []
    for size in sizes:
        def ours(size=size):
            return sobol_indices(model, bounds, size, seed=1, n_resamples=resamples)

        def ours_alone(size=size):
            return sobol_indices(model, bounds, size, seed=1, n_resamples=resamples,
                                 convergence=False)

        def theirs(size=size):
            x = salib_sample.sample(problem, size, calc_second_order=False, seed=1)
            return salib_sobol.analyze(problem, evaluate(x), calc_second_order=False,
                                       num_resamples=resamples, seed=1)

        mine, other = ours(), theirs()
        ms = medians({"jacgui": ours, "alone": ours_alone, "salib": theirs}, runs)
        for label, first, first_conf, total, total_conf in (
                ("jacgui", mine.first_order[0], mine.first_order_conf[0], mine.total_order[0],
                 mine.total_order_conf[0]),
                ("SALib", other["S1"], other["S1_conf"], other["ST"], other["ST_conf"])):
            error = max(np.abs(first - truth[0]).max(), np.abs(total - truth[1]).max())
            covered = int(np.sum(np.abs(first - truth[0]) <= 1.5 * first_conf)
                          + np.sum(np.abs(total - truth[1]) <= 1.5 * total_conf))
            rows.append((name, size, label, error, float(np.mean(first_conf)),
                         float(np.mean(total_conf)), f"{covered}/{2 * n}",
                         ms["jacgui" if label == "jacgui" else "salib"]))
        rows.append((name, size, "ratio", None, rows[-2][4] / rows[-1][4],
                     rows[-2][5] / rows[-1][5], "", ms["jacgui"] / ms["salib"]))
        rows.append((name, size, "ratio, no convergence view", None, None, None, "",
                     ms["alone"] / ms["salib"]))
    return rows


def dgsm_rows(sizes, resamples, runs):
    from SALib.analyze import dgsm as salib_dgsm
    from SALib.sample import finite_diff

    bounds = [[-PI, PI]] * 3
    _, _, nu, bound = truth_ishigami()
    model, evaluate = handle(ishigami_tf, 3), plain(ishigami_tf, 3)
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": bounds}
    rows = []
    for size in sizes:
        def ours(size=size):
            points = sample_box(bounds, size, "sobol", seed=1)
            return global_sensitivity(model, points, bounds=bounds, n_resamples=resamples,
                                      seed=1)

        def theirs(size=size):
            x = finite_diff.sample(problem, size, delta=0.01, seed=1)
            return salib_dgsm.analyze(problem, x, evaluate(x), num_resamples=resamples, seed=1)

        mine, other = ours(), theirs()
        ms = medians({"jacgui": ours, "salib": theirs}, runs)
        for label, v, v_conf, b, b_conf in (
                ("jacgui", mine.dgsm[0], mine.conf_dgsm[0], mine.total_index_bound[0],
                 mine.conf_total_index_bound[0]),
                ("SALib", np.asarray(other["vi"]), np.asarray(other["dgsm_conf"]),
                 np.asarray(other["dgsm"]), None)):
            rows.append((size, label, np.abs(v / nu - 1).max(), float(np.mean(v_conf / nu)),
                         np.abs(b - bound).max(),
                         "-" if b_conf is None else f"{np.mean(b_conf):.3f}",
                         ms["jacgui" if label == "jacgui" else "salib"]))
        rows.append((size, "ratio", None, rows[-2][3] / rows[-1][3], None, "",
                     ms["jacgui"] / ms["salib"]))
    return rows


def fmt(value, spec):
    return "" if value is None else format(value, spec)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--resamples", type=int, default=500)
    parser.add_argument("--sizes", default="1024,4096")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    ishigami = truth_ishigami()
    print(f"## Sobol indices (S1, ST), {args.resamples} bootstrap replicates each\n")
    print("| function | N | who | max abs error | mean S1 half-width | mean ST half-width "
          "| truth within 1.5x | ms |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    rows = sobol_rows("Ishigami", ishigami_tf, [[-PI, PI]] * 3, ishigami[:2], sizes,
                      args.resamples, args.runs)
    rows += sobol_rows("G-function (8)", g_tf, [[0.0, 1.0]] * G.size, truth_g(), sizes,
                       args.resamples, args.runs)
    for name, size, who, error, s1w, stw, covered, ms in rows:
        print(f"| {name} | {size} | {who} | {fmt(error, '.4f')} | {fmt(s1w, '.4f')} | "
              f"{fmt(stw, '.4f')} | {covered} | {ms:.3g} |")
    print(f"\n## DGSM on Ishigami (jacgui: scrambled Sobol points, AD; SALib: Sobol points, "
          f"finite differences delta 0.01), {args.resamples} replicates\n")
    print("| N | who | max rel. error of nu | mean nu half-width / nu | max abs error of bound "
          "| mean bound half-width | ms |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for size, who, error, width, bound_error, bound_width, ms in dgsm_rows(
            sizes, args.resamples, args.runs):
        print(f"| {size} | {who} | {fmt(error, '.4f')} | {width:.4f} | "
              f"{fmt(bound_error, '.4f')} | {bound_width} | {ms:.3g} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
