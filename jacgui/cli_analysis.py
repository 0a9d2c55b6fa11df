"""Command-line glue for the analyses: ``jacgui compute --points/--sample`` and ``jacgui analyse``.

Kept apart from :mod:`jacgui.cli` so that file stays small; imports nothing heavy at start-up.
"""

from __future__ import annotations

import argparse
import warnings
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
    group.add_argument("--sampling", choices=("sobol", "lhs", "uniform"), default="sobol",
                       help="how --sample draws (default: %(default)s, a scrambled Sobol "
                       "sequence; use a power of 2 for N)")
    group.add_argument("--seed", type=int, default=0,
                       help="seed of the points and the bootstrap (default: %(default)s)")
    group.add_argument("--aggregate", choices=AGGREGATES, default="mean-abs",
                       help="statistic of J over the points to print and save (default: "
                       "%(default)s); dgsm = E[J^2]")


def add_analyse_parser(sub: Any, model_arguments: Callable[..., None]) -> None:
    """The ``jacgui analyse`` subcommand."""
    analyse = sub.add_parser(
        "analyse", help="SVD, AD-vs-FD check, step sweep, slice, Sobol indices or attributions")
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
    which.add_argument("--sobol", type=int, metavar="N",
                       help="first-order and total Sobol indices over --bounds from N (a power "
                       "of 2) base samples: N*(n+2) model evaluations")
    which.add_argument("--integrated-gradients", action="store_true",
                       help="integrated gradients of output --row at --point")
    which.add_argument("--smoothgrad", action="store_true",
                       help="SmoothGrad (mean gradient over noisy copies) of output --row")
    analyse.add_argument("--range", type=float, metavar="T",
                         help="--slice half-width (default: 0.5*max(1,|x_COL|))")
    analyse.add_argument("--forward", action="store_true",
                         help="--sweep forward instead of central differences")
    analyse.add_argument("--bounds", type=Path, metavar="FILE",
                         help="--sobol: per-input [low, high] (.csv .json), by label or in order")
    analyse.add_argument("--seed", type=int, metavar="S",
                         help="--sobol/--smoothgrad: random seed (default: 0)")
    analyse.add_argument("--resamples", type=int, metavar="R",
                         help="--sobol: bootstrap replicates (default: 500)")
    analyse.add_argument("--row", metavar="I",
                         help="--integrated-gradients/--smoothgrad: output element, index or "
                         "label (default: 0)")
    analyse.add_argument("--baseline", metavar="zeros|blur|FILE",
                         help="--integrated-gradients: baseline (default: zeros)")
    analyse.add_argument("--steps", type=int, metavar="K",
                         help="--integrated-gradients: gradient evaluations on the path "
                         "(default: 64)")
    analyse.add_argument("--rule", choices=("gauss-legendre", "trapezoid"),
                         help="--integrated-gradients: quadrature (default: gauss-legendre)")
    analyse.add_argument("--samples", type=int, metavar="N",
                         help="--smoothgrad: noisy copies (default: 50)")
    analyse.add_argument("--noise", type=float, metavar="S",
                         help="--smoothgrad: sigma as a fraction of the input's range "
                         "(default: 0.15)")
    analyse.add_argument("--memory", type=float, default=1024.0, metavar="MIB",
                         help="memory budget in MiB (default: %(default).0f)")
    analyse.add_argument("--out", type=Path,
                         help="save to .csv, .json, .npz or .npy (attributions also .png)")


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
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            points = sample_box(bounds, args.sample, args.sampling, args.seed)
        for warning in caught:
            print(f"warning: {warning.message}")
        provenance.update(source="sample", sampling=args.sampling, seed=args.seed)
    else:
        points = read_points(args.points, spec)
        provenance.update(source=str(args.points), sampling=None, seed=None)
    result = global_sensitivity(model, points, input=args.input, output=args.output,
                                bounds=bounds, memory_budget=int(args.memory * (1 << 20)),
                                seed=args.seed, provenance=provenance)
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
             f"largest {aggregate} (± half-width of the {result.confidence_level:.0%} "
             f"bootstrap interval, {result.n_resamples} replicates):"]
    order = np.argsort(-np.abs(np.nan_to_num(matrix)), axis=None, kind="stable")[:top]
    for flat in order:
        i, j = divmod(int(flat), n)
        lines.append(f"  d {result.output_labels[i]} / d {result.input_labels[j]}: "
                     f"{matrix[i, j]:.6g} ± {error[i, j]:.2g}")
    if aggregate == "dgsm" and result.total_index_bound is not None:
        i = int(np.argmax(np.nanmax(matrix, axis=1)))
        bounds = ", ".join(f"{lab} {b:.3g} ± {c:.2g}" for lab, b, c in zip(
            result.input_labels, result.total_index_bound[i], result.conf_total_index_bound[i],
            strict=True))
        lines.append(f"total Sobol index bounds for {result.output_labels[i]}: {bounds}")
    return "\n".join(lines + [f"warning: {w}" for w in result.warnings])


#: The options of ``jacgui analyse`` that belong to one or a few analyses only.
_ONLY_FOR = {
    "range": ("slice",), "forward": ("sweep",), "bounds": ("sobol",), "resamples": ("sobol",),
    "seed": ("sobol", "smoothgrad"), "row": ("integrated_gradients", "smoothgrad"),
    "baseline": ("integrated_gradients",), "steps": ("integrated_gradients",),
    "rule": ("integrated_gradients",), "samples": ("smoothgrad",), "noise": ("smoothgrad",),
}


