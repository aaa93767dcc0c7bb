"""Re-derive an order-dependent output from a converted file's own continuous outputs.

A detection head ends in decisions: TopK keeps the k best scores, ``x == MaxPool(x)`` keeps
local peaks, NMS keeps boxes. On the random validation inputs many candidates are nearly tied,
so a last-bit difference in the heatmap, well within tolerance, flips some decisions and the
detections differ in whole rows. Matching rows (order.py) explains a swap, not a candidate
that entered or left at the k-th place or a peak that moved.

When the model also outputs the continuous tensors the decisions are made on (CenterNet
returns its heatmap and box sizes beside its detections), the question can be answered
exactly: cut the original's graph at those tensors, and run the original's own
post-processing on the converted file's values of them. If that reproduces the converted
file's detections, the file computes the same function, and the whole difference comes from
the continuous outputs, which are judged against their own tolerance. If it does not, the
difference stays a difference.

``cut`` runs in prepare (from the frozen signature graph) and checks itself: the cut graph fed
the original's own values must give the original's output. ``run`` runs in validation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .specs import CutGraph

# The post-processing is small; a cut graph larger than this holds the model's own weights,
# i.e. the continuous outputs do not separate it from the inputs.
MAX_CUT_GRAPH_BYTES = 8 << 20
_CUT_PREFIX = "hub_convert_cut"


def _source(tensor: Any) -> Any:
    """The tensor an output returns, through the Identity ops a signature adds."""
    while tensor.op.type == "Identity" and tensor.op.inputs:
        tensor = tensor.op.inputs[0]
    return tensor


def cut(
    frozen: Any,
    graph_def: Any,
    output_names: Sequence[str],
    input_names: Sequence[str],
    order_outputs: Mapping[str, str],
    decision_ops: frozenset[str],
) -> dict[str, CutGraph]:
    """For each order-dependent output: the original's graph from the other outputs (and the
    model's inputs) to it, when those outputs separate it from the decisions it depends on.

    ``frozen`` is the signature's function with variables frozen and calls inlined,
    ``graph_def`` its graph's GraphDef; ``output_names`` its outputs in ``frozen.outputs``
    order, ``input_names`` its placeholders'.
    """
    nodes = {node.name: node for node in graph_def.node}
    outputs = dict(zip(output_names, frozen.outputs, strict=False))
    placeholders = [t for t in frozen.inputs if t.op.type == "Placeholder"]
    inputs = {t.name: name for name, t in zip(input_names, placeholders, strict=False)}
    result = {}
    for name in order_outputs:
        if name not in outputs:
            continue
        boundary = {
            _source(tensor).name: other
            for other, tensor in outputs.items()
            if other not in order_outputs and _source(tensor).name != _source(outputs[name]).name
        }
        found = _cut_one(
            frozen.graph, nodes, graph_def, outputs[name], boundary, inputs, decision_ops
        )
        if found is not None:
            result[name] = found
    return result


def _split(reference: str) -> tuple[str, int]:
    """A NodeDef input ("node", "node:1") → (node, output index)."""
    node, _, index = reference.partition(":")
    return node, int(index) if index else 0


def _cut_one(
    graph: Any,
    nodes: dict[str, Any],
    graph_def: Any,
    output: Any,
    boundary: dict[str, str],
    inputs: dict[str, str],
    decision_ops: frozenset[str],
) -> CutGraph | None:
    from tensorflow.core.framework import graph_pb2, node_def_pb2

    kept: dict[str, Any] = {}
    crossed: dict[str, str] = {}  # boundary tensor name -> output name
    stack = [output.op.name]
    while stack:
        node_name = stack.pop()
        if node_name in kept or node_name not in nodes:
            continue
        node = nodes[node_name]
        kept[node_name] = node
        for reference in node.input:
            if reference.startswith("^"):
                stack.append(reference[1:])
                continue
            source, index = _split(reference)
            tensor = f"{source}:{index}"
            if tensor in boundary:
                crossed[tensor] = boundary[tensor]
            else:
                stack.append(source)
    decided = sorted(n.name for n in kept.values() if n.op in decision_ops)
    if not crossed or not decided:
        return None
    cut_def = graph_pb2.GraphDef()
    cut_def.versions.CopyFrom(graph_def.versions)
    if any(v.HasField("func") for n in kept.values() for v in n.attr.values()):
        cut_def.library.CopyFrom(graph_def.library)
    placeholder_of = {tensor: f"{_CUT_PREFIX}_{i}" for i, tensor in enumerate(sorted(crossed))}
    for tensor, placeholder in placeholder_of.items():
        node = node_def_pb2.NodeDef(name=placeholder, op="Placeholder")
        node.attr["dtype"].type = graph.get_tensor_by_name(tensor).dtype.as_datatype_enum
        cut_def.node.append(node)
    for node in kept.values():
        copy = cut_def.node.add()
        copy.CopyFrom(node)
        del copy.input[:]
        for reference in node.input:
            if reference.startswith("^"):
                copy.input.append(reference)
                continue
            source, index = _split(reference)
            copy.input.append(placeholder_of.get(f"{source}:{index}", reference))
    serialized = cut_def.SerializeToString()
    if len(serialized) > MAX_CUT_GRAPH_BYTES:
        return None
    input_feeds = tuple(
        (f"{node}:0", inputs[f"{node}:0"])
        for node in sorted(kept)
        if kept[node].op == "Placeholder" and f"{node}:0" in inputs
    )
    if any(n.op == "Placeholder" and f"{name}:0" not in inputs for name, n in kept.items()):
        return None  # a placeholder we cannot feed
    first = nodes[decided[0]]
    return CutGraph(
        graph_def=serialized,
        fetch=output.name,
        output_feeds=tuple((f"{placeholder_of[t]}:0", crossed[t]) for t in sorted(crossed)),
        input_feeds=input_feeds,
        decided_by=f"{first.op} (node {first.name})",
    )


def run(
    graph: CutGraph,
    inputs: Sequence[Mapping[str, np.ndarray]],
    outputs: Sequence[Mapping[str, np.ndarray]],
) -> list[np.ndarray]:
    """The cut graph's output for each sample, fed the model's ``inputs`` and the continuous
    ``outputs`` (the original's or a converted file's)."""
    import tensorflow as tf

    graph_def = tf.compat.v1.GraphDef.FromString(graph.graph_def)
    tf_graph = tf.Graph()
    with tf_graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    feeds = [
        *((tf_graph.get_tensor_by_name(t), "output", n) for t, n in graph.output_feeds),
        *((tf_graph.get_tensor_by_name(t), "input", n) for t, n in graph.input_feeds),
    ]
    results = []
    with tf.compat.v1.Session(graph=tf_graph) as session:
        fetch = tf_graph.get_tensor_by_name(graph.fetch)
        for sample_in, sample_out in zip(inputs, outputs, strict=True):
            feed_dict = {
                tensor: np.asarray(
                    (sample_out if kind == "output" else sample_in)[name],
                    dtype=tensor.dtype.as_numpy_dtype,
                )
                for tensor, kind, name in feeds
            }
            results.append(np.asarray(session.run(fetch, feed_dict)))
    return results


def reproducing(
    graphs: Mapping[str, CutGraph],
    inputs: Sequence[Mapping[str, np.ndarray]],
    reference: Sequence[Mapping[str, Any]],
) -> dict[str, CutGraph]:
    """The cut graphs that, fed the original's own inputs and continuous outputs, give the
    original's own output: only a cut that reproduces the original may judge a converted file."""
    kept = {}
    for name, graph in graphs.items():
        try:
            own = run(graph, inputs, reference)
        except Exception:  # the cut does not run on its own: no re-derivation for this output
            continue
        expected = [np.asarray(sample[name]) for sample in reference]
        if all(
            a.shape == b.shape and np.allclose(a, b, rtol=1e-6, atol=0.0, equal_nan=True)
            for a, b in zip(own, expected, strict=True)
        ):
            kept[name] = graph
    return kept
