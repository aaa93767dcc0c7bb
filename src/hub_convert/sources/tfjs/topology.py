"""Read-only questions about a model.json's ``modelTopology`` as JSON. No TensorFlow.

These run in the main process before any worker starts, so a graph that needs a weight the
manifest lacks, or a layers model with a Lambda layer, fails with exit 2 straight away.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...safety.graph_scan import json_field

# Fields of a TensorProto (proto3 JSON names and proto field names) that carry values.
_VALUE_FIELDS = (
    "tensorContent",
    "tensor_content",
    "halfVal",
    "half_val",
    "floatVal",
    "float_val",
    "doubleVal",
    "double_val",
    "intVal",
    "int_val",
    "stringVal",
    "string_val",
    "scomplexVal",
    "scomplex_val",
    "int64Val",
    "int64_val",
    "boolVal",
    "bool_val",
    "dcomplexVal",
    "dcomplex_val",
    "uint32Val",
    "uint32_val",
    "uint64Val",
    "uint64_val",
)


def graph_nodes(topology: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every NodeDef of the graph: top level, then each library function's body.

    tensorflowjs names a function's constants ``<function>/<node>`` in the JSON already, and
    stores their values in the manifest under that name.
    """
    for node in topology.get("node") or []:
        if isinstance(node, dict):
            yield node
    library = topology.get("library") or {}
    for function in json_field(library, "function") or []:
        for node in json_field(function, "nodeDef", "node_def") or []:
            if isinstance(node, dict):
                yield node


def _tensor_size(tensor: dict[str, Any]) -> int | None:
    shape = json_field(tensor, "tensorShape", "tensor_shape") or {}
    if json_field(shape, "unknownRank", "unknown_rank"):
        return None
    size = 1
    for dim in json_field(shape, "dim") or []:
        size *= int(json_field(dim, "size") or 0)
    return size


def has_inline_value(node: dict[str, Any]) -> bool:
    """Whether a Const node still carries its value in the JSON (tensorflowjs moves every
    value to the manifest, but a hand-made or edited file may keep small ones inline)."""
    tensor = json_field(json_field(json_field(node, "attr"), "value"), "tensor")
    if not isinstance(tensor, dict):
        return False
    return any(tensor.get(f) for f in _VALUE_FIELDS) or _tensor_size(tensor) == 0


def constants_without_weights(topology: dict[str, Any], weight_names: set[str]) -> list[str]:
    """Names of Const nodes whose value is neither in the manifest nor inline."""
    return [
        str(node.get("name"))
        for node in graph_nodes(topology)
        if node.get("op") == "Const"
        and node.get("name") not in weight_names
        and not has_inline_value(node)
    ]


def keras_model_config(topology: dict[str, Any]) -> Any:
    """The Keras model config: ``model_config`` (converted from Keras) or the topology itself
    (saved by tfjs-layers)."""
    config = topology.get("model_config", topology)
    if isinstance(config, dict) and isinstance(config.get("class_name"), str):
        return config
    return None


def keras_objects(config: Any) -> Iterator[dict[str, Any]]:
    """Every serialized Keras object (a dict with ``class_name``) inside a model config."""
    if isinstance(config, dict):
        if isinstance(config.get("class_name"), str):
            yield config
        for value in config.values():
            yield from keras_objects(value)
    elif isinstance(config, list):
        for value in config:
            yield from keras_objects(value)


def object_name(obj: dict[str, Any]) -> str:
    """A Keras object's ``config.name``, or its class when it has none."""
    config = obj.get("config")
    name = config.get("name") if isinstance(config, dict) else None
    return str(name) if name else str(obj.get("class_name"))
