"""The SavedModel op allow-list: nothing dangerous on it, and no real export refused by it.

The false-positive side exports real models of every family with the same builders that
``scripts/build_op_allowlist.py`` uses to build the list, through ``model.export()`` and
``tf.saved_model.save``, and loads each one without trust.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

from jacgui.core.allowed_ops import ALLOWED_OPS, OP_GROUPS
from jacgui.core.loading import load_model
from jacgui.core.safety import inspect_savedmodel

ROOT = Path(__file__).resolve().parent.parent

#: The op classes the allow-list must never hold (by name, as TensorFlow spells them).
NEVER = re.compile(
    r"Dataset|Iterator|File|Reader|Writer|Record|Save|Restore|Merge|Sharded|Print|Debug|Dump|"
    r"^Py|EagerPyFunc|Collective|Rpc|Remote|Send|Recv|Xla|Sampler|Summary|Queue|Barrier|"
    r"Immutable|Load|Snapshot|Text|Sql|Lmdb|Proto|Shell|System|Exec|Socket|Http|Gcs|"
    r"FromTextFile|Assert(?!$)"
)
#: The families the allow-list was built from, minus the slow extra applications
#: (EfficientNet, ResNet), which the script still covers. All go through model.export(); the
#: ones in SAVED through tf.saved_model.save as well (the same graphs under other names).
FAMILIES = ("mlp", "activations", "merge-reshape", "cnn", "depthwise", "conv1d", "lstm", "gru",
            "attention", "embedding", "normalization", "resizing", "augmentation", "lookup",
            "mobilenetv2", "tf-math", "control-flow")
SAVED = ("mlp", "lstm", "attention", "normalization")


def _script():
    spec = importlib.util.spec_from_file_location(
        "build_op_allowlist", ROOT / "scripts" / "build_op_allowlist.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_dangerous_op_is_allowed():
    assert [op for op in sorted(ALLOWED_OPS) if NEVER.search(op)] == []


def test_every_group_says_why_its_ops_are_safe():
    for name, (reason, ops) in OP_GROUPS.items():
        assert len(reason) > 20 and ops, name
    counted = sum(len(ops) for _, ops in OP_GROUPS.values())
    assert counted == len(ALLOWED_OPS), "an op sits in two groups"


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    script = _script()
    folder = tmp_path_factory.mktemp("exports")
    return {name: script.export_family(name, folder, saved=name in SAVED) for name in FAMILIES}


@pytest.mark.parametrize("family", FAMILIES)
def test_real_exports_pass_the_scan_and_load_without_trust(exports, family):
    for path in exports[family]:
        scan = inspect_savedmodel(path)
        assert scan.object_graph and scan.refused == (), (path.name, scan.refused)
        assert scan.functions > 0
        model = load_model(path)
        assert not any("unsafe" in note for note in model.notes), model.notes
        batch = {s.name: np.zeros((2, *s.shape), s.dtype) for s in model.inputs}
        outputs = model.forward(batch)
        assert all(np.all(np.isfinite(v.numpy())) for v in outputs.values()), path.name


def test_the_safety_page_lists_every_allowed_op():
    page = (ROOT / "docs" / "safety.md").read_text(encoding="utf-8")
    assert [op for op in sorted(ALLOWED_OPS) if f"`{op}`" not in page] == []
