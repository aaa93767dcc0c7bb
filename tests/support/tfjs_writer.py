"""Test-side TF.js writer: real TensorFlow graphs and Keras models written as TF.js would.

A graph model starts as a plain frozen TF graph (Conv2D + BiasAdd + Relu, ...). It is then
rewritten into the fused form tensorflowjs emits (its converter runs Grappler's remapper,
then fuse_prelu.py and fuse_depthwise_conv2d.py), its constants are moved into a sharded,
partly quantized weights manifest, and its GraphDef is written as proto3 JSON. The original
graph therefore states what the TF.js model computes, with no code shared with hub-convert.

TensorFlow is imported lazily, inside the builders.
"""

from __future__ import annotations

import copy
import gzip
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

GENERATED_BY = "2.15.0"
CONVERTED_BY = "TensorFlow.js Converter v4.22.0"


# --- weights: quantize, pack, shard (tensorflowjs write_weights.py / quantization.py) -----


def quantize(data: np.ndarray, dtype: str) -> tuple[np.ndarray, dict[str, Any]]:
    """TF.js's affine uint8/uint16 quantization with the zero point nudged, or float16."""
    if dtype == "float16":
        return data.astype(np.float16), {"dtype": "float16"}
    qtype = np.uint8 if dtype == "uint8" else np.uint16
    lo, hi = float(data.min()), float(data.max())
    qmax = np.iinfo(qtype).max
    scale = (hi - lo) / qmax
    if lo <= 0 <= hi:
        lo = -round(-lo / scale) * scale
        hi = qmax * scale + lo
    q = np.round((np.clip(data, lo, hi) - lo) / scale).astype(qtype)
    return q, {"dtype": dtype, "scale": scale, "min": lo, "original_dtype": "float32"}


def dequantize(stored: np.ndarray, meta: dict[str, Any] | None) -> np.ndarray:
    """What TF.js reconstructs (tfjs-core io_utils.ts decodeWeight)."""
    if meta is None:
        return stored
    if meta["dtype"] == "float16":
        return stored.astype(np.float32)
    return (stored.astype(np.float64) * meta["scale"] + meta["min"]).astype(np.float32)


def _tfjs_dtype(array: np.ndarray) -> tuple[np.ndarray, str]:
    # tensorflowjs stores int64 as int32 and float64 as float32.
    if array.dtype == np.int64:
        array = array.astype(np.int32)
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    names = {np.float32: "float32", np.int32: "int32", np.bool_: "bool", np.object_: "string"}
    return array, names[array.dtype.type]


def _string_bytes(array: np.ndarray) -> bytes:
    out = b""
    for value in array.reshape(-1):
        raw = value if isinstance(value, bytes) else str(value).encode()
        out += np.array(len(raw), "<u4").tobytes() + raw
    return out


def write_weights(
    directory: Path,
    groups: list[list[tuple[str, np.ndarray]]],
    quantization: dict[str, str],
    shard_bytes: int,
) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """Write each group's weights back to back, split into shards of ``shard_bytes``.

    Returns the manifest and the value TF.js decodes for each weight.
    """
    manifest = []
    decoded: dict[str, np.ndarray] = {}
    for index, group in enumerate(groups, start=1):
        data = b""
        entries = []
        for name, value in group:
            array, dtype = _tfjs_dtype(np.asarray(value))
            entry: dict[str, Any] = {"name": name, "shape": list(array.shape), "dtype": dtype}
            meta = None
            if name in quantization and dtype == "float32":
                array, meta = quantize(array, quantization[name])
                entry["quantization"] = meta
            data += _string_bytes(array) if dtype == "string" else array.tobytes()
            decoded[name] = dequantize(array, meta)
            entries.append(entry)
        count = max(1, math.ceil(len(data) / shard_bytes))
        paths = [f"group{index}-shard{i}of{count}.bin" for i in range(1, count + 1)]
        for i, path in enumerate(paths):
            (directory / path).write_bytes(data[i * shard_bytes : (i + 1) * shard_bytes])
        manifest.append({"paths": paths, "weights": entries})
    return manifest, decoded


def write_model_json(directory: Path, document: dict[str, Any], *, compress: bool) -> Path:
    text = json.dumps(document).encode()
    if compress:
        path = directory / "model.json.gz"
        path.write_bytes(gzip.compress(text))
    else:
        path = directory / "model.json"
        path.write_bytes(text)
    return path


