"""A TF.js graph model written from a reference graph: fused, its constants moved into a
sharded, partly quantized weights manifest, its GraphDef written as proto3 JSON."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .graph_fusion import tfjs_fuse
from .reference_graphs import reference_graph
from .weights import CONVERTED_BY, GENERATED_BY, write_model_json, write_weights


@dataclass
class GraphFixture:
    """A written graph model and the plain TF graph that defines what it computes."""

    directory: Path
    model_json: Path
    reference: Any  # GraphDef with float32 weights: the model before TF.js's quantization
    expected: Any  # the same GraphDef with the weights TF.js decodes: what TF.js computes
    inputs: dict[str, str]  # signature key -> tensor in the reference graph
    outputs: dict[str, str]
    manifest: list[dict[str, Any]] = field(default_factory=list)


def _const_nodes(graph_def: Any, renamed: bool) -> list[tuple[str, Any]]:
    """(manifest name, node) of every Const, top level and in function bodies."""
    found = [(n.name, n) for n in graph_def.node if n.op == "Const"]
    for function in graph_def.library.function:
        prefix = "" if renamed else f"{function.signature.name}/"
        found += [(prefix + n.name, n) for n in function.node_def if n.op == "Const"]
    return found


def constants(fused: Any) -> dict[str, np.ndarray]:
    from tensorflow.python.framework import tensor_util

    return {
        name: tensor_util.MakeNdarray(node.attr["value"].tensor)
        for name, node in _const_nodes(fused, renamed=True)
    }


def with_constants(graph_def: Any, values: dict[str, np.ndarray]) -> Any:
    """A copy of the reference ``graph_def`` whose Const nodes hold ``values`` (by manifest
    name, cast to the node's dtype)."""
    from tensorflow.python.framework import tensor_util

    out = copy.deepcopy(graph_def)
    for name, node in _const_nodes(out, renamed=False):
        if name in values:
            dtype = tensor_util.MakeNdarray(node.attr["value"].tensor).dtype
            node.attr["value"].tensor.CopyFrom(
                tensor_util.make_tensor_proto(values[name].astype(dtype))
            )
    return out


_VALUE_FIELDS = (
    "tensor_content",
    "half_val",
    "float_val",
    "double_val",
    "int_val",
    "string_val",
    "int64_val",
    "bool_val",
)


def strip_values(fused: Any) -> dict[str, Any]:
    """The GraphDef as tensorflowjs writes modelTopology: proto3 JSON, Const values removed."""
    from google.protobuf.json_format import MessageToDict

    stripped = copy.deepcopy(fused)
    for _, node in _const_nodes(stripped, renamed=True):
        for name in _VALUE_FIELDS:
            node.attr["value"].tensor.ClearField(name)
    return MessageToDict(stripped)


def _signature(reference: Any, inputs: dict[str, str], outputs: dict[str, str]) -> dict[str, Any]:
    """What tensorflowjs writes as ``signature`` (MessageToDict of a SignatureDef)."""
    import tensorflow as tf
    from google.protobuf.json_format import MessageToDict
    from tensorflow.core.framework import types_pb2

    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(reference, name="")

    def entry(name: str) -> dict[str, Any]:
        tensor = graph.get_tensor_by_name(name)
        return {
            "name": name,
            "dtype": types_pb2.DataType.Name(tensor.dtype.as_datatype_enum),
            "tensorShape": MessageToDict(tensor.shape.as_proto()),
        }

    return {
        "inputs": {key: entry(name) for key, name in inputs.items()},
        "outputs": {key: entry(name) for key, name in outputs.items()},
        "methodName": "tensorflow/serving/predict",
    }


def write_tfjs_graph(
    directory: Path,
    reference: Any,
    inputs: dict[str, str],
    outputs: dict[str, str],
    *,
    quantization: dict[str, str] | None = None,
    activations: tuple[str, ...] = ("Relu", "Relu6", "Elu"),
    compress: bool = False,
    legacy: bool = False,
    shard_bytes: int = 700,
) -> GraphFixture:
    """Write the frozen ``reference`` graph as a TF.js graph model in ``directory``.

    ``legacy``: no ``format`` and no ``signature`` (files from before TF.js 1.0 and converters
    that wrote none), so inputs/outputs come from Placeholders and sink nodes.
    """
    directory.mkdir(parents=True, exist_ok=True)
    fused = tfjs_fuse(reference, activations)
    values = constants(fused)
    names = list(values)
    # Two groups: tensorflowjs writes one, but the format allows many (layers models do).
    half = len(names) // 2
    groups = [[(n, values[n]) for n in names[:half]], [(n, values[n]) for n in names[half:]]]
    manifest, decoded = write_weights(directory, groups, quantization or {}, shard_bytes)
    document: dict[str, Any] = {
        "format": "graph-model",
        "generatedBy": GENERATED_BY,
        "convertedBy": CONVERTED_BY,
        "signature": _signature(reference, inputs, outputs),
        "modelTopology": strip_values(fused),
        "weightsManifest": manifest,
    }
    if legacy:
        del document["format"], document["signature"]
    model_json = write_model_json(directory, document, compress=compress)
    # The fused graph's prelu alphas are the negation of the reference graph's constants.
    reference_values = {
        name: (-value if name.endswith("/alpha") else value) for name, value in decoded.items()
    }
    expected = with_constants(reference, reference_values)
    return GraphFixture(directory, model_json, reference, expected, inputs, outputs, manifest)


GRAPH_QUANTIZATION = {
    "conv1/weights": "uint8",
    "conv2/weights": "float16",
    "dense1/kernel": "uint16",
}


def write_graph_model(
    directory: Path, *, compress: bool = False, legacy: bool = False
) -> GraphFixture:
    """The reference graph with every fused op, quantized weights in 2 groups / 3 shards."""
    reference, inputs, outputs = reference_graph()
    return write_tfjs_graph(
        directory,
        reference,
        inputs,
        outputs,
        quantization=GRAPH_QUANTIZATION,
        compress=compress,
        legacy=legacy,
    )
