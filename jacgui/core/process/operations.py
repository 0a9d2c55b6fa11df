"""What the engine can be asked to do: one entry per operation, with the type of its answer.

Every operation is a public core function called on the engine's model with the keyword
arguments of the ``call`` message (the same arguments as in-process, minus the model,
``progress`` and ``cancel``, which the engine supplies). The parent imports this table only to
check answers: it never calls the functions.

Adding an operation is one entry here (and its result type in
:data:`jacgui.core.process.codec.REGISTERED`); to make the public function reach it from a
:class:`~jacgui.core.process.remote.RemoteModel`, decorate the function with
``@isolated_operation("<name>")``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..analysis import (
    Agreement,
    GlobalSensitivity,
    IntegratedGradients,
    PrincipalDirections,
    SliceResult,
    SmoothGrad,
    SobolIndices,
    StepSweep,
    compare_ad_fd,
    global_sensitivity,
    integrated_gradients,
    principal_directions,
    slice_cell,
    smoothgrad,
    sobol_indices,
    step_sweep,
)
from ..bench import MethodTiming, time_method
from ..cell import CrossCheck, cross_check
from ..engine import jacobian, plan_job, run_job
from ..errors import JacguiError
from ..handle import ModelHandle
from ..job import CancelToken, JacobianJob, JacobianResult, ProgressCallback
from ..planning import Plan, choose_method

__all__ = ["OPERATIONS", "Operation", "describe_method"]


@dataclass(frozen=True)
class Operation:
    """One thing the engine can do.

    Attributes
    ----------
    function : callable
        ``function(model, **args)``; it also receives ``progress`` and ``cancel`` when its
        signature has them.
    result : type
        The type of every successful answer (checked by the parent).
    describe : callable
        ``describe(model, args) -> str``: what the engine is doing, for crash messages
        ("computing reverse mode").
    """

    function: Callable[..., Any]
    result: type
    describe: Callable[[ModelHandle, Mapping[str, Any]], str]
    takes: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        parameters = inspect.signature(self.function).parameters
        object.__setattr__(self, "takes", frozenset(parameters) & {"progress", "cancel"})

    def run(self, model: ModelHandle, args: Mapping[str, Any],
            progress: ProgressCallback | None, cancel: CancelToken | None) -> Any:
        """Call the function on ``model``; only what its signature accepts is passed."""
        extra = {"progress": progress, "cancel": cancel}
        return self.function(model, **args, **{key: extra[key] for key in self.takes})


_METHOD_WORDS = {"reverse": "reverse mode", "forward": "forward mode",
                 "fd-forward": "forward differences", "fd-central": "central differences"}


def describe_method(model: ModelHandle, method: str, input: str | None,
                    output: str | None) -> str:
    """``"computing reverse mode"`` etc.; ``auto`` is resolved from the selected shapes."""
    try:
        concrete, _ = choose_method(method, model.output(output).size, model.input(input).size)
    except JacguiError:  # an unknown name fails with its own message in the call itself
        concrete = method
    return f"computing {_METHOD_WORDS.get(concrete, concrete)}"


def _job_words(model: ModelHandle, args: Mapping[str, Any]) -> str:
    return describe_method(model, str(args.get("method", "auto")), args.get("input"),
                           args.get("output"))


def _run_job(model: ModelHandle, progress: ProgressCallback | None = None,
             cancel: CancelToken | None = None, **fields: Any) -> JacobianResult:
    return run_job(JacobianJob(model, **fields), progress, cancel)


def _plan_job(model: ModelHandle, **fields: Any) -> Plan:
    return plan_job(JacobianJob(model, **fields))


def _principal(_model: ModelHandle, result: JacobianResult, k: int = 3,
               **labels: Any) -> PrincipalDirections:
    return principal_directions(result, k, **labels)


def _cell(verb: str) -> Callable[[ModelHandle, Mapping[str, Any]], str]:
    return lambda _model, args: f"{verb} cell ({args.get('row')}, {args.get('col')})"


def _fixed(text: str) -> Callable[[ModelHandle, Mapping[str, Any]], str]:
    return lambda _model, _args: text


#: Every operation, by the name used in ``call`` messages and ``@isolated_operation``.
OPERATIONS: dict[str, Operation] = {
    "jacobian": Operation(jacobian, JacobianResult, _job_words),
    "run_job": Operation(_run_job, JacobianResult, _job_words),
    "plan_job": Operation(_plan_job, Plan, _fixed("planning the Jacobian")),
    "cross_check": Operation(cross_check, CrossCheck, _cell("cross-checking")),
    "slice": Operation(slice_cell, SliceResult, _cell("slicing along")),
    "sweep": Operation(step_sweep, StepSweep, _cell("sweeping the step of")),
    "compare": Operation(compare_ad_fd, Agreement,
                         _fixed("comparing AD with central differences")),
    "global": Operation(global_sensitivity, GlobalSensitivity,
                        _fixed("computing global sensitivity")),
    "principal": Operation(_principal, PrincipalDirections,
                           _fixed("computing principal directions")),
    "sobol": Operation(sobol_indices, SobolIndices, _fixed("computing Sobol indices")),
    "integrated_gradients": Operation(integrated_gradients, IntegratedGradients,
                                      _fixed("computing integrated gradients")),
    "smoothgrad": Operation(smoothgrad, SmoothGrad, _fixed("computing SmoothGrad")),
    "bench_method": Operation(time_method, MethodTiming,
                              lambda model, args: f"timing {args.get('method')}"),
}
