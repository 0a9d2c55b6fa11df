"""The messages between the window (or CLI) and the engine, and their schemas.

Parent to engine:

- ``load {id, path, unsafe, memory_limit}``: sandbox this engine for ``path`` (unless
  ``unsafe``) and load it; answered by a ``result`` holding a ModelInfo. One engine serves one
  model, because a sandbox can only be narrowed, never widened;
- ``call {id, op, args}``: run operation ``op`` (see :mod:`.operations`) with the keyword
  arguments ``args`` (a codec value);
- ``cancel {id}``: stop job ``id`` at its next chunk boundary (or before it starts);
- ``shutdown {}``: exit.

Engine to parent:

- ``ready {protocol, jacgui, python, tensorflow, keras, numpy, pid, landlock_abi, sandbox,
  device}``: the handshake, sent once TensorFlow is imported;
- ``activity {id, what}``: job ``id`` started, or moved on to ``what`` (used in crash messages);
- ``cancelling {id}``: the engine got the ``cancel`` of job ``id`` (it stops at the next chunk);
- ``progress {id, value}``: a :class:`~jacgui.core.job.Progress` between chunks;
- ``result {id, value, finished}``: the job's answer (a codec value) and when the engine had it
  (``time.monotonic()``, a clock shared by the processes of one machine: diagnostics only);
- ``error {id, kind, error_class, message, traceback}``: the job failed. ``kind`` is
  ``user`` (``error_class`` names a :class:`~jacgui.core.errors.JacguiError` subclass),
  ``cancelled``, ``memory`` (the engine's memory limit) or ``internal`` (a jacgui bug; the
  traceback text comes along).

Every message is checked against its schema: its type, every required key, no other key, and
the type of every value. A message that fails is a :class:`~.wire.ProtocolError`.
"""

from __future__ import annotations

import inspect
from typing import Any

from .. import errors
from .wire import ProtocolError

__all__ = ["ERROR_KINDS", "FROM_ENGINE", "PROTOCOL_VERSION", "TO_ENGINE", "USER_ERRORS",
           "validate"]

#: Bumped whenever a message or a codec type changes incompatibly.
PROTOCOL_VERSION = 1

_VALUE = object()  # a codec value (decoded separately)
_MAX_TEXT = 1 << 20  # characters in one string field (tracebacks included)

TO_ENGINE: dict[str, dict[str, Any]] = {
    "load": {"id": int, "path": str, "unsafe": bool, "memory_limit": int},
    "call": {"id": int, "op": str, "args": _VALUE},
    "cancel": {"id": int},
    "shutdown": {},
}

FROM_ENGINE: dict[str, dict[str, Any]] = {
    "ready": {"protocol": int, "jacgui": str, "python": str, "tensorflow": str, "keras": str,
              "numpy": str, "pid": int, "landlock_abi": int, "sandbox": str, "device": str},
    "activity": {"id": int, "what": str},
    "cancelling": {"id": int},
    "progress": {"id": int, "value": _VALUE},
    "result": {"id": int, "value": _VALUE, "finished": float},
    "error": {"id": int, "kind": str, "error_class": str, "message": str, "traceback": str},
}

ERROR_KINDS = ("user", "cancelled", "memory", "internal")

#: The user errors that may cross the channel, by class name: every JacguiError subclass of
#: :mod:`jacgui.core.errors` (an engine cannot make the parent raise anything else).
USER_ERRORS: dict[str, type[errors.JacguiError]] = {
    name: cls for name, cls in vars(errors).items()
    if inspect.isclass(cls) and issubclass(cls, errors.JacguiError)
}


def validate(message: dict[str, Any], schemas: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``message`` itself when it matches its type's schema in ``schemas``.

    Raises
    ------
    ProtocolError
        For an unknown type, a missing or extra key, or a value of the wrong type.
    """
    kind = message.get("type")
    schema = schemas.get(kind) if isinstance(kind, str) else None
    if schema is None:
        raise ProtocolError(f"unknown message type {str(kind)[:40]!r}")
    keys = set(message) - {"type"}
    if keys != set(schema):
        extra, missing = sorted(keys - set(schema))[:3], sorted(set(schema) - keys)[:3]
        raise ProtocolError(f"{kind} message with extra keys {extra} or missing keys {missing}")
    for key, expected in schema.items():
        value = message[key]
        if expected is _VALUE:
            continue
        if type(value) is not expected:  # bool is not an int here, and no subclasses
            raise ProtocolError(f"{kind}.{key} must be {expected.__name__}, not "
                                f"{type(value).__name__}")
        if expected is str and len(value) > _MAX_TEXT:
            raise ProtocolError(f"{kind}.{key} is longer than {_MAX_TEXT} characters")
    if kind == "error" and message["kind"] not in ERROR_KINDS:
        raise ProtocolError(f"unknown error kind {message['kind'][:20]!r}")
    if kind == "error" and message["kind"] == "user" and message["error_class"] not in USER_ERRORS:
        raise ProtocolError(f"error class {message['error_class'][:40]!r} is not a user error")
    return message
