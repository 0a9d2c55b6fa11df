"""Headless command line: ``jacgui compute``, ``info``, ``bench`` and ``analyse``.

Models are loaded and run only in an engine process (:mod:`jacgui.core.process`), sandboxed
unless ``--unsafe``; it is started first thing, so TensorFlow imports while the arguments are
parsed and point files read here. This process never imports TensorFlow.

Exit status: 0 on success; 2 on a user error, including an engine that crashed or ran out of
time (one line on stderr, no traceback); 130 on Ctrl-C (within about a second, whatever the
engine is doing); 1 for jacgui's own bugs, in the engine too (``JACGUI_DEBUG=1`` shows the
traceback).
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import cli_analysis
from .core.bench import BENCH_METHODS, DEFAULT_MAX_SECONDS, check_methods
from .core.errors import EngineInternalError, JacguiError
from .core.job import DEFAULT_MEMORY_BUDGET, METHODS
from .core.process.client import EngineClient
from .core.process.remote import RemoteModel
from .core.process.sandbox import default_memory_limit
from .core.reasons import one_line
from .core.text import printable

COMMANDS = ("compute", "info", "bench", "analyse")

#: ``load(args) -> (model, point)``: the model in its engine, the point read in this process.
Loader = Callable[[argparse.Namespace], tuple[RemoteModel, Any]]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jacgui",
        usage=("jacgui [MODEL] [--point FILE] [--unsafe]      (the window)\n"
               "       jacgui {compute,info,bench,analyse} MODEL ...  (headless)"),
        description=("Explore the Jacobian of a TensorFlow/Keras model. Without a command, "
                     "opens the window: on MODEL (.keras .h5 .py or a SavedModel folder) at the "
                     "point in FILE, or on the bundled demo. --unsafe trusts MODEL's code."),
        epilog="'jacgui COMMAND --help' describes a command's options.")
    # The prefix of each command's usage; the default would repeat the custom usage above.
    sub = parser.add_subparsers(dest="command", required=True, prog="jacgui")
    compute = sub.add_parser("compute", help="compute a Jacobian and print or save it")
    _model_arguments(compute)
    compute.add_argument("--input", help="input to differentiate (default: the first)")
    compute.add_argument("--output", help="output to differentiate (default: the first)")
    compute.add_argument("--method", choices=METHODS, default="auto")
    compute.add_argument("--step", type=float, help="relative finite-difference step c in "
                         "h_j = c*max(1,|x_j|) (default: chosen for the difference's order)")
    compute.add_argument("--dtype", choices=("float32", "float64"),
                         help="finite-difference evaluation dtype (default: float64 if possible)")
    compute.add_argument("--no-error-estimate", action="store_true",
                         help="finite differences: skip the second step (half the model calls; "
                         "no error estimate and no Richardson extrapolation)")
    extrapolation = compute.add_mutually_exclusive_group()
    extrapolation.add_argument(
        "--fd-plain", dest="richardson", action="store_false", default=None,
        help="finite differences: the plain difference at its own step, no Richardson "
        "extrapolation (default: extrapolate unless the model has kinks such as ReLU)")
    extrapolation.add_argument(
        "--fd-richardson", dest="richardson", action="store_true", default=None,
        help="finite differences: extrapolate even where the model has kinks")
    compute.add_argument("--memory", type=float, default=DEFAULT_MEMORY_BUDGET / (1 << 20),
                         metavar="MIB", help="memory budget in MiB (default: %(default).0f)")
    compute.add_argument("--out", type=Path, help="save to .npy, .csv, .npz or .json")
    compute.add_argument("--image", type=Path, help="render the heatmap to .png or .svg")
    cli_analysis.add_compute_options(compute)
    info = sub.add_parser("info", help="list a model's inputs, outputs and default point")
    _model_arguments(info, point=False)
    bench = sub.add_parser("bench", help="time every method on a model and compare accuracy")
    _model_arguments(bench)
    bench.add_argument("--input")
    bench.add_argument("--output")
    bench.add_argument("--methods", default=",".join(BENCH_METHODS),
                       help="comma-separated methods to time (default: %(default)s)")
    bench.add_argument("--max-seconds", type=float, default=DEFAULT_MAX_SECONDS,
                       help="skip a method whose estimated time (from one chunk) exceeds this; "
                            "it also bounds the timed runs (default: %(default)g)")
    bench.add_argument("--runs", type=int, default=20, help="timed runs per method")
    bench.add_argument("--memory", type=float, default=DEFAULT_MEMORY_BUDGET / (1 << 20),
                       metavar="MIB", help="memory budget in MiB (default: %(default).0f)")
    cli_analysis.add_analyse_parser(sub, _model_arguments)
    return parser


def _model_arguments(parser: argparse.ArgumentParser, point: bool = True) -> None:
    parser.add_argument("model", type=Path, help=".keras, .h5, .py or a SavedModel folder")
    if point:
        parser.add_argument("--point", type=Path, help="input point (.npy .npz .csv .json)")
    parser.add_argument("--unsafe", action="store_true",
                        help="trust this file: allow Lambda layers and file/process ops, and "
                        "run it without the engine's sandbox")
    parser.add_argument("--timeout", type=float, metavar="S",
                        help="stop any step (loading, each computation) after S seconds")
    parser.add_argument("--memory-limit", type=float, metavar="GIB",
                        default=default_memory_limit() / (1 << 30),
                        help="the engine's memory ceiling in GiB; 0 for none (default: half "
                        "the physical memory, %(default).1f)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run a CLI command; returns the exit status."""
    engine = None
    try:
        engine = EngineClient(auto_restart=False)  # TensorFlow imports there while we go on
        return _run(argv, engine)
    except KeyboardInterrupt:  # before or after _run's own handler
        print("jacgui: interrupted", file=sys.stderr)
        return 130
    finally:
        if engine is not None:
            _close_uninterrupted(engine)