def analyse(args: argparse.Namespace, load: Callable[[argparse.Namespace], Any]) -> int:
    """``jacgui analyse``: print one analysis and optionally save it."""
    from .core import analysis as an
    from .core.analysis.attribution_image import check_drawable
    from .core.engine import jacobian

    chosen = _chosen_analysis(args)
    _check_options(args, chosen)
    budget = int(args.memory * (1 << 20))
    if chosen == "sobol":
        result = _sobol(args, load, budget)
    else:
        model, point = load(args)
        if args.out is not None and args.out.suffix.lower() == ".png":
            check_drawable(*_input_shape(model, args))
        where = {"input": args.input, "output": args.output}
        if chosen == "svd":
            result = an.principal_directions(
                jacobian(model, point, memory_budget=budget, **where), args.svd)
        elif chosen == "compare":
            result = an.compare_ad_fd(model, point, memory_budget=budget, **where)
        elif chosen == "sweep":
            result = an.step_sweep(model, point, *args.sweep, central=not args.forward,
                                   dtype="both", **where)
        elif chosen == "slice":
            result = an.slice_cell(model, point, *args.slice, t_range=args.range, **where)
        else:
            result = _attribution(args, model, point, budget, where)
    print("\n".join(result.summary_lines()))
    if chosen == "sweep":
        print(sweep_table(result))
    if args.out is not None:
        if args.out.suffix.lower() == ".png":
            saved = an.save_attribution_png(result, args.out, result.summary_lines()[0])
        else:
            saved = an.save_analysis(result, args.out)
        print(f"saved {saved}")
    return 0


def _chosen_analysis(args: argparse.Namespace) -> str:
    for name in ("svd", "sweep", "slice", "sobol"):
        if getattr(args, name) is not None:
            return name
    for name in ("compare", "integrated_gradients", "smoothgrad"):
        if getattr(args, name):
            return name
    raise JacguiError("choose an analysis")  # argparse's required group makes this unreachable


def _check_options(args: argparse.Namespace, chosen: str) -> None:
    if args.memory <= 0:
        raise JacguiError("--memory must be positive")
    for option, owners in _ONLY_FOR.items():
        value = getattr(args, option)
        if value not in (None, False) and chosen not in owners:
            names = " and ".join(f"--{o.replace('_', '-')}" for o in owners)
            raise JacguiError(f"--{option} applies to {names} only")
    attribution = chosen in ("integrated_gradients", "smoothgrad")
    if args.out is not None and args.out.suffix.lower() == ".png" and not attribution:
        raise JacguiError("a .png map is drawn for --integrated-gradients and --smoothgrad only;"
                          " save .csv, .json, .npz or .npy")


def _input_shape(model: Any, args: argparse.Namespace) -> tuple[str, tuple[int, ...]]:
    spec = model.input(args.input)
    return spec.name, spec.shape


def _sobol(args: argparse.Namespace, load: Callable[[argparse.Namespace], Any],
           budget: int) -> Any:
    """``--sobol N --bounds FILE``: the design over the box, every other input at its default."""
    from .core.analysis import read_bounds, sobol_indices

    if args.bounds is None:
        raise JacguiError("--sobol needs --bounds FILE with a [low, high] per input")
    if args.point is not None:
        raise JacguiError("--sobol samples the whole input over --bounds; drop --point (hold "
                          "an element fixed with low = high in the bounds)")
    model, _ = load(args)
    bounds = read_bounds(args.bounds, model.input(args.input))
    seed = 0 if args.seed is None else args.seed
    extra = {} if args.resamples is None else {"n_resamples": args.resamples}
    return sobol_indices(model, bounds, args.sobol, input=args.input, output=args.output,
                         seed=seed, memory_budget=budget,
                         provenance={"bounds_file": str(args.bounds)}, **extra)


def _attribution(args: argparse.Namespace, model: Any, point: Any, budget: int,
                 where: dict[str, Any]) -> Any:
    """``--integrated-gradients`` or ``--smoothgrad`` of output ``--row`` at the point."""
    from .core.analysis import integrated_gradients, smoothgrad

    row = 0 if args.row is None else args.row
    if args.smoothgrad:
        options: dict[str, Any] = {"seed": 0 if args.seed is None else args.seed}
        if args.samples is not None:
            options["samples"] = args.samples
        if args.noise is not None:
            options["noise"] = args.noise
        return smoothgrad(model, point, row, memory_budget=budget, **options, **where)
    options = {"baseline": _baseline(args, model)}
    if args.steps is not None:
        options["steps"] = args.steps
    if args.rule is not None:
        options["rule"] = args.rule
    return integrated_gradients(model, point, row, memory_budget=budget, **options, **where)


def _baseline(args: argparse.Namespace, model: Any) -> Any:
    """``zeros`` and ``blur`` are keywords; anything else is a point file (./blur for a file)."""
    from .core.points import read_point

    if args.baseline in (None, "zeros", "blur"):
        return args.baseline or "zeros"
    path = Path(args.baseline)
    if not path.exists():
        raise JacguiError(f"--baseline is zeros, blur or a point file; no such file: {path}")
    return read_point(path, model.input(args.input))


def sweep_table(sweep: Any, rows: int = 12) -> str:
    """Every few steps of a sweep as an aligned text table."""
    names = "".join(f"  {'|error| ' + d:>16}" for d in sweep.dtypes)
    lines = [f"{'relative step':>13}{names}"]
    picks = np.unique(np.linspace(0, sweep.relative_steps.size - 1, rows).round().astype(int))
    for s in picks:
        errors = "".join(f"  {sweep.error[d, s]:>16.3g}" for d in range(len(sweep.dtypes)))
        lines.append(f"{sweep.relative_steps[s]:>13.3g}{errors}")
    return "\n".join(lines)
