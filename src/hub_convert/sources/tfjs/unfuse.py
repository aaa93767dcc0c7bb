"""Rewrite TF.js's fused ops into the plain TensorFlow ops they stand for (worker only).

tensorflowjs emits, after Grappler's remapper and its own passes (fuse_prelu.py,
fuse_depthwise_conv2d.py):

- ``_FusedConv2D`` / ``_FusedMatMul``: TensorFlow-internal ops, written by older TensorFlow
  without attributes today's op definitions require (``TArgs``), and which neither the TFLite
  converter nor tf2onnx reliably handle;
- ``FusedDepthwiseConv2dNative`` and ``Prelu``: ops that exist only in TF.js.

A fused node computes ``contraction(x, w)`` then each entry of ``fused_ops`` in order, taking
its extra operands from the node's trailing ``args`` inputs (``num_args`` of them):
``BiasAdd`` (bias), ``Add`` (addend), ``FusedBatchNorm`` (scale, offset, mean, variance with
``epsilon``), ``Prelu`` (alpha), or an activation without operands (``Relu``, ``Relu6``,
``Elu``, ``Selu``, ``Sigmoid``, ``Tanh``, ``LeakyRelu`` with ``leakyrelu_alpha``).

Each fused node becomes that chain of plain nodes; the last keeps the fused node's name, so
consumers and signature names stay valid. No Const nodes are created, so a rewritten node
stays in the same control-flow frame as its inputs.
"""

from __future__ import annotations

import copy
from collections.abc import MutableSequence
from typing import Any

from ...errors import BadInputError

_CONTRACTIONS = {
    "_FusedConv2D": "Conv2D",
    "FusedDepthwiseConv2dNative": "DepthwiseConv2dNative",
    "_FusedDepthwiseConv2dNative": "DepthwiseConv2dNative",
    "_FusedMatMul": "MatMul",
}
_CONTRACTION_ATTRS = {
    "Conv2D": (
        "strides",
        "padding",
        "explicit_paddings",
        "data_format",
        "dilations",
        "use_cudnn_on_gpu",
    ),
    "DepthwiseConv2dNative": (
        "strides",
        "padding",
        "explicit_paddings",
        "data_format",
        "dilations",
    ),
    "MatMul": ("transpose_a", "transpose_b"),
}
_REQUIRED_ATTRS = {
    "Conv2D": ("strides", "padding"),
    "DepthwiseConv2dNative": ("strides", "padding"),
}
_ACTIVATIONS = {
    "relu": "Relu",
    "relu6": "Relu6",
    "elu": "Elu",
    "selu": "Selu",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "leakyrelu": "LeakyRelu",
}
# TF.js's defaults (tfjs-converter op_list) for attributes a file may omit.
_DEFAULT_LEAKYRELU_ALPHA = 0.2
_DEFAULT_EPSILON = 0.0001
_FLOAT = 1  # DataType DT_FLOAT


def _output_arg(op: str) -> str:
    """Name of an op's first output, as a function body refers to it (``node:arg:0``)."""
    from tensorflow.python.framework import op_def_registry

    op_def = op_def_registry.get(op)
    assert op_def is not None, op
    return str(op_def.output_arg[0].name)


class _Chain:
    """Plain nodes replacing one fused node; the last one takes the fused node's name."""

    def __init__(self, fused: Any, taken: set[str], in_function: bool) -> None:
        import tensorflow as tf

        self._tf = tf
        self.fused = fused
        self.taken = taken
        self.in_function = in_function
        self.nodes: list[Any] = []
        self.dtype = fused.attr["T"].type if "T" in fused.attr else _FLOAT
        self.controls = [i for i in fused.input if i.startswith("^")]

    def add(self, label: str, op: str, inputs: list[str], **attrs: Any) -> str:
        """Append a node; return how later nodes of the same graph refer to its output 0."""
        name = f"{self.fused.name}/{label}"
        suffix = 1
        while name in self.taken:
            name = f"{self.fused.name}/{label}_{suffix}"
            suffix += 1
        self.taken.add(name)
        node = self._tf.compat.v1.NodeDef(name=name, op=op)
        node.input.extend(inputs)
        if not self.nodes:
            node.input.extend(self.controls)  # later nodes depend on this one anyway
        node.attr["T"].type = self.dtype
        for key, value in attrs.items():
            node.attr[key].CopyFrom(value)
        self.nodes.append(node)
        return f"{name}:{_output_arg(op)}:0" if self.in_function else name

    def finish(self) -> str:
        """Give the last node the fused node's name; return the reference to its output."""
        last = self.nodes[-1]
        self.taken.discard(last.name)
        last.name = self.fused.name
        return f"{last.name}:{_output_arg(last.op)}:0" if self.in_function else last.name

    def attr(self, **kwargs: Any) -> Any:
        return self._tf.compat.v1.AttrValue(**kwargs)


def _float_attr(node: Any, name: str, default: float) -> float:
    # Like TF.js's getNumberParam: an attribute present without a value means the default.
    if name in node.attr and node.attr[name].HasField("f"):
        return float(node.attr[name].f)
    return default


def _prelu(chain: _Chain, x: str, alpha: str) -> str:
    # prelu(x) = x if x >= 0 else alpha * x, written as Keras writes it (and as TF.js's
    # converter found it): relu(x) + (-alpha) * relu(-x). Exact in floating point, and the
    # TFLite converter turns this pattern back into its PRELU op.
    positive = chain.add("Relu", "Relu", [x])
    negated = chain.add("Neg", "Neg", [x])
    negative = chain.add("Relu_1", "Relu", [negated])
    negative_alpha = chain.add("NegAlpha", "Neg", [alpha])
    scaled = chain.add("Mul", "Mul", [negative_alpha, negative])
    return chain.add("Prelu", "AddV2", [positive, scaled])


