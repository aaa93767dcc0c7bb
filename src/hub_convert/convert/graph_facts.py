"""What the converted signature's graph says about validation (worker only, imports TensorFlow).

Read from the signature function frozen and inlined, i.e. the graph the converters see:
- the op types reachable from the signature (the SavedModel's own save/restore functions are
  not: they are never converted);
- which outputs take their row order from TopK / NonMaxSuppression / Unique, so they can be
  compared order-insensitively as well, and for those the graph cut at the model's other
  outputs (rederive.py), so a converted file's decisions can be re-derived from its own values;
- which inputs are indices into an embedding or a gather (and how many rows it has), so the
  validation inputs can cover the vocabulary instead of repeating index 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .rederive import cut
from .specs import CutGraph

# Ops whose output order is decided by comparing values: near-ties swap on tiny differences.
ORDER_OPS = frozenset(
    {
        "TopK",
        "TopKV2",
        "NonMaxSuppression",
        "NonMaxSuppressionV2",
        "NonMaxSuppressionV3",
        "NonMaxSuppressionV4",
        "NonMaxSuppressionV5",
        "NonMaxSuppressionWithOverlaps",
        "CombinedNonMaxSuppression",
        "Unique",
        "UniqueV2",
        "UniqueWithCounts",
        "UniqueWithCountsV2",
    }
)
# Ops an index passes through unchanged in meaning on its way to a gather.
_INDEX_PRESERVING = frozenset(
    {
        "Cast",
        "Identity",
        "Reshape",
        "ExpandDims",
        "Squeeze",
        "StridedSlice",
        "Slice",
        "Transpose",
        "Floor",
        "Round",
    }
)
_GATHERS = frozenset({"GatherV2", "Gather", "ResourceGather", "GatherNd"})


@dataclass
class GraphFacts:
    """What the signature's graph says, read once while the model is loaded."""

    op_counts: dict[str, int]
    order_depends_on: dict[str, str] = field(default_factory=dict)
    index_limits: dict[str, int] = field(default_factory=dict)  # input -> number of rows
    index_notes: dict[str, str] = field(default_factory=dict)  # input -> why
    cut_graphs: dict[str, CutGraph] = field(default_factory=dict)  # order-dependent outputs


# Freezing copies every weight several times over (TensorFlow 2.21: 9 GiB at the peak for
# 1 GiB of weights); above this many bytes of variables the facts are read from the signature's
# own graph, where weights are variable reads instead of constants: the same ops otherwise.
FREEZE_LIMIT = 256 << 20


def variable_bytes(function: Any) -> int:
    """Bytes of the variables the signature ``function`` captures: the weights it freezes."""
    total = 0
    for variable in getattr(function, "variables", ()):
        elements = variable.shape.num_elements()
        total += (elements or 0) * variable.dtype.size
    return total


def read_graph_facts(function: Any, input_names: list[str]) -> GraphFacts | None:
    """Facts about the signature ``function``; None when it cannot be frozen (then the caller
    falls back to the MetaGraph's op inventory)."""
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    if variable_bytes(function) > FREEZE_LIMIT:
        frozen = function
    else:
        try:
            frozen = convert_variables_to_constants_v2(function, lower_control_flow=False)
        except Exception:  # resources that cannot be frozen (tables...): no facts, no error
            return None
    graph = frozen.graph
    graph_def = graph.as_graph_def()
    functions = {f.signature.name: f for f in graph_def.library.function}
    counts: Counter[str] = Counter(node.op for node in graph_def.node)
    for function_def in functions.values():
        counts.update(node.op for node in function_def.node_def)
    facts = GraphFacts(op_counts=dict(sorted(counts.items())))
    # The frozen function's outputs follow the signature's structure flattened (dict keys
    # sorted), as its inputs follow the signature's input names.
    structure = function.structured_outputs
    order_ops = _order_ops_per_function(functions)
    names = sorted(structure) if isinstance(structure, dict) else ["output_0"]
    for name, tensor in zip(names, frozen.outputs, strict=False):
        found = _order_op_upstream(tensor.op, order_ops)
        if found:
            facts.order_depends_on[name] = found
    if facts.order_depends_on and frozen is not function:
        try:
            facts.cut_graphs = cut(
                frozen, graph_def, names, input_names, facts.order_depends_on, ORDER_OPS
            )
        except Exception:  # a graph the cut cannot handle: compared without re-derivation
            facts.cut_graphs = {}
    placeholders = [t for t in frozen.inputs if t.op.type == "Placeholder"]
    for name, tensor in zip(input_names, placeholders, strict=False):
        limit = _gather_rows_downstream(tensor)
        if limit is not None:
            facts.index_limits[name] = limit[0]
            facts.index_notes[name] = limit[1]
    return facts