# --- a graph model: reference graph, fused rewrite, JSON -------------------------------------


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


def reference_graph() -> tuple[Any, dict[str, str], dict[str, str]]:
    """A frozen TF graph with every pattern tensorflowjs fuses; returns (graph_def, ins, outs)."""
    import tensorflow as tf

    rng = np.random.default_rng(7)

    def const(name: str, shape: tuple[int, ...], scale: float = 0.5) -> Any:
        return tf.constant((rng.normal(size=shape) * scale).astype(np.float32), name=name)

    graph = tf.Graph()
    with graph.as_default():
        image = tf.compat.v1.placeholder(tf.float32, [None, 8, 8, 3], name="image")
        # Conv2D + BiasAdd + Relu -> _FusedConv2D [BiasAdd, Relu]
        x = tf.nn.conv2d(
            image, const("conv1/weights", (3, 3, 3, 8)), 1, "SAME", name="conv1/Conv2D"
        )
        x = tf.nn.bias_add(x, const("conv1/bias", (8,)), name="conv1/BiasAdd")
        x = tf.nn.relu(x, name="conv1/Relu")
        # DepthwiseConv2dNative + BiasAdd + Relu6 -> FusedDepthwiseConv2dNative
        x = tf.raw_ops.DepthwiseConv2dNative(
            input=x,
            filter=const("dw/weights", (3, 3, 8, 1)),
            strides=[1, 2, 2, 1],
            padding="SAME",
            name="dw/depthwise",
        )
        x = tf.nn.bias_add(x, const("dw/bias", (8,)), name="dw/BiasAdd")
        x = tf.nn.relu6(x, name="dw/Relu6")
        # Conv2D + BiasAdd, then Keras's PReLU -> _FusedConv2D [BiasAdd, Prelu]
        x = tf.nn.conv2d(x, const("conv2/weights", (1, 1, 8, 8)), 1, "VALID", name="conv2/Conv2D")
        x = tf.nn.bias_add(x, const("conv2/bias", (8,)), name="conv2/BiasAdd")
        x = _keras_prelu(x, "p1", -np.abs(const_value(rng, (1, 1, 8))))
        # a residual AddV2 then PReLU: not fusable, stays a standalone Prelu op
        x = tf.add(x, const("shift", (8,)), name="shift/add")
        x = _keras_prelu(x, "p2", -np.abs(const_value(rng, (8,))))
        pooled = tf.reduce_mean(x, axis=tf.constant([1, 2], name="pool/axes"), name="pool/Mean")
        # MatMul + BiasAdd + LeakyRelu -> _FusedMatMul [BiasAdd, LeakyRelu] with alpha
        h = tf.matmul(pooled, const("dense1/kernel", (8, 16)), name="dense1/MatMul")
        h = tf.nn.bias_add(h, const("dense1/bias", (16,)), name="dense1/BiasAdd")
        h = tf.nn.leaky_relu(h, alpha=0.1, name="dense1/LeakyRelu")
        # int64 shape constant: tensorflowjs stores it as int32
        h = tf.reshape(h, tf.constant([-1, 16], tf.int64, name="reshape/shape"), name="reshape")
        # MatMul + BiasAdd -> _FusedMatMul [BiasAdd]
        logits = tf.matmul(h, const("dense2/kernel", (16, 4)), name="dense2/MatMul")
        logits = tf.nn.bias_add(logits, const("dense2/bias", (4,)), name="dense2/BiasAdd")
        mask = tf.constant([True, False, True, False], name="gate/mask")
        gated = tf.where(
            mask, tf.sigmoid(logits, name="gate/Sigmoid"), tf.tanh(logits), name="gate"
        )
        tf.identity(logits, name="Identity")
        tf.identity(gated, name="Identity_1")
    return (
        graph.as_graph_def(),
        {"image": "image:0"},
        {"logits": "Identity:0", "gated": "Identity_1:0"},
    )


