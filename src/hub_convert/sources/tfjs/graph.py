"""Rebuild a runnable TensorFlow GraphDef from a TF.js graph model (worker only).

The JSON ``modelTopology`` is a GraphDef in proto3 JSON form whose Const nodes had their
values moved to the weights manifest (keyed by node name). This module parses it, puts the
(dequantized) weights back, rewrites TF.js's fused ops (unfuse.py) and works out the inputs
and outputs the way TF.js's GraphModel does: the ``signature`` when there is one, else the
Placeholder nodes as inputs and the nodes nothing consumes as outputs.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import BadInputError
from .functionalize import lift_tensor_list_loops
from .lowered_if import detach_merge_controls
from .model_json import ModelJson
from .tf_bugs import rewrite_graph
from .unfuse import unfuse_graph

# Ops that never make a useful output even when nothing consumes them.
_NOT_OUTPUTS = {"Const", "Placeholder", "PlaceholderWithDefault", "NoOp"}


@dataclass(frozen=True)
class TensorSpec:
    """One input or output of the serving signature."""

    key: str  # the signature's name for it
    tensor: str  # "node:index" in the GraphDef
    dtype: int  # DataType enum
    shape: tuple[int | None, ...] | None  # None: unknown rank


def parse_graph_def(model: ModelJson) -> Any:
    """The topology as a ``tf.compat.v1.GraphDef`` (constants still empty)."""
    import tensorflow as tf
    from google.protobuf import json_format

    graph_def = tf.compat.v1.GraphDef()
    try:
        # Fields newer or older than this TensorFlow's protos are not fatal: TF.js ignores them.
        json_format.ParseDict(copy.deepcopy(model.topology), graph_def, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise BadInputError(
            f"{model.path}: modelTopology is not a valid GraphDef ({exc})"
        ) from None
    return graph_def


def _has_value(tensor: Any) -> bool:
    fields = {f.name for f, _ in tensor.ListFields()}
    return bool(fields - {"dtype", "tensor_shape", "version_number"})


def fill_constants(nodes: Iterable[Any], weights: dict[str, np.ndarray], where: str) -> None:
    """Give each ``Const`` node among ``nodes`` its value from the decoded weights (a constant
    that already holds a value keeps it); a constant with neither is bad input."""
    import tensorflow as tf

    for node in nodes:
        if node.op != "Const":
            continue
        value = weights.get(node.name)
        if value is None:
            if _has_value(node.attr["value"].tensor):
                continue
            raise BadInputError(f"{where}: weightsManifest has no weight for node {node.name!r}")
        declared = node.attr["dtype"].type if "dtype" in node.attr else 0
        if declared:
            # The manifest may hold a narrower type than the node declares: tensorflowjs
            # stores int64 as int32 and float64 as float32, and TF.js computes in those.
            dtype = tf.dtypes.as_dtype(declared)
            if dtype != tf.string:
                value = value.astype(dtype.as_numpy_dtype)
        else:
            dtype = tf.dtypes.as_dtype(value.dtype if value.dtype != object else np.bytes_)
        tensor = tf.make_tensor_proto(value, dtype=dtype, shape=value.shape)
        node.attr["value"].tensor.CopyFrom(tensor)
        node.attr["dtype"].type = dtype.as_datatype_enum


def _check_ops(graph_def: Any, where: str) -> None:
    from tensorflow.python.framework import op_def_registry

    functions = {f.signature.name for f in graph_def.library.function}
    nodes = [*graph_def.node, *(n for f in graph_def.library.function for n in f.node_def)]
    for node in nodes:
        if node.op not in functions and op_def_registry.get(node.op) is None:
            raise BadInputError(
                f"{where}: node {node.name!r} uses op {node.op!r}, which is neither a "
                "TensorFlow op nor a TF.js op hub-convert can rebuild"
            )


def _rename_functions(graph_def: Any) -> None:
    """Give library functions names unique to this graph.

    Importing registers them by name in the process; a different function that happens to
    share a name (``while_body_90`` is a common one) would make TensorFlow refuse the import.
    """
    library = graph_def.library
    if not library.function:
        return
    digest = hashlib.sha1(graph_def.SerializeToString(deterministic=True)).hexdigest()[:10]
    new = {f.signature.name: f"{f.signature.name}_tfjs_{digest}" for f in library.function}

    def fix_attr(value: Any) -> None:
        funcs = [value.func] if value.HasField("func") else list(value.list.func)
        for func in funcs:
            func.name = new.get(func.name, func.name)
            for nested in func.attr.values():
                fix_attr(nested)

    def fix_node(node: Any) -> None:
        node.op = new.get(node.op, node.op)  # a node may call a function by name
        for value in node.attr.values():
            fix_attr(value)

    for node in graph_def.node:
        fix_node(node)
    for function in library.function:
        function.signature.name = new[function.signature.name]
        for node in function.node_def:
            fix_node(node)
    for gradient in library.gradient:
        gradient.function_name = new.get(gradient.function_name, gradient.function_name)
        gradient.gradient_func = new.get(gradient.gradient_func, gradient.gradient_func)


def build_graph_def(model: ModelJson, weights: dict[str, np.ndarray]) -> Any:
    """A GraphDef TensorFlow can import and run, with the weights as constants."""
    graph_def = parse_graph_def(model)
    where = str(model.path)
    fill_constants(graph_def.node, weights, where)
    for function in graph_def.library.function:
        fill_constants(function.node_def, weights, where)
    unfuse_graph(graph_def, where)
    rewrite_graph(graph_def)
    detach_merge_controls(graph_def.node)
    lift_tensor_list_loops(graph_def)
    _rename_functions(graph_def)
    for node in [*graph_def.node, *(n for f in graph_def.library.function for n in f.node_def)]:
        # tensorflowjs pins contractions to /device:CPU:0 for Grappler; that means nothing here.
        node.device = ""
    _check_ops(graph_def, where)
    return graph_def


def _node_name(ref: str) -> str:
    return ref.lstrip("^").split(":", 1)[0]


def _tensor_name(ref: str) -> str:
    return ref if re.search(r":\d+$", ref) else f"{ref}:0"


def _shape_from_proto(shape: Any) -> tuple[int | None, ...] | None:
    if shape.unknown_rank:
        return None
    return tuple(d.size if d.size >= 0 else None for d in shape.dim)


def _shape_from_json(entry: dict[str, Any]) -> tuple[int | None, ...] | None:
    shape = entry.get("tensorShape", entry.get("tensor_shape"))
    if not isinstance(shape, dict):
        return None
    if shape.get("unknownRank", shape.get("unknown_rank")):
        return None
    dims = []
    for dim in shape.get("dim", []):
        size = int(dim.get("size", -1))
        dims.append(size if size >= 0 else None)
    return tuple(dims)


def _dtype_from_json(entry: dict[str, Any]) -> int:
    from tensorflow.core.framework import types_pb2

    dtype = entry.get("dtype", 0)
    if isinstance(dtype, int):
        return dtype
    try:
        return int(types_pb2.DataType.Value(str(dtype)))  # proto3 JSON writes enum names
    except ValueError:
        return 0


def _inputs(model: ModelJson, nodes: dict[str, Any]) -> list[TensorSpec]:
    signature_inputs = (model.signature or {}).get("inputs") or {}
    if not signature_inputs:
        return [
            TensorSpec(
                n.name,
                f"{n.name}:0",
                n.attr["dtype"].type,
                _shape_from_proto(n.attr["shape"].shape) if "shape" in n.attr else None,
            )
            for n in nodes.values()
            if n.op == "Placeholder"
        ]
    specs = []
    for key, entry in signature_inputs.items():
        if "resourceId" in entry:
            continue  # a table handle TF.js feeds from the modelInitializer (initializer.py)
        node = nodes.get(_node_name(entry["name"]))
        if node is None:
            continue  # TF.js skips inputs that freezing removed; so does this
        if node.op == "Placeholder":
            dtype = node.attr["dtype"].type
            shape = _shape_from_proto(node.attr["shape"].shape) if "shape" in node.attr else None
        else:
            dtype, shape = _dtype_from_json(entry), _shape_from_json(entry)
        specs.append(TensorSpec(key, _tensor_name(entry["name"]), dtype, shape))
    return specs


def _outputs(model: ModelJson, graph_def: Any, nodes: dict[str, Any]) -> list[TensorSpec]:
    from tensorflow.python.framework import op_def_registry

    signature_outputs = (model.signature or {}).get("outputs") or {}
    if signature_outputs:
        specs = []
        for key, entry in signature_outputs.items():
            if _node_name(entry["name"]) not in nodes:
                raise BadInputError(
                    f"{model.path}: signature output {key!r} names tensor {entry['name']!r}, "
                    "which is not in the graph"
                )
            specs.append(TensorSpec(key, _tensor_name(entry["name"]), 0, None))
        return specs
    consumed = {_node_name(i) for n in graph_def.node for i in n.input}
    # A node may call a library function by name; it has outputs if the function does.
    functions = {f.signature.name: f.signature for f in graph_def.library.function}
    specs = []
    for node in graph_def.node:
        op_def = op_def_registry.get(node.op) or functions.get(node.op)
        if node.name in consumed or node.op in _NOT_OUTPUTS or not (op_def and op_def.output_arg):
            continue
        specs.append(TensorSpec(node.name, f"{node.name}:0", 0, None))
    if not specs:
        raise BadInputError(f"{model.path}: the graph has no output (every node is consumed)")
    return specs


def graph_io(model: ModelJson, graph_def: Any) -> tuple[list[TensorSpec], list[TensorSpec]]:
    """The serving inputs and outputs, as TF.js's GraphModel would present them."""
    nodes = {n.name: n for n in graph_def.node}
    inputs = _inputs(model, nodes)
    outputs = _outputs(model, graph_def, nodes)
    if not inputs:
        raise BadInputError(f"{model.path}: the graph has no input (no Placeholder node)")
    return inputs, outputs
