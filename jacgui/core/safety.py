"""Static allow-list scan of a SavedModel, by reachability, before any of its code runs.

A SavedModel is a program and TensorFlow is not a sandbox: an op in a serving function runs on
the first call, and a resource initializer runs inside ``tf.saved_model.load`` itself. This
module reads ``saved_model.pb`` (or ``.pbtxt``, in the order TensorFlow does) with protobuf only
and decides, without executing anything, whether every op that loading or calling the model can
run is on :data:`jacgui.core.allowed_ops.ALLOWED_OPS`.

What counts as reachable (TensorFlow 2's ``tf.saved_model.load``, ``saved_model/load.py``):

- roots: every function the object graph names (``function`` and ``bare_concrete_function``
  nodes: methods, signatures, resource ``_create_resource``/``_initialize``/``_destroy_resource``,
  and the ``saveable_objects`` save/restore functions that checkpoint restoring calls during the
  load), every function of ``object_graph_def.concrete_functions``, the functions of
  ``captured_tensor`` nodes, and every gradient function of the library;
- from a reachable function: every node's op, every function that a node calls by op name, and
  every function named in an attribute (``f``, ``then_branch``, ``body``, ``branches``, dataset
  ``*_func``, nested in other function attributes too). A function attribute that names no
  function of the library makes TensorFlow run the primitive op of that name, so it is checked
  as an op.

Not reachable, and therefore not scanned: the top-level graph and the ``__traced_save`` /
``__traced_restore`` functions of the TF1 saver, which TensorFlow 2 loading never runs (the
variables are restored by TensorFlow's own ``RestoreV2`` call, reading ``variables/``). A
SavedModel without an object graph (TF1 format) runs its own init and restore ops when loaded,
so it always needs trust.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .allowed_ops import ALLOWED_OPS
from .errors import ModelLoadError, UnsafeModelError
from .text import printable

#: At most this many refused op names are listed in a message; the rest are counted.
_LISTED_OPS = 8


@dataclass(frozen=True)
class SavedModelScan:
    """What the code of a SavedModel that loading or calling it can run contains.

    Attributes
    ----------
    ops : frozenset of str
        Every op type reachable from the roots (the whole graph for a TF1 SavedModel).
    refused : tuple of str
        The reachable op types that are not on the allow-list, sorted.
    functions : int
        Number of reachable library functions.
    object_graph : bool
        False for a TF1 SavedModel, whose loading runs graph ops that jacgui cannot bound.
    """

    ops: frozenset[str]
    refused: tuple[str, ...]
    functions: int
    object_graph: bool

    @property
    def needs_trust(self) -> bool:
        """Whether loading this SavedModel must wait for ``unsafe=True``."""
        return bool(self.refused) or not self.object_graph


def inspect_savedmodel(path: str | Path) -> SavedModelScan:
    """Scan a SavedModel directory without running any of it.

    Parameters
    ----------
    path : str or Path
        The SavedModel directory (holding ``saved_model.pb`` or ``saved_model.pbtxt``).

    Returns
    -------
    SavedModelScan

    Raises
    ------
    ModelLoadError
        When there is no ``saved_model.pb``/``.pbtxt`` or it cannot be parsed.
    """
    model = _read(Path(path))
    metas = list(model.meta_graphs)
    # The same test tf.saved_model.load makes before taking its TF2 path.
    if len(metas) == 1 and metas[0].HasField("object_graph_def"):
        ops, functions = _reachable_ops(metas[0])
        object_graph = True
    else:
        ops, functions = set(), 0
        for meta in metas:
            ops.update(node.op for node in meta.graph_def.node)
            library = meta.graph_def.library.function
            ops.update(node.op for function in library for node in function.node_def)
            ops.difference_update(function.signature.name for function in library)
            functions += len(library)
        object_graph = False
    refused = tuple(sorted(op for op in ops if op not in ALLOWED_OPS))
    return SavedModelScan(frozenset(ops), refused, functions, object_graph)


def scan_savedmodel(path: str | Path) -> list[str]:
    """Sorted names of the reachable ops of a SavedModel that are not on the allow-list.

    Parameters
    ----------
    path : str or Path
        The SavedModel directory.

    Returns
    -------
    list of str
        Refused op types, each once; empty for a model that only computes.

    Raises
    ------
    ModelLoadError
        When there is no ``saved_model.pb`` or it cannot be parsed.
    """
    return list(inspect_savedmodel(path).refused)


def check_savedmodel(path: str | Path, *, unsafe: bool) -> tuple[str, ...]:
    """Refuse a SavedModel that needs trust unless ``unsafe`` is true.

    Parameters
    ----------
    path : str or Path
        The SavedModel directory.
    unsafe : bool
        The user trusts the file.

    Returns
    -------
    tuple of str
        Notes for the model handle (what was allowed by trust); empty for a safe model.

    Raises
    ------
    UnsafeModelError
        When the model needs trust and ``unsafe`` is false; the message names the ops.
    ModelLoadError
        When the SavedModel cannot be read.
    """
    path = Path(path)
    scan = inspect_savedmodel(path)
    if not scan.needs_trust:
        return ()
    name = printable(path.name)
    if not scan.object_graph:
        what = "is a TF1 SavedModel (no object graph): loading it runs its own graph's ops"
        note = "TF1 SavedModel loaded with unsafe=True"
    else:
        what = f"runs ops that jacgui does not allow: {_listed(scan.refused)}"
        note = f"loaded with unsafe=True despite the ops {_listed(scan.refused)}"
    if unsafe:
        return (note,)
    raise UnsafeModelError(
        f"SavedModel {name} {what}; they could read or write files or run code. Load it with "
        "--unsafe / unsafe=True only if you trust it"
    )


def _listed(ops: tuple[str, ...]) -> str:
    shown = ", ".join(printable(op[:60]) for op in ops[:_LISTED_OPS])
    more = len(ops) - _LISTED_OPS
    return shown + (f" and {more} more" if more > 0 else "")


def _reachable_ops(meta: Any) -> tuple[set[str], int]:
    """Op types reachable from what TF2 loading can run, and the number of functions visited."""
    library = {function.signature.name: function for function in meta.graph_def.library.function}
    pending = list(_roots(meta))
    seen: set[str] = set()
    ops: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        function = library.get(name)
        if function is None or _is_registered_op(name):
            # TensorFlow instantiates a name that is not a library function as the primitive op
            # of that name (e.g. PartitionedCall with f=WriteFile), so it is checked as one.
            ops.add(name)
        if function is None:
            continue
        for node in function.node_def:
            if node.op in library:
                pending.append(node.op)
            if node.op not in library or _is_registered_op(node.op):
                # A library function named like a registered op could shadow it or be shadowed
                # by it, depending on the runtime: both are checked.
                ops.add(node.op)
            for value in node.attr.values():
                pending.extend(_function_names(value))
        for value in function.attr.values():
            pending.extend(_function_names(value))
    return ops, len(seen & library.keys())


def _is_registered_op(name: str) -> bool:
    """Whether ``name`` is an op registered in this TensorFlow (tf() was called by _read)."""
    from tensorflow.python.framework import op_def_registry

    return op_def_registry.get(name) is not None


def _roots(meta: Any) -> Iterator[str]:
    graph = meta.object_graph_def
    for node in graph.nodes:
        kind = node.WhichOneof("kind")
        if kind == "function":
            yield from node.function.concrete_functions
        elif kind == "bare_concrete_function":
            yield node.bare_concrete_function.concrete_function_name
        elif kind == "captured_tensor":
            yield node.captured_tensor.concrete_function
    yield from graph.concrete_functions.keys()
    library = meta.graph_def.library
    # Gradient functions run when jacgui differentiates through the function they belong to.
    yield from (gradient.gradient_func for gradient in library.gradient)
    yield from (gradient.gradient_func for gradient in library.registered_gradients)


def _function_names(value: Any) -> Iterator[str]:
    """Names of every function an attribute value refers to, nested ones included."""
    functions = []
    if value.HasField("func"):
        functions.append(value.func)
    if value.HasField("list"):
        functions.extend(value.list.func)
    for function in functions:
        yield function.name
        for nested in function.attr.values():
            yield from _function_names(nested)


def _read(directory: Path) -> Any:
    # Only protobuf is used, but importing any tensorflow submodule runs tensorflow/__init__,
    # whose start-up notices tf() keeps off the user's stderr.
    from ._tf import tf

    tf()
    from tensorflow.core.protobuf import saved_model_pb2

    model = saved_model_pb2.SavedModel()
    # The order of tensorflow's loader_impl.parse_saved_model: what it would load is scanned.
    binary, text = directory / "saved_model.pb", directory / "saved_model.pbtxt"
    name = printable(directory.name)
    try:
        if binary.is_file():
            model.ParseFromString(binary.read_bytes())
        elif text.is_file():
            from google.protobuf import text_format

            text_format.Parse(text.read_text(encoding="utf-8"), model)
        else:
            raise ModelLoadError(f"{name} is not a SavedModel (no saved_model.pb)")
    except ModelLoadError:
        raise
    except Exception as exc:  # DecodeError, ParseError, OSError, UnicodeError, RecursionError
        first = (str(exc).splitlines() or [""])[0][:200]
        raise ModelLoadError(
            f"cannot read {name}/saved_model.pb: {type(exc).__name__}: {printable(first)}"
        ) from None
    return model