def _function_ops(name: str, functions: dict[str, Any], seen: set[str]) -> set[str]:
    """Op types in a library function and the functions it calls."""
    if name in seen or name not in functions:
        return set()
    seen.add(name)
    ops = set()
    for node in functions[name].node_def:
        ops.add(node.op)
        for value in node.attr.values():
            if value.HasField("func"):
                ops |= _function_ops(value.func.name, functions, seen)
    return ops


def _order_ops_per_function(functions: dict[str, Any]) -> Callable[[str], set[str]]:
    """The order-deciding op types a function runs (its callees included), computed once per
    function however many outputs and call sites ask."""
    cache: dict[str, set[str]] = {}

    def order_ops(name: str) -> set[str]:
        if name not in cache:
            cache[name] = _function_ops(name, functions, set()) & ORDER_OPS
        return cache[name]

    return order_ops


def _order_op_upstream(op: Any, order_ops: Callable[[str], set[str]]) -> str | None:
    """The first order-deciding op found walking back from ``op``: "TopKV2 (node name)"."""
    seen: set[str] = set()
    stack = [op]
    while stack:
        current = stack.pop()
        if current.name in seen:
            continue
        seen.add(current.name)
        if current.type in ORDER_OPS:
            return f"{current.type} (node {current.name})"
        for value in current.node_def.attr.values():
            if value.HasField("func"):
                inside = order_ops(value.func.name)
                if inside:
                    return f"{sorted(inside)[0]} (inside {current.type} node {current.name})"
        stack.extend(t.op for t in current.inputs)
        stack.extend(current.control_inputs)
    return None


def _gather_rows_downstream(tensor: Any) -> tuple[int, str] | None:
    """(rows, note) when ``tensor`` reaches a gather's indices or a one-hot's indices."""
    seen: set[str] = set()
    frontier = [tensor]
    while frontier:
        current = frontier.pop()
        for consumer in current.consumers():
            if consumer.name in seen:
                continue
            seen.add(consumer.name)
            position = next(i for i, t in enumerate(consumer.inputs) if t is current)
            if consumer.type in _GATHERS and position == 1:
                rows = _leading_dim(consumer.inputs[0])
                if rows:
                    return rows, f"indexes {consumer.type} node {consumer.name} ({rows} rows)"
            elif consumer.type == "OneHot" and position == 0:
                depth = _constant_int(consumer.inputs[1])
                if depth:
                    return depth, f"indexes OneHot node {consumer.name} (depth {depth})"
            elif consumer.type in _INDEX_PRESERVING and position == 0:
                frontier.extend(consumer.outputs)
    return None


def _leading_dim(tensor: Any) -> int | None:
    shape = tensor.shape
    if shape.rank and shape[0] is not None and int(shape[0]) > 0:
        return int(shape[0])
    return None


def _constant_int(tensor: Any) -> int | None:
    if tensor.op.type != "Const":
        return None
    from tensorflow.python.framework import tensor_util

    value = tensor_util.MakeNdarray(tensor.op.get_attr("value"))
    return int(value) if value.size == 1 and int(value) > 0 else None