def _unfuse_contraction(chain: _Chain, where: str) -> None:
    fused = chain.fused
    base = _CONTRACTIONS[fused.op]
    data = [i for i in fused.input if not i.startswith("^")]
    if len(data) < 2:
        raise BadInputError(f"{where}: node {fused.name!r} ({fused.op}) has fewer than 2 inputs")
    x, weight, args = data[0], data[1], data[2:]
    for key in _REQUIRED_ATTRS.get(base, ()):
        if key not in fused.attr:
            raise BadInputError(f"{where}: node {fused.name!r} ({fused.op}) lacks {key!r}")
    num_args = fused.attr["num_args"].i if "num_args" in fused.attr else len(args)
    if num_args != len(args):
        raise BadInputError(
            f"{where}: node {fused.name!r} ({fused.op}) has num_args={num_args} "
            f"but {len(args)} extra inputs"
        )
    attrs = {k: fused.attr[k] for k in _CONTRACTION_ATTRS[base] if k in fused.attr}
    out = chain.add(base, base, [x, weight], **attrs)
    layout = {"data_format": fused.attr["data_format"]} if "data_format" in fused.attr else {}
    ops = [s.decode("utf-8", "replace") for s in fused.attr["fused_ops"].list.s]
    for op in ops:
        key = op.lower()
        needs = {"biasadd": 1, "add": 1, "addv2": 1, "prelu": 1, "fusedbatchnorm": 4}.get(key, 0)
        if len(args) < needs:
            raise BadInputError(
                f"{where}: node {fused.name!r} ({fused.op}) lacks the inputs for {op}"
            )
        operands, args = args[:needs], args[needs:]
        if key == "biasadd":
            out = chain.add("BiasAdd", "BiasAdd", [out, *operands], **layout)
        elif key in ("add", "addv2"):
            out = chain.add("Add", "AddV2", [out, *operands])
        elif key == "prelu":
            out = _prelu(chain, out, operands[0])
        elif key == "fusedbatchnorm":
            epsilon = _float_attr(fused, "epsilon", _DEFAULT_EPSILON)
            out = chain.add(
                "FusedBatchNorm",
                "FusedBatchNormV3",
                [out, *operands],
                U=chain.attr(type=_FLOAT),  # FusedBatchNormV3 keeps statistics in float
                epsilon=chain.attr(f=epsilon),
                is_training=chain.attr(b=False),
                **layout,
            )
        elif key == "leakyrelu":
            alpha = _float_attr(fused, "leakyrelu_alpha", _DEFAULT_LEAKYRELU_ALPHA)
            out = chain.add("LeakyRelu", "LeakyRelu", [out], alpha=chain.attr(f=alpha))
        elif key in _ACTIVATIONS:
            out = chain.add(_ACTIVATIONS[key], _ACTIVATIONS[key], [out])
        else:
            raise BadInputError(
                f"{where}: node {fused.name!r} ({fused.op}) fuses {op!r}, which hub-convert "
                f"cannot rebuild (known: BiasAdd, Add, FusedBatchNorm, Prelu, "
                f"{', '.join(_ACTIVATIONS.values())})"
            )
    if args:
        raise BadInputError(
            f"{where}: node {fused.name!r} ({fused.op}) has {len(args)} inputs that its "
            f"fused_ops {ops} do not use"
        )


def _unfuse_prelu(chain: _Chain, where: str) -> None:
    data = [i for i in chain.fused.input if not i.startswith("^")]
    if len(data) != 2:
        raise BadInputError(f"{where}: Prelu node {chain.fused.name!r} needs inputs x and alpha")
    _prelu(chain, data[0], data[1])


def _rewrite_refs(refs: MutableSequence[str], renamed: dict[str, str]) -> None:
    """Point function-body references ``node:arg:0`` of rewritten nodes at their new output."""
    for i, ref in enumerate(refs):
        if ref.startswith("^"):
            continue
        node = ref.split(":", 1)[0]
        if node in renamed:
            refs[i] = renamed[node]


def unfuse_nodes(nodes: MutableSequence[Any], in_function: bool, where: str) -> dict[str, str]:
    """Replace fused nodes in ``nodes`` (a GraphDef's or FunctionDef's repeated NodeDef).

    Returns, for function bodies, the new output reference of each rewritten node.
    """
    taken = {n.name for n in nodes}
    result: list[Any] = []
    renamed: dict[str, str] = {}
    changed = False
    for node in nodes:
        if node.op not in _CONTRACTIONS and node.op != "Prelu":
            result.append(node)
            continue
        changed = True
        chain = _Chain(node, taken, in_function)
        if node.op == "Prelu":
            _unfuse_prelu(chain, where)
        else:
            _unfuse_contraction(chain, where)
        renamed[node.name] = chain.finish()
        result.extend(chain.nodes)
    if changed:
        copies = [copy.deepcopy(n) for n in result]  # detach them before clearing the field
        del nodes[:]
        nodes.extend(copies)
        if in_function:
            for node in nodes:
                _rewrite_refs(node.input, renamed)
    return renamed


def unfuse_graph(graph_def: Any, where: str) -> None:
    """Rewrite every fused op of the graph and of its library functions, in place."""
    unfuse_nodes(graph_def.node, in_function=False, where=where)
    for function in graph_def.library.function:
        renamed = unfuse_nodes(function.node_def, in_function=True, where=where)
        for key, ref in list(function.ret.items()):
            node = ref.split(":", 1)[0]
            if node in renamed:
                function.ret[key] = renamed[node]
