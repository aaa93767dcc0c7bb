"""The rewrite tensorflowjs's converter makes before writing a graph: Grappler's remapper
(Conv2D/MatMul + BiasAdd + activation, Conv2D + FusedBatchNormV3 + Relu), fuse_prelu.py and
fuse_depthwise_conv2d.py, inside function bodies too (TensorFlow imported lazily)."""

from __future__ import annotations

import copy
from typing import Any


def _by_name(graph_def: Any) -> dict[str, Any]:
    return {n.name: n for n in graph_def.node}


def _consumers(graph_def: Any, name: str) -> list[Any]:
    return [n for n in graph_def.node if any(i.split(":")[0] == name for i in n.input)]


def _replace_refs(graph_def: Any, old: str, new: str) -> None:
    for node in graph_def.node:
        for i, ref in enumerate(node.input):
            if ref == old or ref == f"{old}:0":
                node.input[i] = new


def remove_nodes(graph_def: Any, names: set[str]) -> None:
    """Drop the nodes named ``names`` from ``graph_def``."""
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
        remove_nodes(graph_def, {contraction.name, bias.name, last.name})
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
        remove_nodes(graph_def, {bias.name, activation.name})


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
        remove_nodes(graph_def, {add.name, mul.name, relu_neg.name, neg.name})
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
        remove_nodes(graph_def, {prelu.name})
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
        remove_nodes(graph_def, {conv.name, bn.name, relu.name})
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
