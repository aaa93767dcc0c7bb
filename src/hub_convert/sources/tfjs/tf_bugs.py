"""Rewrite patterns of the rebuilt graph that crash TensorFlow itself (worker only).

``Pad`` as the addend of a residual ``Add`` (BlazeFace's channel-padding shortcut:
``AddV2(BiasAdd(Conv2D(x, w), b), Pad(y))``): TensorFlow 2.21's Grappler remapper with
oneDNN fuses Conv2D + BiasAdd + Add into one kernel and the process dies with SIGSEGV when
the addend comes from a ``Pad`` (measured: the same block written in plain ``tf.function``
code crashes too; with ``PadV2`` or with ``remapping`` off it runs). TF.js kept the
convolution fused (``_FusedConv2D``), so the rebuild's unfused Conv2D + BiasAdd is what
Grappler re-fuses.

The rewrite: such a ``Pad`` (feeding the Add directly or through Identity nodes, which
Grappler removes first: that crashes too) becomes ``PadV2`` with a zero
``constant_values``: the same computation (``Pad`` pads with zeros), which TFLite (PADV2)
and tf2onnx both convert, and which the remapper leaves alone. A ``Pad`` feeding a
convolution's input keeps its op: that Pad + Conv2D fusion is sound and worth keeping.
"""

from __future__ import annotations

from collections.abc import MutableSequence
from typing import Any

_ADDS = {"Add", "AddV2"}


def _node_of(ref: str) -> str:
    return ref.lstrip("^").split(":", 1)[0]


def _pads_feeding_adds(nodes: MutableSequence[Any]) -> set[str]:
    """Pads whose output reaches an Add directly or through Identity nodes (which Grappler
    removes before it fuses)."""
    by_name = {n.name: n for n in nodes}
    found = set()
    for add in (n for n in nodes if n.op in _ADDS):
        for ref in add.input:
            name = _node_of(ref)
            while not ref.startswith("^") and name in by_name and by_name[name].op == "Identity":
                ref = by_name[name].input[0] if by_name[name].input else "^"
                name = _node_of(ref)
            if not ref.startswith("^") and name in by_name and by_name[name].op == "Pad":
                found.add(name)
    return found


def rewrite_pad_addends(nodes: MutableSequence[Any], in_function: bool) -> list[str]:
    """Turn each ``Pad`` feeding an ``Add``/``AddV2`` of ``nodes`` (a GraphDef's or a
    FunctionDef's NodeDefs) into ``PadV2`` with zero padding value; return their names.

    In a graph the zero is a Const with a control input from the Pad's data input, so that
    it sits in the same TF1 while-loop frame as the Pad (a frame's nodes may only use its
    own tensors); function bodies have no frames.
    """
    import numpy as np
    import tensorflow as tf

    taken = {n.name for n in nodes}
    pads = _pads_feeding_adds(nodes)
    rewritten = []
    for node in list(nodes):
        if node.name not in pads or len(node.input) < 2:
            continue
        dtype = tf.dtypes.as_dtype(node.attr["T"].type)
        name, suffix = f"{node.name}/constant_values", 1
        while name in taken:
            name, suffix = f"{node.name}/constant_values_{suffix}", suffix + 1
        taken.add(name)
        zero = tf.compat.v1.NodeDef(name=name, op="Const")
        if not in_function:
            zero.input.append(f"^{_node_of(node.input[0])}")
        zero.attr["dtype"].type = dtype.as_datatype_enum
        zero.attr["value"].tensor.CopyFrom(
            tf.make_tensor_proto(np.zeros((), dtype.as_numpy_dtype), dtype=dtype)
        )
        nodes.append(zero)
        node.op = "PadV2"
        data = [i for i in node.input if not i.startswith("^")]
        controls = [i for i in node.input if i.startswith("^")]
        del node.input[:]
        # A function body refers to a Const's output as "name:output:0".
        node.input.extend([*data[:2], f"{name}:output:0" if in_function else name, *controls])
        for key in [k for k in node.attr if k.startswith("_")]:
            del node.attr[key]  # e.g. "_cloned": bookkeeping of the Pad it no longer is
        rewritten.append(node.name)
    return rewritten


def rewrite_graph(graph_def: Any) -> list[str]:
    """Apply every rewrite to the graph and its library functions; return what changed."""
    changed = rewrite_pad_addends(graph_def.node, in_function=False)
    for function in graph_def.library.function:
        changed += rewrite_pad_addends(function.node_def, in_function=True)
    return changed