def const_value(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return (rng.uniform(0.05, 0.4, size=shape)).astype(np.float32)


def _keras_prelu(x: Any, scope: str, negative_alpha: np.ndarray) -> Any:
    """tf_keras PReLU as frozen: relu(x) + (-alpha) * relu(-x)."""
    import tensorflow as tf

    positive = tf.nn.relu(x, name=f"{scope}/Relu")
    negative = tf.nn.relu(tf.negative(x, name=f"{scope}/Neg"), name=f"{scope}/Relu_1")
    alpha = tf.constant(negative_alpha, name=f"{scope}/alpha")
    return tf.add(positive, tf.multiply(alpha, negative, name=f"{scope}/mul"), name=f"{scope}/add")


def _by_name(graph_def: Any) -> dict[str, Any]:
    return {n.name: n for n in graph_def.node}


def _consumers(graph_def: Any, name: str) -> list[Any]:
    return [n for n in graph_def.node if any(i.split(":")[0] == name for i in n.input)]


def _replace_refs(graph_def: Any, old: str, new: str) -> None:
    for node in graph_def.node:
        for i, ref in enumerate(node.input):
            if ref == old or ref == f"{old}:0":
                node.input[i] = new


def _remove(graph_def: Any, names: set[str]) -> None:
    keep = [copy.deepcopy(n) for n in graph_def.node if n.name not in names]
    del graph_def.node[:]
    graph_def.node.extend(keep)


def _set_fused(node: Any, ops: list[str], num_args: int) -> None:
    node.attr["fused_ops"].list.s[:] = [op.encode() for op in ops]
    node.attr["num_args"].i = num_args


def _fuse_contraction(graph_def: Any, activation_ops: tuple[str, ...]) -> None:
    """Grappler remapper: Conv2D/MatMul + BiasAdd (+ activation) -> _FusedConv2D/_FusedMatMul.

    The fused node takes the name of the last node it replaces, as the remapper does.
    """
    nodes = _by_name(graph_def)
    for bias in [n for n in graph_def.node if n.op == "BiasAdd"]:
        contraction = nodes.get(bias.input[0])
        if contraction is None or contraction.op not in ("Conv2D", "MatMul"):
            continue
        users = _consumers(graph_def, bias.name)
        activation = users[0] if len(users) == 1 and users[0].op in activation_ops else None
        last = activation or bias
        fused = copy.deepcopy(contraction)
        fused.name = last.name
        fused.op = "_FusedConv2D" if contraction.op == "Conv2D" else "_FusedMatMul"
        fused.input.append(bias.input[1])
        ops = ["BiasAdd"] + ([activation.op] if activation else [])
        _set_fused(fused, ops, 1)
        fused.attr["epsilon"].f = 0.0
        if activation is not None and activation.op == "LeakyRelu":
            fused.attr["leakyrelu_alpha"].f = activation.attr["alpha"].f
        # Like TensorFlow of the tensorflowjs era, no TArgs: what TensorFlow today rejects.
        _remove(graph_def, {contraction.name, bias.name, last.name})
        graph_def.node.append(fused)
        nodes = _by_name(graph_def)


def _fuse_depthwise(graph_def: Any) -> None:
    """fuse_depthwise_conv2d.py: the depthwise node keeps its name and takes bias + act."""
    nodes = _by_name(graph_def)
    for dw in [n for n in graph_def.node if n.op == "DepthwiseConv2dNative"]:
        (bias,) = _consumers(graph_def, dw.name)
        (activation,) = _consumers(graph_def, bias.name)
        node = nodes[dw.name]
        node.op = "FusedDepthwiseConv2dNative"
        node.input.append(bias.input[1])
        _set_fused(node, ["BiasAdd", activation.op], 1)
        _replace_refs(graph_def, activation.name, dw.name)
        _remove(graph_def, {bias.name, activation.name})


def _fuse_prelu(graph_def: Any) -> None:
    """fuse_prelu.py: relu(x) + (-alpha) * relu(-x) -> Prelu(x, alpha), alpha un-negated;
    then a Prelu right after a _FusedConv2D/_FusedMatMul [BiasAdd] joins its fused_ops."""
    from tensorflow.python.framework import tensor_util

    nodes = _by_name(graph_def)
    for add in [n for n in graph_def.node if n.op in ("Add", "AddV2")]:
        relu, mul = (nodes.get(i) for i in add.input)
        if not (relu is not None and relu.op == "Relu" and mul is not None and mul.op == "Mul"):
            continue
        alpha = nodes[mul.input[0]]
        value = -tensor_util.MakeNdarray(alpha.attr["value"].tensor)
        alpha.attr["value"].tensor.CopyFrom(tensor_util.make_tensor_proto(value))
        relu_neg = nodes[mul.input[1]]
        neg = nodes[relu_neg.input[0]]
        relu.op = "Prelu"
        relu.input.append(alpha.name)
        del relu.attr["T"]  # tensorflowjs's Prelu op definition has no attributes
        _replace_refs(graph_def, add.name, relu.name)
        _remove(graph_def, {add.name, mul.name, relu_neg.name, neg.name})
        nodes = _by_name(graph_def)
    for prelu in [n for n in graph_def.node if n.op == "Prelu"]:
        fused = nodes[prelu.input[0].split(":")[0]]
        if (
            fused.op not in ("_FusedConv2D", "_FusedMatMul")
            or len(fused.attr["fused_ops"].list.s) > 1
        ):
            continue
        fused.input.append(prelu.input[1])
        _set_fused(fused, [*(s.decode() for s in fused.attr["fused_ops"].list.s), "Prelu"], 2)
        _replace_refs(graph_def, prelu.name, fused.name)
        _remove(graph_def, {prelu.name})
        nodes = _by_name(graph_def)


def _fuse_conv_batchnorm(graph_def: Any) -> None:
    """Grappler remapper: Conv2D + FusedBatchNormV3 (inference) + Relu -> _FusedConv2D
    [FusedBatchNorm, Relu] with scale, offset, mean and variance as its four args."""
    nodes = _by_name(graph_def)
    for bn in [n for n in graph_def.node if n.op == "FusedBatchNormV3"]:
        conv = nodes[bn.input[0]]
        (relu,) = _consumers(graph_def, bn.name)
        fused = copy.deepcopy(conv)
        fused.name = relu.name
        fused.op = "_FusedConv2D"
        fused.input.extend(bn.input[1:5])
        _set_fused(fused, ["FusedBatchNorm", "Relu"], 4)
        fused.attr["epsilon"].f = bn.attr["epsilon"].f
        _remove(graph_def, {conv.name, bn.name, relu.name})
        graph_def.node.append(fused)
        nodes = _by_name(graph_def)


def _base(ref: str) -> str:
    return ref.lstrip("^").split(":")[0]


def _fuse_function_matmul(function: Any) -> None:
    """The remapper inside a function body, where references read ``node:output_arg:0``:
    MatMul + BiasAdd + Relu -> _FusedMatMul, whose output is ``product``, not ``activations``."""
    nodes = {n.name: n for n in function.node_def}
    for bias in [n for n in function.node_def if n.op == "BiasAdd"]:
        matmul = nodes.get(_base(bias.input[0]))
        users = [n for n in function.node_def if any(_base(i) == bias.name for i in n.input)]
        if matmul is None or matmul.op != "MatMul" or len(users) != 1 or users[0].op != "Relu":
            continue
        relu = users[0]
        fused = copy.deepcopy(matmul)
        fused.name = relu.name
        fused.op = "_FusedMatMul"
        fused.input.append(bias.input[1])
        _set_fused(fused, ["BiasAdd", "Relu"], 1)
        fused.attr["epsilon"].f = 0.0
        keep = [
            copy.deepcopy(n)
            for n in function.node_def
            if n.name not in {matmul.name, bias.name, relu.name}
        ]
        del function.node_def[:]
        function.node_def.extend([*keep, fused])
        old, new = f"{relu.name}:activations:0", f"{relu.name}:product:0"
        for node in function.node_def:
            node.input[:] = [new if i == old else i for i in node.input]
        for key, ref in list(function.ret.items()):
            if ref == old:
                function.ret[key] = new
        nodes = {n.name: n for n in function.node_def}


def _rename_function_constants(function: Any) -> None:
    """graph_rewrite_util.rename_constants: a function's Const nodes become
    ``<function>/<node>``, the names their values get in the manifest."""
    prefix = function.signature.name
    names = {n.name for n in function.node_def if n.op == "Const"}
    for node in function.node_def:
        if node.op == "Const":
            node.name = f"{prefix}/{node.name}"
        node.input[:] = [f"{prefix}/{i}" if _base(i) in names else i for i in node.input]


def tfjs_fuse(graph_def: Any, activations: tuple[str, ...] = ("Relu", "Relu6", "Elu")) -> Any:
    """The graph rewritten into the fused form tensorflowjs writes."""
    fused = copy.deepcopy(graph_def)
    _fuse_conv_batchnorm(fused)
    _fuse_contraction(fused, (*activations, "LeakyRelu"))
    _fuse_depthwise(fused)
    _fuse_prelu(fused)
    for function in fused.library.function:
        _fuse_function_matmul(function)
        _rename_function_constants(function)
    for node in fused.node:
        if node.op in ("_FusedConv2D", "_FusedMatMul", "Conv2D", "MatMul"):
            node.device = "/device:CPU:0"  # tensorflowjs pins these for Grappler
    return fused


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


def activation_graph(activation: str) -> tuple[Any, dict[str, str], dict[str, str]]:
    """x -> MatMul -> BiasAdd -> ``activation`` (a tf.nn name, or "Prelu" as Keras writes it)."""
    import tensorflow as tf

    rng = np.random.default_rng(11)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        w = tf.constant(rng.normal(size=(4, 3)).astype(np.float32), name="dense/kernel")
        b = tf.constant(rng.normal(size=(3,)).astype(np.float32), name="dense/bias")
        y = tf.nn.bias_add(tf.matmul(x, w, name="dense/MatMul"), b, name="dense/BiasAdd")
        if activation == "Prelu":
            y = _keras_prelu(y, "prelu", -const_value(rng, (3,)))
        else:
            op = getattr(tf.raw_ops, activation)
            # Sigmoid and Tanh name their input x; the rest, features.
            y = (
                op(x=y, name="dense/act")
                if activation in ("Sigmoid", "Tanh")
                else op(features=y, name="dense/act")
            )
        tf.identity(y, name="y")
    return graph.as_graph_def(), {"x": "x:0"}, {"y": "y:0"}


def conv_batchnorm_graph() -> tuple[Any, dict[str, str], dict[str, str]]:
    """Conv2D -> FusedBatchNormV3 (inference) -> Relu, which the remapper fuses whole."""
    import tensorflow as tf

    rng = np.random.default_rng(13)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 6, 6, 2], name="x")
        w = tf.constant(rng.normal(size=(3, 3, 2, 4)).astype(np.float32), name="conv/weights")
        y = tf.nn.conv2d(x, w, 1, "SAME", name="conv/Conv2D")
        stats = [
            tf.constant(v.astype(np.float32), name=f"bn/{n}")
            for n, v in (
                ("gamma", rng.uniform(0.5, 1.5, 4)),
                ("beta", rng.normal(size=4)),
                ("mean", rng.normal(size=4)),
                ("variance", rng.uniform(0.5, 2.0, 4)),
            )
        ]
        y, *_ = tf.raw_ops.FusedBatchNormV3(
            x=y,
            scale=stats[0],
            offset=stats[1],
            mean=stats[2],
            variance=stats[3],
            epsilon=0.001,
            is_training=False,
            name="bn/FusedBatchNormV3",
        )
        tf.identity(tf.nn.relu(y, name="bn/Relu"), name="y")
    return graph.as_graph_def(), {"x": "x:0"}, {"y": "y:0"}