def _close_uninterrupted(engine: EngineClient) -> None:
    """Stop the engine; a second Ctrl-C meanwhile must not print a traceback."""
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main_thread else None
    try:
        engine.close()
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, previous)


def _run(argv: Sequence[str] | None, engine: EngineClient) -> int:
    try:
        args = _parser().parse_args(argv)
        load = functools.partial(_load, engine=engine)
        handlers: dict[str, Callable[[argparse.Namespace], int]] = {
            "compute": lambda a: _compute(a, load), "info": lambda a: _info(a, load),
            "bench": lambda a: _bench(a, load),
            "analyse": lambda a: cli_analysis.analyse(a, load)}
        return handlers[args.command](args)
    except JacguiError as error:
        print(f"jacgui: error: {printable(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("jacgui: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the last line of defence must catch everything
        if os.environ.get("JACGUI_DEBUG"):
            traceback.print_exc()
            if isinstance(error, EngineInternalError) and error.remote_traceback:
                print(f"in the engine:\n{error.remote_traceback}", file=sys.stderr)
        # The engine's message names the remote type; one_line finds it there.
        print(f"jacgui: internal error: {printable(one_line(error))} "
              "(set JACGUI_DEBUG=1 for details)",
              file=sys.stderr)
        return 1


def _load(args: argparse.Namespace, engine: EngineClient) -> tuple[RemoteModel, Any]:
    """The model, loaded in the engine, and the point read here (``None``: the default)."""
    from .core.points import read_point

    if not args.model.exists():
        raise JacguiError(f"no such file or folder: {args.model}")
    if args.timeout is not None and not args.timeout > 0:
        raise JacguiError(f"--timeout must be a positive number of seconds, not {args.timeout}")
    if not args.memory_limit >= 0:
        raise JacguiError("--memory-limit must be 0 (none) or a positive number of GiB")
    model = RemoteModel(args.model, unsafe=args.unsafe, timeout=args.timeout,
                        memory_limit=int(args.memory_limit * (1 << 30)), client=engine)
    point = None
    if getattr(args, "point", None) is not None:
        point = {model.input(getattr(args, "input", None)).name:
                 read_point(args.point, model.input(getattr(args, "input", None)))}
    return model, point


def _compute(args: argparse.Namespace, load: Loader) -> int:
    from .core.engine import jacobian
    from .core.export import save_result

    if args.image is not None and args.image.suffix.lower() not in (".png", ".svg"):
        raise JacguiError(f"--image must end in .png or .svg, not {args.image.suffix!r}")
    if args.memory <= 0:
        raise JacguiError("--memory must be positive")
    if cli_analysis.wants_global(args):
        return cli_analysis.compute_global(args, load)
    model, point = load(args)
    result = jacobian(model, point, method=args.method, input=args.input, output=args.output,
                      step=args.step, dtype=args.dtype, memory_budget=int(args.memory * (1 << 20)),
                      error_estimate=not args.no_error_estimate, richardson=args.richardson)
    print(summary(result))
    if args.out is not None:
        print(f"saved {save_result(result, args.out)}")
    if args.image is not None:
        from .gui.render import render_result_image

        print(f"saved {render_result_image(result, args.image)}")
    return 0


def summary(result) -> str:  # JacobianResult; kept import-free for start-up
    """A short human summary of a Jacobian result."""
    m, n = result.shape
    value, row, col = result.max_abs_cell()
    lines = [
        f"Jacobian d {printable(result.output_name)} / d {printable(result.input_name)}: "
        f"{m} x {n}",
        f"method: {result.method} ({result.method_reason})",
        f"time: {result.seconds * 1e3:.1f} ms in {result.chunks} chunk(s)",
        f"max |J| = {value:.6g} at [{row}, {col}] "
        f"(d {result.output_labels[row]} / d {result.input_labels[col]})",
    ]
    if result.error_estimate is not None:
        lines.append(f"largest FD error estimate: {np.nanmax(result.error_estimate):.3g}")
    lines += [f"warning: {printable(w)}" for w in result.warnings]
    return "\n".join(lines)


def _info(args: argparse.Namespace, load: Loader) -> int:
    model, _ = load(args)
    print(model.summary())
    for spec in model.inputs:
        values = np.asarray(model.default_point[spec.name]).reshape(-1)
        shown = np.array2string(values[:12], precision=6, separator=", ")
        more = f" ... ({values.size} values)" if values.size > 12 else ""
        print(f"  default point {printable(spec.name)} ({model.point_source}): {shown}{more}")
    return 0


def _bench(args: argparse.Namespace, load: Loader) -> int:
    from .bench import run_bench

    # Bad options fail before the model is loaded.
    methods = check_methods(args.methods)
    if not args.max_seconds > 0:
        raise JacguiError(f"--max-seconds must be positive, got {args.max_seconds:g}")
    if args.runs < 1:
        raise JacguiError(f"--runs must be at least 1, got {args.runs}")
    if args.memory <= 0:
        raise JacguiError("--memory must be positive")
    model, point = load(args)
    run_bench(model, point, out=sys.stdout, methods=methods, input=args.input,
              output=args.output, runs=args.runs, max_seconds=args.max_seconds,
              memory_budget=int(args.memory * (1 << 20)))
    return 0
