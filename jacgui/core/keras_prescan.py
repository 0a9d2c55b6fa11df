"""Pre-scan of a Keras model's config, before ``keras.saving.load_model`` sees it.

Keras 3.15.1 safe mode refuses Lambda bytecode, but its other checks live in the classes it
guards: ``TFSMLayer`` refuses to load only in its ``from_config``. A ``Lambda`` whose
``function`` config is ``{"module": "keras.layers", "class_name": "function", "config":
"TFSMLayer"}`` makes Keras resolve the *class* as the Lambda's function; an inbound node whose
``inputs`` is a plain string then makes the Lambda call ``TFSMLayer("/any/saved_model")``,
which loads that SavedModel with no scan at all. This module reads the config as JSON, never
runs it, and finds what needs the user's trust:

- a ``Lambda`` whose function (or ``output_shape``) is Python bytecode, resolves to a class, or
  resolves to anything outside ``keras.ops`` and ``keras.activations``; a Lambda whose
  ``arguments`` hold Keras objects (they are deserialized and handed to the function);
- ``TFSMLayer``, ``TorchModuleWrapper``, ``JaxLayer`` or ``FlaxLayer`` anywhere, by class name,
  registered name or as a function name, in sub-models and wrappers too;
- any ``"class_name": "function"`` config that resolves to a class;
- a plain string in an inbound node's arguments, where Keras expects tensors.

The config comes from ``config.json`` in a ``.keras`` zip (its inflated size is checked before
reading, and archive members that inflate like a decompression bomb are refused) or from the
``model_config`` attribute of an ``.h5`` file.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import ModelLoadError, UnsafeModelError
from .reasons import one_line
from .text import printable

#: Largest config.json read from a .keras archive (real configs are kilobytes to a few MB).
MAX_CONFIG_BYTES = 64 << 20
#: A member inflating beyond both of these (size, ratio to its stored size) is a zip bomb.
BOMB_FLOOR_BYTES = 256 << 20
BOMB_RATIO = 100
#: Deeper configs are refused: real models nest a few dozen levels, Keras recurses per level.
MAX_DEPTH = 200

#: Layers that run code jacgui cannot scan: a SavedModel, a torch module, a JAX function.
FOREIGN_LAYERS = frozenset({"TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer"})
#: Where a Lambda's function may come from.
LAMBDA_MODULES = ("keras.activations", "keras.ops")
#: keras.ops and keras.activations functions that are not plain tensor math.
_NOT_MATH = frozenset({
    "get", "serialize", "deserialize", "cond", "switch", "map", "scan", "associative_scan",
    "fori_loop", "while_loop", "vectorized_map", "custom_gradient", "convert_to_numpy",
})  # fmt: skip
#: Keras's BUILTIN_MODULES: where it looks up a function saved with module "builtins".
_BUILTIN_MODULES = ("activations", "constraints", "initializers", "losses", "metrics",
                    "optimizers", "regularizers")
_KERAS_MODULE = re.compile(r"keras(\.[A-Za-z_][A-Za-z0-9_]*)*")
#: The serialized forms of values, not of objects: safe inside Lambda arguments.
_DATA_CLASSES = frozenset({"__keras_tensor__", "__tensor__", "__numpy__", "__bytes__",
                           "__ellipsis__", "__slice__"})


def prescan_keras(path: Path, *, unsafe: bool) -> tuple[str, ...]:
    """Refuse a Keras file whose config needs trust unless ``unsafe`` is true.

    Parameters
    ----------
    path : Path
        A ``.keras`` archive or an ``.h5``/``.hdf5`` file.
    unsafe : bool
        The user trusts the file.

    Returns
    -------
    tuple of str
        Notes for the model handle (what trust let through); empty for a clean config.

    Raises
    ------
    UnsafeModelError
        When the config needs trust and ``unsafe`` is false; the message names the first
        finding and counts the others.
    ModelLoadError
        When the config cannot be read: a zip bomb, an oversized or too deeply nested config,
        or text that is not JSON.
    """
    config = read_keras_config(path)
    if config is None:
        return ()  # a weights-only .h5: Keras reports that itself
    try:
        findings = find_untrusted(config)
    except ModelLoadError as exc:
        raise ModelLoadError(f"{printable(path.name)}: {exc}") from None
    if not findings:
        return ()
    first = findings[0] + (f" (and {len(findings) - 1} more)" if len(findings) > 1 else "")
    if unsafe:
        return (f"loaded with unsafe=True although it contains {first}",)
    raise UnsafeModelError(
        f"{printable(path.name)} contains {first}; load it with --unsafe / unsafe=True only if "
        "you trust the file"
    )


def read_keras_config(path: Path) -> Any:
    """The model config of a ``.keras`` or ``.h5`` file as parsed JSON, or ``None`` if absent."""
    name = printable(path.name)
    if path.suffix.lower() == ".keras":
        text = _archive_config(path, name)
    else:
        text = _h5_config(path)
        if text is None:
            return None
    try:
        return json.loads(text)
    except RecursionError:
        raise ModelLoadError(f"{name}: the model config nests too deeply to read") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        reason = printable(one_line(exc, 120))
        raise ModelLoadError(f"{name}: the model config is not JSON ({reason})") from None


def find_untrusted(config: Any) -> list[str]:
    """Everything in a parsed Keras config that needs trust, described for the user.

    Raises
    ------
    ModelLoadError
        When the config nests more than :data:`MAX_DEPTH` levels.
    """
    findings: list[str] = []
    for node in _dicts(config):
        findings.extend(_check(node))
    return list(dict.fromkeys(findings))


# --- reading ---------------------------------------------------------------------------------


def _archive_config(path: Path, name: str) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.file_size > BOMB_FLOOR_BYTES and (
                    info.file_size > BOMB_RATIO * max(info.compress_size, 1)
                ):
                    raise ModelLoadError(
                        f"{name}: archive member {printable(info.filename)!r} inflates to "
                        f"{info.file_size >> 20} MiB from {info.compress_size >> 10} KiB "
                        "(a decompression bomb)"
                    )
            try:
                info = archive.getinfo("config.json")
            except KeyError:
                raise ModelLoadError(f"{name} is not a Keras archive (no config.json)") from None
            if info.file_size > MAX_CONFIG_BYTES:
                raise ModelLoadError(
                    f"{name}: config.json inflates to {info.file_size >> 20} MiB, more than the "
                    f"{MAX_CONFIG_BYTES >> 20} MiB a model config can need"
                )
            with archive.open(info) as member:
                # zipfile stops at the declared size, so this read is bounded.
                return member.read(MAX_CONFIG_BYTES + 1)
    except ModelLoadError:
        raise
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError, EOFError) as exc:
        reason = printable(one_line(exc, 120))
        raise ModelLoadError(f"{name}: cannot read the archive ({reason})") from None


def _h5_config(path: Path) -> str | bytes | None:
    import h5py

    try:
        with h5py.File(path, "r") as f:
            value = f.attrs.get("model_config")
    except Exception:  # h5py raises OSError and more; Keras reports an unreadable file itself
        return None
    if value is None:
        return None
    if isinstance(value, (bytes, str)):
        return value
    raise ModelLoadError(f"{printable(path.name)}: the model_config attribute is not text")


def _dicts(config: Any) -> Iterator[dict[str, Any]]:
    """Every dict in the config, depth-first, without recursion."""
    stack = [(config, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ModelLoadError(f"the model config nests more than {MAX_DEPTH} levels deep")
        if isinstance(node, dict):
            yield node
            stack.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)


# --- checks ----------------------------------------------------------------------------------


def _names(node: dict[str, Any]) -> set[str]:
    """The names a config dict can be resolved by: class name, registered name, function name."""
    names = {str(node.get("class_name", ""))}
    registered = node.get("registered_name")
    if isinstance(registered, str):
        names.add(registered.rsplit(">", 1)[-1])
    if node.get("class_name") == "function" and isinstance(node.get("config"), str):
        names.add(node["config"])
    return names


def _check(node: dict[str, Any]) -> Iterator[str]:
    names = _names(node)
    for foreign in sorted(names & FOREIGN_LAYERS):
        yield f"a {foreign} layer, which runs code jacgui cannot scan"
    if node.get("class_name") == "function" and isinstance(node.get("config"), str):
        resolved = _resolve(node.get("module"), node["config"])
        if inspect.isclass(resolved):
            yield f"a function config that names the class {_label(node)}"
    if "Lambda" in names and isinstance(node.get("config"), dict):
        yield from _check_lambda(node["config"])
    if "inbound_nodes" in node:
        yield from _check_nodes(node, node["inbound_nodes"])


def _check_lambda(config: dict[str, Any]) -> Iterator[str]:
    function = config.get("function")
    yield from _lambda_callable(function, "function")
    shape = config.get("output_shape")
    if isinstance(shape, dict) or (shape is not None and not _is_shape(shape)):
        yield from _lambda_callable(shape, "output_shape")
    arguments = config.get("arguments")
    if arguments and any(
        node.get("class_name") not in _DATA_CLASSES
        for node in _dicts(arguments)
        if "class_name" in node
    ):
        yield "a Lambda layer whose arguments hold Keras objects"


def _lambda_callable(value: Any, what: str) -> Iterator[str]:
    if isinstance(value, dict) and value.get("class_name") == "__lambda__":
        yield f"a Lambda layer with Python bytecode as its {what}"
        return
    if isinstance(value, list) and value and isinstance(value[0], str):
        yield f"a Lambda layer with Python bytecode as its {what}"  # Keras-2 marshal form
        return
    if not (isinstance(value, dict) and value.get("class_name") == "function"
            and isinstance(value.get("config"), str)):
        yield f"a Lambda layer whose {what} is not a Keras function"
        return
    resolved = _resolve(value.get("module"), value["config"])
    if inspect.isclass(resolved):
        yield f"a Lambda layer whose {what} is the class {_label(value)}"
    elif not _is_math(value.get("module"), value["config"], resolved):
        yield (f"a Lambda layer whose {what} {_label(value)} is not a plain keras.ops or "
               "keras.activations function")


def _check_nodes(layer: dict[str, Any], nodes: Any) -> Iterator[str]:
    name = printable(str(layer.get("name") or _get(layer, "config", "name") or "?"))[:60]
    for node in nodes if isinstance(nodes, list) else [nodes]:
        if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
            values = [node.get("args"), node.get("kwargs")]
        elif isinstance(node, list):  # Keras 2: [[layer name, node, tensor, {kwargs}], ...]
            values = [entry[3] for entry in node if isinstance(entry, list) and len(entry) > 3]
        else:
            values = [node]
        if any(_plain_strings(value) for value in values):
            yield f"a plain string where layer {name!r} takes a tensor"


def _plain_strings(value: Any) -> bool:
    """Whether ``value`` holds a string outside serialized tensors and Keras-2 tensor references."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            return True
        if isinstance(item, dict):
            if item.get("class_name") == "__keras_tensor__":
                continue
            stack.extend(item.values())
        elif isinstance(item, list):
            if len(item) in (3, 4) and isinstance(item[0], str) and all(
                isinstance(i, int) for i in item[1:3]
            ):
                stack.extend(item[3:])  # a Keras-2 reference [layer name, node, tensor, kwargs]
            else:
                stack.extend(item)
    return False


