"""The TensorFlow ops hub-convert refuses to run: they reach outside the computation.

A model is data, but a TensorFlow graph can read and write files, talk to the network and
call back into Python. hub-convert runs the graphs it validates, so it refuses these ops
before any model code runs (``graph_scan.py`` walks the graphs; ``--allow-unsafe-ops``
overrides). The list comes from the 1,908 op types TensorFlow 2.21 registers
(``TF_GetAllOpList``), searched by name for files, readers, datasets, checkpoints, summaries,
tables, RPC, the tf.data service, Python and tfdbg, with the attributes and kernels of the
doubtful ones read (``PrintV2``'s output_stream, the proto ops' descriptor_source). A test
checks that every name here is a registered op. Names TensorFlow no longer registers
(``Rpc``, ``TryRpc``; there never was a ``DeleteFile`` op) are left out: the TF.js rebuild and
``tf.saved_model.load`` refuse unknown ops.

Pure Python, no TensorFlow: the main process scans TF.js graphs and Keras configs with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..errors import BadInputError
from ..report.source_info import UnsafeOp
from ..report.vocabulary import UnsafeEffect as Effect

_READS: Effect = "reads files"
_WRITES: Effect = "writes files"
_NETWORK: Effect = "uses the network"
_PYTHON: Effect = "runs Python code"

# op type -> what running it does. Grouped as TensorFlow's op registry groups them.
UNSAFE_OPS: dict[str, Effect] = {
    # io_ops.cc: files by name
    "ReadFile": _READS,
    "WriteFile": _WRITES,
    "MatchingFiles": _READS,  # lists directories
    "ImmutableConst": _READS,  # memory-maps the file named by memory_region_name
    "FileSystemSetConfiguration": _WRITES,  # changes how file systems (gs://, s3://) behave
    # io_ops.cc: queue-based readers open the file names they are fed
    "WholeFileReader": _READS,
    "WholeFileReaderV2": _READS,
    "TextLineReader": _READS,
    "TextLineReaderV2": _READS,
    "FixedLengthRecordReader": _READS,
    "FixedLengthRecordReaderV2": _READS,
    "TFRecordReader": _READS,
    "TFRecordReaderV2": _READS,
    "LMDBReader": _READS,
    "ReaderRead": _READS,
    "ReaderReadV2": _READS,
    "ReaderReadUpTo": _READS,
    "ReaderReadUpToV2": _READS,
    "RecordInput": _READS,  # data_flow_ops.cc: reads TFRecord files matching file_pattern
    "Skipgram": _READS,  # word2vec_ops.cc: reads its training text file
    # io_ops.cc: checkpoints (the SavedModel's own saver excepted, see graph_scan.py)
    "Save": _WRITES,
    "SaveSlices": _WRITES,
    "SaveV2": _WRITES,
    "Restore": _READS,
    "RestoreSlice": _READS,
    "RestoreV2": _READS,
    "MergeV2Checkpoints": "deletes files",  # moves shards, deletes them (and their dirs)
    "DTensorRestoreV2": _READS,
    "LoadAndRemapMatrix": _READS,  # checkpoint_ops.cc: reads ckpt_path
    "GenerateVocabRemapping": _READS,  # checkpoint_ops.cc: reads two vocabulary files
    # lookup_ops.cc: a table filled from a text file (the model's own assets excepted)
    "InitializeTableFromTextFile": _READS,
    "InitializeTableFromTextFileV2": _READS,
    # dataset_ops.cc / experimental_dataset_ops.cc: datasets over files
    "TFRecordDataset": _READS,
    "TFRecordDatasetV2": _READS,
    "TextLineDataset": _READS,
    "FixedLengthRecordDataset": _READS,
    "FixedLengthRecordDatasetV2": _READS,
    "CSVDataset": _READS,
    "CSVDatasetV2": _READS,
    "ExperimentalCSVDataset": _READS,
    "LMDBDataset": _READS,
    "ExperimentalLMDBDataset": _READS,
    "SqlDataset": _READS,  # opens an SQLite database file
    "ExperimentalSqlDataset": _READS,
    "MatchingFilesDataset": _READS,
    "ExperimentalMatchingFilesDataset": _READS,
    "LoadDataset": _READS,
    "SnapshotDatasetReader": _READS,
    "SnapshotNestedDatasetReader": _READS,
    "SnapshotChunkDataset": _READS,
    "ListSnapshotChunksDataset": _READS,
    "DatasetToTFRecord": _WRITES,
    "ExperimentalDatasetToTFRecord": _WRITES,
    "SaveDataset": _WRITES,
    "SaveDatasetV2": _WRITES,
    "SnapshotDataset": _WRITES,
    "SnapshotDatasetV2": _WRITES,
    "CacheDataset": _WRITES,  # caches to files when its filename input is not empty
    "CacheDatasetV2": _WRITES,
    # summary_ops.cc: event files and SQLite databases in a log directory
    "CreateSummaryFileWriter": _WRITES,
    "CreateSummaryDbWriter": _WRITES,
    "WriteSummary": _WRITES,
    "WriteScalarSummary": _WRITES,
    "WriteHistogramSummary": _WRITES,
    "WriteImageSummary": _WRITES,
    "WriteAudioSummary": _WRITES,
    "WriteGraphSummary": _WRITES,
    "WriteRawProtoSummary": _WRITES,
    "ImportEvent": _WRITES,
    "FlushSummaryWriter": _WRITES,
    "CloseSummaryWriter": _WRITES,
    "StatsAggregatorSetSummaryWriter": _WRITES,
    # quantization debugging ops compiled into TensorFlow
    "DumpTensor": _WRITES,  # writes tensors under log_dir_path
    "CalibrationStatisticsSaver": _WRITES,  # writes output_file_path
    # the network: tf.distribute's RPC ops and the tf.data service
    "RpcServer": _NETWORK,
    "RpcServerStart": _NETWORK,
    "RpcServerRegister": _NETWORK,
    "RpcClient": _NETWORK,
    "RpcCall": _NETWORK,
    "DataServiceDataset": _NETWORK,
    "DataServiceDatasetV2": _NETWORK,
    "DataServiceDatasetV3": _NETWORK,
    "DataServiceDatasetV4": _NETWORK,
    "RegisterDataset": _NETWORK,
    "RegisterDatasetV2": _NETWORK,
    "DistributedSave": _NETWORK,  # and writes the snapshot files
    # script_ops.cc: Python callbacks (tf.py_function, tf.numpy_function, tf.compat.v1.py_func)
    "PyFunc": _PYTHON,
    "PyFuncStateless": _PYTHON,
    "EagerPyFunc": _PYTHON,
    # a GraphDef carried in a tensor: its ops are invisible to any scan of this graph
    "DatasetFromGraph": "runs a graph this scan cannot see",
}

# Ops that are unsafe only for some attribute values: (attr) -> Effect or None.
Strings = Mapping[str, Sequence[str]]  # attr name -> its string value(s)

# PrintV2's output_stream: these stay in the process; "file://PATH" appends to a file.
_PRINT_STREAMS = frozenset({"stderr", "stdout", "log(info)", "log(warning)", "log(error)"})


def _print_v2(attrs: Strings) -> Effect | None:
    streams = attrs.get("output_stream") or ["stderr"]
    return None if all(s in _PRINT_STREAMS for s in streams) else _WRITES


def _proto_descriptor(attrs: Strings) -> Effect | None:
    # util/proto/descriptors.cc: "local://" is the built-in pool and "bytes://" is inline;
    # any other value is opened as a file (or URL) holding a FileDescriptorSet.
    sources = attrs.get("descriptor_source") or ["local://"]
    inline = all(s == "local://" or s.startswith("bytes://") for s in sources)
    return None if inline else _READS


def _debug_urls(attrs: Strings) -> Effect | None:
    # tfdbg ops send the tensor to every debug_url: file:// writes, grpc:// connects.
    urls = attrs.get("debug_urls") or []
    if any(not url.startswith("file://") for url in urls):
        return _NETWORK
    return _WRITES if urls else None


CONDITIONAL_OPS: dict[str, Callable[[Strings], Effect | None]] = {
    "PrintV2": _print_v2,
    "DecodeProtoV2": _proto_descriptor,
    "EncodeProto": _proto_descriptor,
    "DebugIdentity": _debug_urls,
    "DebugIdentityV2": _debug_urls,
    "DebugIdentityV3": _debug_urls,
    "DebugNanCount": _debug_urls,
    "DebugNumericSummary": _debug_urls,
}

# The attributes graph readers collect as strings: those CONDITIONAL_OPS read, and a
# variable's shared_name (own_assets.py: two variable ops sharing it are one variable).
CONDITION_ATTRS = frozenset({"output_stream", "descriptor_source", "debug_urls", "shared_name"})

# Checkpoint ops that a SavedModel's own saver uses (graph_scan.py decides when they are its).
SAVER_RESTORE_OPS = frozenset({"RestoreV2", "Restore", "RestoreSlice"})
SAVER_SAVE_OPS = frozenset({"SaveV2", "Save", "SaveSlices", "MergeV2Checkpoints"})
# Table initializers that read a file: fine when the file is one of the model's own assets.
ASSET_READERS = frozenset({"InitializeTableFromTextFile", "InitializeTableFromTextFileV2"})


def op_effect(op: str, attrs: Strings) -> Effect | None:
    """What running a node of type ``op`` with these string attributes reaches, if anything."""
    effect = UNSAFE_OPS.get(op)
    if effect is not None:
        return effect
    condition = CONDITIONAL_OPS.get(op)
    return condition(attrs) if condition else None


def describe(finding: UnsafeOp) -> str:
    """One finding as the refusal line says it."""
    if finding.found_in == "keras":
        return f'Keras layer "{finding.node}" ({finding.op}) {finding.effect}'
    where = f" (in function {finding.function})" if finding.function else ""
    return f'graph op {finding.op} at node "{finding.node}"{where} {finding.effect}'


def refusal(display_path: str, findings: Sequence[UnsafeOp]) -> BadInputError:
    """The one-line error for a model with unsafe ops (exit 2)."""
    more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
    return BadInputError(
        f"{display_path}: {describe(findings[0])}{more}; refused — pass --allow-unsafe-ops "
        "if you trust this model"
    )


def check(
    display_path: str, findings: Sequence[UnsafeOp], *, allowed: bool, log: Callable[[str], None]
) -> None:
    """Refuse a model with unsafe ops (exit 2) unless allowed; when allowed, log each one."""
    if findings and not allowed:
        raise refusal(display_path, findings)
    for finding in findings:
        log(f"warning: running {describe(finding)} (--allow-unsafe-ops)")
