"""Public API calls on a model that lives in an engine process are answered by that engine.

:func:`isolated_operation` marks a public core function as an engine operation. When the
function's first argument is a model held by an engine (an object with a ``run_in_engine``
method: :class:`~jacgui.core.process.remote.RemoteModel`), or a job whose ``model`` is one, the
call is sent to that engine under the operation's name, with the same arguments; anything else
runs in this process exactly as before. The engine runs the same undecorated function on the
real model (:mod:`.operations`).

This module imports nothing of jacgui, so that every core module can use it.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["engine_of", "isolated_operation"]

F = TypeVar("F", bound=Callable[..., Any])


def isolated_operation(name: str) -> Callable[[F], F]:
    """Decorator: run the function in the model's engine when the model is isolated.

    Parameters
    ----------
    name : str
        The operation's name in :data:`jacgui.core.process.operations.OPERATIONS`.

    Notes
    -----
    The engine receives every argument by keyword (defaults filled in, ``**kwargs`` merged),
    except the model itself. A job (a dataclass with a ``model`` field) is sent as its other
    fields. ``progress`` and ``cancel`` stay in this process: progress is reported here as the
    engine sends it, and the cancel token is forwarded to the engine.
    """

    def decorate(function: F) -> F:
        signature = inspect.signature(function)
        first = next(iter(signature.parameters))

        @functools.wraps(function)
        def dispatch(*args: Any, **kwargs: Any) -> Any:
            target = args[0] if args else kwargs.get(first)
            engine = engine_of(target)
            if engine is None:
                return function(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            arguments: dict[str, Any] = {}
            for key, value in bound.arguments.items():
                kind = signature.parameters[key].kind
                if key == first:
                    if value is not engine:  # a job: send its fields, not the job
                        arguments.update({field.name: getattr(value, field.name)
                                          for field in dataclasses.fields(value)
                                          if field.name != "model"})
                elif kind is inspect.Parameter.VAR_KEYWORD:
                    arguments.update(value)
                else:
                    arguments[key] = value
            return engine.run_in_engine(name, arguments)

        dispatch.engine_operation = name  # type: ignore[attr-defined]
        return dispatch  # type: ignore[return-value]

    return decorate


def engine_of(target: Any) -> Any:
    """The engine-held model behind ``target`` (a model, or a job holding one), else ``None``."""
    if hasattr(target, "run_in_engine"):
        return target
    model = getattr(target, "model", None)
    return model if hasattr(model, "run_in_engine") else None
