"""Values to and from the engine channel: JSON plus arrays, for an allow-list of types only.

A value is one of: ``None``, ``bool``, ``int``, ``float`` (NaN and infinities included),
``str``, a list, a tuple, a dict with string keys, a NumPy array of a :data:`~.wire.DTYPES`
dtype, or an instance of a dataclass in :data:`REGISTERED`. JSON has no tuples or typed
objects, so non-plain values are tagged objects::

    {"$t": [...]}                  a tuple
    {"$d": {"key": value}}         a dict
    {"$a": 3}                      the 4th array of the frame
    {"$c": "Plan", "$f": {...}}    a registered dataclass, by class name, with every field

Decoding checks every tag, the class name against the registry, the field names against the
dataclass's fields and every field's value against its annotation (``tuple[str, ...]``,
``np.ndarray | None``, nested registered classes, ...). Anything else is a
:class:`~.wire.ProtocolError`: nothing the engine sends is trusted, and nothing is unpickled.

To let a new result type cross the channel, add its class to :data:`REGISTERED`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..agreement import Verdict
from ..analysis import (
    AggregateTable,
    Agreement,
    GlobalSensitivity,
    IntegratedGradients,
    PrincipalDirections,
    SliceResult,
    SmoothGrad,
    SobolConvergence,
    SobolIndices,
    StepSweep,
)
from ..bench import MethodEstimate, MethodTiming
from ..cell import CellInfo, CrossCheck
from ..job import JacobianOptions, JacobianResult, Progress
from ..model_info import ModelInfo, SandboxStatus
from ..planning import Plan
from ..spec import TensorInfo
from .wire import DTYPES, ProtocolError

__all__ = ["MAX_DEPTH", "REGISTERED", "decode", "encode"]

#: The dataclasses that may cross the channel; one line per type.
REGISTERED: tuple[type, ...] = (
    TensorInfo,
    SandboxStatus,
    ModelInfo,
    JacobianOptions,
    Progress,
    Plan,
    JacobianResult,
    CellInfo,
    CrossCheck,
    SliceResult,
    StepSweep,
    Agreement,
    GlobalSensitivity,
    AggregateTable,
    PrincipalDirections,
    Verdict,
    SobolConvergence,
    SobolIndices,
    IntegratedGradients,
    SmoothGrad,
    MethodEstimate,
    MethodTiming,
)

#: Deepest nesting of lists, tuples, dicts and dataclasses in one value.
MAX_DEPTH = 32

_BY_NAME: dict[str, type] = {cls.__name__: cls for cls in REGISTERED}
_HINTS: dict[type, dict[str, Any]] = {}
_TAGS = ("$t", "$d", "$a", "$c")


def encode(value: Any) -> tuple[Any, list[np.ndarray]]:
    """``value`` as a JSON-ready object and the arrays it refers to.

    Raises
    ------
    TypeError
        For a value of a type that may not cross the channel (an object array, a callable,
        an unregistered class, a dict with non-string keys).
    """
    arrays: list[np.ndarray] = []
    return _encode(value, arrays, 0), arrays


def _encode(value: Any, arrays: list[np.ndarray], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise TypeError(f"values nested deeper than {MAX_DEPTH} cannot cross the channel")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, np.generic) and not isinstance(value, (np.str_, np.bytes_, np.void)):
        return value.item()
    if isinstance(value, np.ndarray):
        if value.dtype.str not in DTYPES:
            raise TypeError(f"arrays of dtype {value.dtype} cannot cross the engine channel")
        arrays.append(value)
        return {"$a": len(arrays) - 1}
    if isinstance(value, list):
        return [_encode(item, arrays, depth + 1) for item in value]
    if isinstance(value, tuple):
        return {"$t": [_encode(item, arrays, depth + 1) for item in value]}
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("only dicts with string keys can cross the engine channel")
        return {"$d": {key: _encode(item, arrays, depth + 1) for key, item in value.items()}}
    cls = type(value)
    if _BY_NAME.get(cls.__name__) is cls:
        return {"$c": cls.__name__, "$f": {
            field.name: _encode(getattr(value, field.name), arrays, depth + 1)
            for field in dataclasses.fields(cls)}}
    raise TypeError(f"a {cls.__name__} cannot cross the engine channel; register it in "
                    "jacgui.core.process.codec.REGISTERED")


def decode(document: Any, arrays: list[np.ndarray]) -> Any:
    """The value that :func:`encode` turned into ``document`` and ``arrays``.

    Raises
    ------
    ProtocolError
        For anything :func:`encode` cannot have produced (see the module docstring).
    """
    return _decode(document, arrays, 0)


def _decode(document: Any, arrays: list[np.ndarray], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ProtocolError(f"a value is nested deeper than {MAX_DEPTH}")
    if document is None or isinstance(document, (bool, int, float, str)):
        return document
    if isinstance(document, list):
        return [_decode(item, arrays, depth + 1) for item in document]
    if not isinstance(document, dict):
        raise ProtocolError(f"unexpected {type(document).__name__} in a value")
    if len(document) not in (1, 2):
        raise ProtocolError("a tagged object must be {'$c': class, '$f': fields} or one tag")
    if len(document) == 1:
        (tag, body), = document.items()
        if tag == "$a" and type(body) is int and 0 <= body < len(arrays):
            return arrays[body]
        if tag == "$t" and isinstance(body, list):
            return tuple(_decode(item, arrays, depth + 1) for item in body)
        if tag == "$d" and isinstance(body, dict):
            return {key: _decode(item, arrays, depth + 1) for key, item in body.items()}
        raise ProtocolError(f"malformed tagged value {str(tag)[:10]!r}")
    if set(document) != {"$c", "$f"} or not isinstance(document["$f"], dict):
        raise ProtocolError("a tagged object must be {'$c': class, '$f': fields}")
    return _instance(document["$c"], document["$f"], arrays, depth)


def _instance(name: Any, fields: dict[str, Any], arrays: list[np.ndarray], depth: int) -> Any:
    cls = _BY_NAME.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ProtocolError(f"type {str(name)[:40]!r} may not cross the channel")
    hints = _hints(cls)
    if set(fields) != set(hints):
        unknown = sorted(set(fields) - set(hints))[:3]
        missing = sorted(set(hints) - set(fields))[:3]
        raise ProtocolError(f"{name} with unknown fields {unknown} or missing fields {missing}")
    values = {}
    for key, item in fields.items():
        value = _decode(item, arrays, depth + 1)
        if not conforms(value, hints[key]):
            raise ProtocolError(f"{name}.{key} holds a {type(value).__name__}, not "
                                f"{_hint_name(hints[key])}")
        values[key] = value
    try:
        return cls(**values)
    except (TypeError, ValueError) as error:
        raise ProtocolError(f"cannot rebuild {name}: {str(error)[:80]}") from None


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        every = typing.get_type_hints(cls)
        _HINTS[cls] = {field.name: every[field.name] for field in dataclasses.fields(cls)}
    return _HINTS[cls]


def conforms(value: Any, hint: Any) -> bool:
    """Whether a decoded ``value`` matches the annotation ``hint`` of a registered field.

    Understands ``Any``, plain classes (an ``int`` passes for ``float``; ``bool`` never passes
    for ``int``), ``X | Y``, ``tuple[X, ...]``, ``tuple[X, Y]``, ``list[X]`` and ``dict[str, X]``.
    """
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(conforms(value, arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is None:
        return isinstance(hint, type) and isinstance(value, hint)
    args = typing.get_args(hint)
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(conforms(item, args[0]) for item in value)
        return len(args) == len(value) and all(map(conforms, value, args))
    if origin is list:
        return isinstance(value, list) and all(conforms(item, args[0]) for item in value)
    if origin is dict:
        return isinstance(value, dict) and all(
            conforms(key, args[0]) and conforms(item, args[1]) for key, item in value.items())
    return False


def _hint_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")
