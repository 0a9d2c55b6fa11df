"""Traced functions and other per-model artefacts, built once and found again by a typed key.

Tracing a Jacobian costs 0.1-1 s and a model's float64 copy a rebuild, so each is built once
per model and kept in the model's :class:`TraceCache`. Every ``tf.function`` the engine builds
goes through :func:`traced`, which counts its traces in :data:`TRACE_COUNTS`: the tests use
the counts to prove that a new point never retraces.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from ._tf import tf

#: How often each kind of traced function has been traced, over the whole process.
TRACE_COUNTS: Counter[str] = Counter()

T = TypeVar("T")


@dataclass(frozen=True)
class TraceKey:
    """What a cached artefact was built for.

    Attributes
    ----------
    kind : str
        What it is: ``"reverse"``, ``"forward"``, ``"fd"``, ``"selection"``, ``"facts"``...
    input, output : str
        The selected input and output names ("" when the artefact is model-wide).
    dtype : str
        The evaluation dtype.
    forward : str
        Which forward function it was built from: ``"model"`` or ``"float64 copy"``.
    variant : tuple
        Anything else that changes the trace (chunking, vectorisation, signs).
    """

    kind: str
    input: str = ""
    output: str = ""
    dtype: str = ""
    forward: str = "model"
    variant: tuple[Hashable, ...] = ()


class TraceCache:
    """Per-model store of traced functions, keyed by :class:`TraceKey`; safe across threads."""

    def __init__(self) -> None:
        self._items: dict[TraceKey, Any] = {}
        # Re-entrant: building one artefact may need another (a trace needs its selection).
        self._lock = threading.RLock()

    def get(self, key: TraceKey, build: Callable[[], T]) -> T:
        """The artefact for ``key``, built by ``build()`` on first use."""
        try:
            return self._items[key]
        except KeyError:
            pass
        with self._lock:
            if key not in self._items:
                self._items[key] = build()
            return self._items[key]

    def replace(self, key: TraceKey, value: Any) -> None:
        """Store ``value`` for ``key``, replacing what was there."""
        with self._lock:
            self._items[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        """Forget everything (the next call traces again)."""
        with self._lock:
            self._items.clear()


def traced(kind: str, body: Callable[..., Any], input_signature: Any = None) -> Any:
    """``tf.function(body)`` that adds one to ``TRACE_COUNTS[kind]`` each time it is traced."""

    @functools.wraps(body)
    def counted(*args: Any) -> Any:
        TRACE_COUNTS[kind] += 1  # runs in Python, so only while tracing
        return body(*args)

    return tf().function(counted, input_signature=input_signature, autograph=False)