def while_loop_graph(lower: bool) -> tuple[Any, dict[str, str], dict[str, str]]:
    """A frozen tf.function with a while loop whose body holds a dense layer and its own
    constants: v2 control flow (While + library functions) or, ``lower``, v1 (Enter/Exit)."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    rng = np.random.default_rng(17)
    kernel = (rng.normal(size=(4, 4)) * 0.5).astype(np.float32)
    bias = rng.normal(size=(4,)).astype(np.float32)

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
    def loop(x: Any) -> Any:
        def body(i: Any, h: Any) -> Any:
            h = tf.nn.relu(tf.nn.bias_add(tf.matmul(h, tf.constant(kernel)), tf.constant(bias)))
            return i + 1, h

        _, h = tf.while_loop(lambda i, h: i < 3, body, [tf.constant(0), x])
        return h

    frozen = convert_variables_to_constants_v2(
        loop.get_concrete_function(), lower_control_flow=lower
    )
    graph_def = frozen.graph.as_graph_def()
    # tensorflowjs drops these (_remove_unused_control_flow_inputs); nothing consumes them.
    unused = [n.name for n in graph_def.node if n.name.startswith("unused_control_flow_input")]
    _remove(graph_def, set(unused))
    output = frozen.outputs[0].name
    return graph_def, {"x": "x:0"}, {"y": output}


def string_graph() -> tuple[Any, dict[str, str], dict[str, str]]:
    """A string constant (stored length-prefixed in the shards) that the output depends on."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
        words = tf.constant(np.array([b"a", b"", "\u00e9t\u00e9".encode()], object), name="words")
        lengths = tf.cast(tf.strings.length(words), tf.float32, name="lengths")
        tf.identity(x * lengths, name="y")
    return graph.as_graph_def(), {"x": "x:0"}, {"y": "y:0"}


