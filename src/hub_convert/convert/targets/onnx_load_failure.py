"""Why tf2onnx could not load a signature: the cause TensorFlow logged, the ops it cannot map.

tf2onnx freezes the signature through TensorFlow's graph optimizer (grappler), which raises
only "Failed to import metagraph, check error log for more info."; the cause is a line it
logged to stderr (on a TF1 Estimator export with a vocabulary table: "Init node
key_value_init/LookupTableImportV2 doesn't exist in graph"). ``capture_stderr`` keeps those
lines; ``load_failure`` says the cause and which of the signature's ops tf2onnx has no
conversion for (string ops such as StringNGrams), which would stop it after loading anyway.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..op_types import converted_op_types_of, count_ops

# E0000 00:00:1796598529.423648    2061 grappler_item_builder.cc:676] Init node ... in graph
_LOGGED_ERROR = re.compile(r"^[EF]\d{4} \S+ +\d+ (?P<where>[\w.]+):\d+\] (?P<message>.+)$")
# Ops freezing replaces (variables become constants, a table's lookups tf2onnx rewrites
# itself): no handler, yet no obstacle.
_FREEZING_REPLACES = frozenset(
    {
        "AssignVariableOp",
        "HashTableV2",
        "LookupTableFindV2",
        "LookupTableImportV2",
        "ReadVariableOp",
        "ResourceGather",
        "VarHandleOp",
        "VariableV2",
    }
)


@contextmanager
def capture_stderr() -> Iterator[list[str]]:
    """While the body runs, the C++ lines written to stderr are also collected (into the
    yielded list, once the body ends); they still reach wherever stderr went (the run's log)."""
    lines: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield lines
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            data = captured.read()
            os.write(2, data)
            lines += data.decode("utf-8", "replace").splitlines()


def logged_errors(lines: list[str]) -> list[str]:
    """TensorFlow's ERROR / FATAL lines among ``lines``, as ``file: message``."""
    found = []
    for line in lines:
        match = _LOGGED_ERROR.match(line.strip())
        if match and match["message"] not in found:
            found.append(f"{match['where']}: {match['message'].strip()[:300]}")
    return found


def unmapped_ops(saved_model_dir: Path, tags: list[str], signature: str) -> list[str]:
    """The op types the signature reaches that tf2onnx has no conversion for (its handlers
    for the default ONNX domain); empty when the SavedModel cannot be read here."""
    try:
        from tensorflow.core.protobuf import saved_model_pb2
        from tf2onnx.handler import tf_op

        saved = saved_model_pb2.SavedModel()
        saved.ParseFromString((saved_model_dir / "saved_model.pb").read_bytes())
        [meta_graph] = [
            m for m in saved.meta_graphs if set(m.meta_info_def.tags) == set(tags)
        ] or saved.meta_graphs[:1]
        counts = count_ops(meta_graph, signature)
        handled: set[str] = set()
        for by_opset in tf_op.get_opsets().get("", []):
            handled.update(by_opset)
    except Exception:  # the explanation is a best effort; the failure is reported anyway
        return []
    skip = handled | _FREEZING_REPLACES
    return [op for op in converted_op_types_of(counts) if op not in skip and op[0] != "_"]


def load_failure(error: BaseException, stderr_lines: list[str], unmapped: list[str]) -> str:
    """One line: tf2onnx could not load the signature, why, and what it could not convert."""
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    text = f"tf2onnx could not load the signature: {first}"
    causes = logged_errors(stderr_lines)
    if causes:
        text += " (TensorFlow logged: " + "; ".join(causes[-3:]) + ")"
    if unmapped:
        text += (
            f"; tf2onnx has no conversion to standard ONNX ops for {', '.join(unmapped)},"
            " which this signature uses, so it could not convert the graph even once loaded"
        )
    return text