def _is_shape(value: Any) -> bool:
    return isinstance(value, list) and all(v is None or isinstance(v, int) for v in value)


def _get(node: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _label(config: dict[str, Any]) -> str:
    module = config.get("module")
    prefix = f"{module}." if isinstance(module, str) and module != "builtins" else ""
    return printable(f"{prefix}{config.get('config')}")[:80]


# --- resolving function names the way Keras does ---------------------------------------------


def _resolve(module: Any, name: str) -> Any:
    """The object Keras would find for ``{"module": module, "config": name}``, or ``None``.

    Only Keras's own public modules are consulted; a module outside ``keras`` is never
    imported (Keras would not import it either and fails to locate the function).
    """
    candidates = _candidates(module, name)
    classes = [c for c in candidates if inspect.isclass(c)]
    if classes:
        return classes[0]
    return candidates[0] if candidates else None


def _candidates(module: Any, name: str) -> list[Any]:
    if not isinstance(module, str) or not name.isidentifier():
        return []
    if module == "builtins":
        modules = [f"keras.{m}" for m in _BUILTIN_MODULES]
    elif _KERAS_MODULE.fullmatch(module):
        modules = [module]
    else:
        return []
    found = []
    for dotted in modules:
        obj = getattr(_public_module(dotted), name, None)
        if obj is not None:
            found.append(obj)
    return found


def _public_module(dotted: str) -> Any:
    from ._tf import keras

    keras()
    try:
        return importlib.import_module(dotted)
    except ImportError:
        return None


def _is_math(module: Any, name: str, resolved: Any) -> bool:
    """Whether a Lambda function is a plain keras.ops or keras.activations function."""
    if resolved is None or name in _NOT_MATH or not callable(resolved):
        return False
    if module == "builtins":
        # Keras searches its builtin modules in no fixed order: every hit must be the activation.
        activation = getattr(_public_module("keras.activations"), name, None)
        return activation is not None and all(
            c is activation for c in _candidates(module, name)
        )
    return isinstance(module, str) and any(
        module == allowed or module.startswith(allowed + ".") for allowed in LAMBDA_MODULES
    )