def run_graph(graph_def: Any, feeds: dict[str, np.ndarray], fetches: list[str]) -> list[Any]:
    """Run a GraphDef in a TF1 session: the reference the rebuilt model is compared with."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as session:
        return list(session.run(fetches, feeds))


# --- layers models --------------------------------------------------------------------------


@dataclass
class LayersFixture:
    directory: Path
    model_json: Path
    model: Any  # the tf_keras model, weights as TF.js decodes them
    input_name: str


def _tfjs_layers_sequential_config() -> dict[str, Any]:
    """A Sequential config as tfjs-layers 4.x serializes it (``model.save``)."""

    def initializer(name: str, **config: Any) -> dict[str, Any]:
        return {"class_name": name, "config": config}

    def dense(name: str, units: int, activation: str, **extra: Any) -> dict[str, Any]:
        return {
            "class_name": "Dense",
            "config": {
                "units": units,
                "activation": activation,
                "use_bias": True,
                "kernel_initializer": initializer(
                    "VarianceScaling", scale=1, mode="fan_avg", distribution="normal", seed=None
                ),
                "bias_initializer": initializer("Zeros"),
                "kernel_regularizer": None,
                "bias_regularizer": None,
                "activity_regularizer": None,
                "kernel_constraint": None,
                "bias_constraint": None,
                "name": name,
                "trainable": True,
                **extra,
            },
        }

    return {
        "class_name": "Sequential",
        "config": {
            "name": "sequential_1",
            "layers": [
                dense("dense_Dense1", 6, "relu", batch_input_shape=[None, 5], dtype="float32"),
                {
                    "class_name": "BatchNormalization",
                    "config": {
                        "axis": -1,
                        "momentum": 0.99,
                        "epsilon": 0.001,
                        "center": True,
                        "scale": True,
                        "beta_initializer": initializer("Zeros"),
                        "gamma_initializer": initializer("Ones"),
                        "moving_mean_initializer": initializer("Zeros"),
                        "moving_variance_initializer": initializer("Ones"),
                        "beta_regularizer": None,
                        "gamma_regularizer": None,
                        "beta_constraint": None,
                        "gamma_constraint": None,
                        "name": "batch_normalization_BatchNormalization1",
                        "trainable": True,
                    },
                },
                dense("dense_Dense2", 3, "softmax"),
            ],
        },
        "keras_version": "tfjs-layers 4.22.0",
        "backend": "tensor_flow.js",
    }


def write_layers_model(directory: Path) -> LayersFixture:
    """A layers model saved by tfjs-layers: Sequential, weights named ``<layer>/<weight>``,
    one group per layer, the first kernel uint16-quantized."""
    import tf_keras

    directory.mkdir(parents=True, exist_ok=True)
    topology = _tfjs_layers_sequential_config()
    model = tf_keras.models.model_from_json(json.dumps(topology))
    rng = np.random.default_rng(3)
    groups = []
    for layer in model.layers:
        group = []
        for variable in layer.weights:
            short = variable.name.split(":")[0].split("/")[-1]
            value = rng.normal(size=variable.shape).astype(np.float32)
            if short == "moving_variance":
                value = np.abs(value) + 0.5
            group.append((f"{layer.name}/{short}", value))
        groups.append(group)
    manifest, decoded = write_weights(directory, groups, {"dense_Dense1/kernel": "uint16"}, 64)
    for layer in model.layers:
        for variable in layer.weights:
            short = variable.name.split(":")[0].split("/")[-1]
            variable.assign(decoded[f"{layer.name}/{short}"])
    document = {
        "format": "layers-model",
        "generatedBy": "TensorFlow.js tfjs-layers v4.22.0",
        "convertedBy": None,
        "modelTopology": topology,
        "weightsManifest": manifest,
    }
    model_json = write_model_json(directory, document, compress=False)
    return LayersFixture(directory, model_json, model, "dense_Dense1_input")


def write_converted_keras_model(directory: Path) -> LayersFixture:
    """A functional Keras 2 model converted by tensorflowjs_converter (``model_config``),
    with an LSTM whose weights are named ``lstm/kernel`` as TF.js names them, while tf_keras
    scopes its variables ``lstm/lstm_cell/kernel``."""
    import tf_keras

    directory.mkdir(parents=True, exist_ok=True)
    inputs = tf_keras.Input((5, 3), name="sequence")
    x = tf_keras.layers.LSTM(4, name="lstm")(inputs)
    x = tf_keras.layers.Dense(2, activation="tanh", name="head")(x)
    model = tf_keras.Model(inputs, x, name="converted")
    rng = np.random.default_rng(5)
    groups = []
    for layer in model.layers:
        group = []
        for variable in layer.weights:
            short = variable.name.split(":")[0].split("/")[-1]
            value = (rng.normal(size=variable.shape) * 0.5).astype(np.float32)
            group.append((f"{layer.name}/{short}", value))
        if group:
            groups.append(group)
    manifest, decoded = write_weights(directory, groups, {"lstm/kernel": "uint8"}, 128)
    for layer in model.layers:
        for variable in layer.weights:
            short = variable.name.split(":")[0].split("/")[-1]
            variable.assign(decoded[f"{layer.name}/{short}"])
    document = {
        "format": "layers-model",
        "generatedBy": "keras v2.15.0",
        "convertedBy": CONVERTED_BY,
        "modelTopology": {
            "keras_version": "2.15.0",
            "backend": "tensorflow",
            "model_config": json.loads(model.to_json()),
        },
        "weightsManifest": manifest,
    }
    model_json = write_model_json(directory, document, compress=False)
    return LayersFixture(directory, model_json, model, "sequence")


# --- a tiny graph model written without TensorFlow (for bad-input tests) --------------------


def write_tiny_graph_model(directory: Path) -> Path:
    """``z = (x + w) * s`` as a TF.js graph model, written by hand with numpy only.

    ``w`` (float32) spans the two shards of group 1; ``s`` (uint8-quantized) is group 2.
    """
    directory.mkdir(parents=True, exist_ok=True)

    def const(name: str, dtype: str, dims: list[int]) -> dict[str, Any]:
        shape = {"dim": [{"size": str(d)} for d in dims]}
        return {
            "name": name,
            "op": "Const",
            "attr": {
                "dtype": {"type": dtype},
                "value": {"tensor": {"dtype": dtype, "tensorShape": shape}},
            },
        }

    topology = {
        "node": [
            {
                "name": "x",
                "op": "Placeholder",
                "attr": {
                    "dtype": {"type": "DT_FLOAT"},
                    "shape": {"shape": {"dim": [{"size": "-1"}, {"size": "2"}]}},
                },
            },
            const("w", "DT_FLOAT", [2]),
            const("s", "DT_FLOAT", [2]),
            {"name": "y", "op": "AddV2", "input": ["x", "w"], "attr": {"T": {"type": "DT_FLOAT"}}},
            {"name": "z", "op": "Mul", "input": ["y", "s"], "attr": {"T": {"type": "DT_FLOAT"}}},
        ],
        "versions": {"producer": 1395},
    }
    manifest, _ = write_weights(
        directory,
        [
            [("w", np.array([0.5, -1.5], np.float32))],
            [("s", np.array([2.0, -0.25], np.float32))],
        ],
        {"s": "uint8"},
        shard_bytes=4,
    )
    document = {
        "format": "graph-model",
        "generatedBy": "hand-written",
        "convertedBy": None,
        "modelTopology": topology,
        "weightsManifest": manifest,
    }
    return write_model_json(directory, document, compress=False)
