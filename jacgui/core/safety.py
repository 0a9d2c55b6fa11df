"""Static scan of a SavedModel for ops that touch files, the network, processes or Python.

A SavedModel is an arbitrary TensorFlow graph, and TensorFlow is not a sandbox: a ``WriteFile``
op in the serving function runs on the first forward call. :func:`scan_savedmodel` reads
``saved_model.pb`` (or ``.pbtxt``) without executing anything and lists such ops, searching the
graph and every function of its library.

Deliberately allowed:

- checkpoint ops (``SaveV2``, ``RestoreV2``, ``MergeV2Checkpoints``, their TF1 forms
  ``Save``/``Restore``/``RestoreSlice``/``SaveSlices``, ``ShardedFilename``): every SavedModel
  has them for its variables and they only run when TensorFlow restores the weights;
- ``InitializeTableFromTextFile[V2]``: vocabulary lookup tables read their own asset files;
- ``Print``/``PrintV2`` to stderr (``PrintV2`` writing to a ``file://`` stream is denied), and
  ``DecodeProtoV2``/``EncodeProto`` unless their descriptor comes from a file.

TensorFlow has no op that starts a process; the Python-callback ops are the way to run code, so
they are denied.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

FILE_OPS = frozenset(
    {
        "WriteFile", "ReadFile", "MatchingFiles", "ImmutableConst", "FileSystemSetConfiguration",
        "RecordInput", "LoadAndRemapMatrix", "GenerateVocabRemapping",
        # File readers (TF1 queues) and file-backed datasets.
        "WholeFileReader", "WholeFileReaderV2", "TextLineReader", "TextLineReaderV2",
        "FixedLengthRecordReader", "FixedLengthRecordReaderV2", "TFRecordReader",
        "TFRecordReaderV2", "LMDBReader", "TextLineDataset", "TFRecordDataset",
        "TFRecordDatasetV2", "FixedLengthRecordDataset", "FixedLengthRecordDatasetV2",
        "CSVDataset", "CSVDatasetV2", "ExperimentalCSVDataset", "LMDBDataset",
        "ExperimentalLMDBDataset", "MatchingFilesDataset", "ExperimentalMatchingFilesDataset",
        "SqlDataset", "ExperimentalSqlDataset", "LoadDataset", "SaveDataset", "SaveDatasetV2",
        "DatasetToTFRecord", "ExperimentalDatasetToTFRecord", "SnapshotDataset",
        "SnapshotDatasetV2", "SnapshotDatasetReader", "SnapshotNestedDatasetReader",
        "SnapshotChunkDataset", "ListSnapshotChunksDataset", "DistributedSave",
        "CacheDataset", "CacheDatasetV2",
        # Summary and debugger writers.
        "CreateSummaryFileWriter", "CreateSummaryDbWriter", "WriteSummary", "WriteScalarSummary",
        "WriteHistogramSummary", "WriteImageSummary", "WriteAudioSummary", "WriteGraphSummary",
        "WriteRawProtoSummary", "ImportEvent", "DebugIdentity", "DebugIdentityV2",
        "DebugIdentityV3", "DebugNanCount", "DebugNumericSummary",
    }
)  # fmt: skip

NETWORK_OPS = frozenset(
    {
        "RemoteCall", "RpcServer", "RpcClient", "RpcCall", "RpcServerStart", "RpcServerRegister",
        "DataServiceDataset", "DataServiceDatasetV2", "DataServiceDatasetV3",
        "DataServiceDatasetV4", "RegisterDataset", "RegisterDatasetV2",
        "CollectiveAllToAllV2", "CollectiveAllToAllV3", "CollectiveBcastRecv",
        "CollectiveBcastRecvV2", "CollectiveBcastSend", "CollectiveBcastSendV2",
        "CollectiveGather", "CollectiveGatherV2", "CollectivePermute", "CollectiveReduce",
        "CollectiveReduceScatterV2", "CollectiveReduceV2", "CollectiveReduceV3",
        "CollectiveInitializeCommunicator",
    }
)  # fmt: skip

PYTHON_OPS = frozenset({"PyFunc", "PyFuncStateless", "EagerPyFunc"})

DENIED_OPS = FILE_OPS | NETWORK_OPS | PYTHON_OPS


def scan_savedmodel(path: str | Path) -> list[str]:
    """Sorted names of the file, network or Python ops found in a SavedModel.

    Parameters
    ----------
    path : str or Path
        The SavedModel directory (holding ``saved_model.pb`` or ``saved_model.pbtxt``).

    Returns
    -------
    list of str
        Denied op types, each once; empty for a model that only computes.

    Raises
    ------
    ModelLoadError
        When there is no ``saved_model.pb`` or it cannot be parsed.
    """
    found: set[str] = set()
    for meta_graph in _read(Path(path)).meta_graphs:
        graph = meta_graph.graph_def
        nodes = list(graph.node)
        for function in graph.library.function:
            nodes.extend(function.node_def)
        found.update(node.op for node in nodes if _denied(node))
    return sorted(found)


def _denied(node: Any) -> bool:
    if node.op in DENIED_OPS:
        return True
    if node.op == "PrintV2":
        return node.attr["output_stream"].s.decode(errors="replace").startswith("file")
    if node.op in ("DecodeProtoV2", "EncodeProto"):
        source = node.attr["descriptor_source"].s.decode(errors="replace")
        return source not in ("", "local://") and not source.startswith("bytes://")
    return False


def _read(directory: Path) -> Any:
    # Only protobuf is used, but importing any tensorflow submodule runs tensorflow/__init__,
    # whose start-up notices tf() keeps off the user's stderr.
    from ._tf import tf
    from .errors import ModelLoadError

    tf()
    from tensorflow.core.protobuf import saved_model_pb2

    model = saved_model_pb2.SavedModel()
    binary, text = directory / "saved_model.pb", directory / "saved_model.pbtxt"
    try:
        if binary.is_file():
            model.ParseFromString(binary.read_bytes())
        elif text.is_file():
            from google.protobuf import text_format

            text_format.Parse(text.read_text(encoding="utf-8"), model)
        else:
            raise ModelLoadError(f"{directory.name} is not a SavedModel (no saved_model.pb)")
    except ModelLoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - protobuf raises DecodeError, ParseError, OSError
        first = (str(exc).splitlines() or [""])[0][:200]
        raise ModelLoadError(
            f"cannot read {directory.name}/saved_model.pb: {type(exc).__name__}: {first}"
        ) from None
    return model
