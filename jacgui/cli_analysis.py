"""Command-line glue for the analyses: ``jacgui compute --points/--sample`` and ``jacgui analyse``.

Kept apart from :mod:`jacgui.cli` so that file stays small; imports nothing heavy at start-up.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .core.errors import JacguiError

AGGREGATES = ("mean", "mean-abs", "std", "dgsm")  # = core.analysis.AGGREGATES, import-free here


def add_compute_options(compute: argparse.ArgumentParser) -> None:
    """The many-points options of ``jacgui compute``."""
    group = compute.add_argument_group(
        "many points (global sensitivity; automatic differentiation)")
    source = group.add_mutually_exclusive_group()
    source.add_argument("--points", type=Path, metavar="FILE",
                        help="points, one per row (.npy .npz .csv)")
    source.add_argument("--sample", type=int, metavar="N", help="draw N points in --bounds")
    group.add_argument("--bounds", type=Path, metavar="FILE",
                       help="per-input [low, high] (.csv .json), by label or in order")
    group.add_argument("--sampling", choices=("uniform", "lhs"), default="lhs",
                       help="how --sample draws (default: %(default)s, Latin hypercube)")
    group.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    group.add_argument("--aggregate", choices=AGGREGATES, default="mean-abs",
                       help="statistic of J over the points to print and save (default: "
                       "%(default)s); dgsm = E[J^2]")


def add_analyse_parser(sub: Any, model_arguments: Callable[..., None]) -> None:
    """The ``jacgui analyse`` subcommand."""
    analyse = sub.add_parser("analyse", help="SVD, AD-vs-FD check, step sweep or slice")
    model_arguments(analyse)
    analyse.add_argument("--input", help="input to differentiate (default: the first)")
    analyse.add_argument("--output", help="output to differentiate (default: the first)")
    which = analyse.add_mutually_exclusive_group(required=True)
    which.add_argument("--svd", type=int, metavar="K", help="singular values and top K directions")
    which.add_argument("--compare", action="store_true", help="AD against central differences")
    which.add_argument("--sweep", nargs=2, metavar=("ROW", "COL"),
                       help="finite-difference step sweep of one cell (index or label)")
    which.add_argument("--slice", nargs=2, metavar=("ROW", "COL"),
                       help="f_ROW along input COL with its tangent and trust radius")
    analyse.add_argument("--range", type=float, metavar="T",
                         help="--slice half-width (default: 0.5*max(1,|x_COL|))")
    analyse.add_argument("--forward", action="store_true",
                         help="--sweep forward instead of central differences")
    analyse.add_argument("--memory", type=float, default=1024.0, metavar="MIB",
                         help="memory budget in MiB (default: %(default).0f)")
    analyse.add_argument("--out", type=Path, help="save to .csv, .json, .npz or .npy")


def wants_global(args: argparse.Namespace) -> bool:
    """Whether ``jacgui compute`` was asked for many points."""
    many = args.points is not None or args.sample is not None
    if not many and args.bounds is not None:
        raise JacguiError("--bounds needs --sample N or --points FILE")
    return many


def compute_global(args: argparse.Namespace, load: Callable[[argparse.Namespace], Any]) -> int:
    """``jacgui compute --points FILE | --sample N --bounds FILE``: aggregate J over points."""
    from .core.analysis import global_sensitivity, read_bounds, sample_box, save_analysis
    from .core.points import read_points

    if args.point is not None:
        raise JacguiError("--point is one point; with --points/--sample use one or the other")
    if args.method.startswith("fd"):
        raise JacguiError("--points/--sample use automatic differentiation; drop --method fd-*")
    if args.image is not None:
        raise JacguiError("--image draws one Jacobian; it cannot be used with --points/--sample")
    if args.sample is not None and args.bounds is None:
        raise JacguiError("--sample needs --bounds FILE with a [low, high] per input")
    model, _ = load(args)
    spec = model.input(args.input)
    bounds = read_bounds(args.bounds, spec) if args.bounds is not None else None
    provenance: dict[str, Any] = {"input": spec.name}
    if args.sample is not None:
        points = sample_box(bounds, args.sample, args.sampling, args.seed)
        provenance.update(source="sample", sampling=args.sampling, seed=args.seed)
    else:
        points = read_points(args.points, spec)
        provenance.update(source=str(args.points), sampling=None, seed=None)
    result = global_sensitivity(model, points, input=args.input, output=args.output,
                                bounds=bounds, memory_budget=int(args.memory * (1 << 20)),
                                provenance=provenance)
    print(global_summary(result, args.aggregate))
    if args.out is not None:
        print(f"saved {save_analysis(result.table(args.aggregate), args.out)}")
    return 0


def global_summary(result: Any, aggregate: str, top: int = 5) -> str:
    """Readable summary of a :class:`GlobalSensitivity`: the largest cells of one aggregate."""
    matrix, error = result.aggregate(aggregate)
    m, n = matrix.shape
    how = result.provenance.get("sampling") or result.provenance.get("source", "given points")
    seed = result.provenance.get("seed")
    lines = [f"global sensitivity over {result.n_samples} points ({how}"
             f"{'' if seed is None else f', seed {seed}'}): {m} x {n}, {result.method} mode, "
             f"{result.n_batches} batch(es) of {result.batch_size}",
             f"largest {aggregate} (± standard error):"]
    order = np.argsort(-np.abs(np.nan_to_num(matrix)), axis=None, kind="stable")[:top]
    for flat in order:
        i, j = divmod(int(flat), n)
        lines.append(f"  d {result.output_labels[i]} / d {result.input_labels[j]}: "
                     f"{matrix[i, j]:.6g} ± {error[i, j]:.2g}")
    if aggregate == "dgsm" and result.total_index_bound is not None:
        i = int(np.argmax(np.nanmax(matrix, axis=1)))
        bounds = ", ".join(f"{lab} {b:.3g}" for lab, b in
                           zip(result.input_labels, result.total_index_bound[i]))
        lines.append(f"total Sobol index bounds for {result.output_labels[i]}: {bounds}")
    return "\n".join(lines + [f"warning: {w}" for w in result.warnings])


def analyse(args: argparse.Namespace, load: Callable[[argparse.Namespace], Any]) -> int:
    """``jacgui analyse``: print one analysis and optionally save it."""
    from .core import analysis as an
    from .core.engine import jacobian

    if args.memory <= 0:
        raise JacguiError("--memory must be positive")
    if args.range is not None and args.slice is None:
        raise JacguiError("--range applies to --slice only")
    if args.forward and args.sweep is None:
        raise JacguiError("--forward applies to --sweep only")
    budget = int(args.memory * (1 << 20))
    model, point = load(args)
    where = {"input": args.input, "output": args.output}
    if args.svd is not None:
        result = an.principal_directions(
            jacobian(model, point, memory_budget=budget, **where), args.svd)
    elif args.compare:
        result = an.compare_ad_fd(model, point, memory_budget=budget, **where)
    elif args.sweep is not None:
        result = an.step_sweep(model, point, *args.sweep, central=not args.forward,
                               dtype="both", **where)
    else:
        result = an.slice_cell(model, point, *args.slice, t_range=args.range, **where)
    print("\n".join(result.summary_lines()))
    if args.sweep is not None:
        print(sweep_table(result))
    if args.out is not None:
        print(f"saved {an.save_analysis(result, args.out)}")
    return 0


def sweep_table(sweep: Any, rows: int = 12) -> str:
    """Every few steps of a sweep as an aligned text table."""
    names = "".join(f"  {'|error| ' + d:>16}" for d in sweep.dtypes)
    lines = [f"{'relative step':>13}{names}"]
    picks = np.unique(np.linspace(0, sweep.relative_steps.size - 1, rows).round().astype(int))
    for s in picks:
        errors = "".join(f"  {sweep.error[d, s]:>16.3g}" for d in range(len(sweep.dtypes)))
        lines.append(f"{sweep.relative_steps[s]:>13.3g}{errors}")
    return "\n".join(lines)
