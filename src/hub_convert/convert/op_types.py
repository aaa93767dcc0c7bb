"""The op types a converter has to handle: counted in a GraphDef, or along a signature's calls."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any


def graph_op_counts(graph_def: Any) -> Counter[str]:
    """Op types in a GraphDef's top graph and in every function of its library."""
    counts: Counter[str] = Counter(node.op for node in graph_def.node)
    for function in graph_def.library.function:
        counts.update(node.op for node in function.node_def)
    return counts


# Structural ops that every graph has; listing them as "converted" would say nothing.
INFRASTRUCTURE_OPS = frozenset(
    {
        "Placeholder",
        "Const",
        "Identity",
        "IdentityN",
        "NoOp",
        "PartitionedCall",
        "StatefulPartitionedCall",
        "ReadVariableOp",
        "VarHandleOp",
        "_Arg",
        "_Retval",
    }
)


def converted_op_types(graph_def: Any) -> list[str]:
    """The op types a converter has to handle in ``graph_def``, structural ops left out."""
    return converted_op_types_of(graph_op_counts(graph_def))


def converted_op_types_of(op_counts: Mapping[str, int]) -> list[str]:
    """The op types among ``op_counts`` a converter has to handle."""
    return sorted(set(op_counts) - INFRASTRUCTURE_OPS)


def count_ops(meta_graph: Any, signature: str) -> dict[str, int]:
    """Op types the ``signature`` of a MetaGraph reaches, through the functions it calls
    (Keras 3 hides its ops there): what a converter sees when the signature cannot be frozen.
    The saver's SaveV2 / RestoreV2 and other functions nothing calls are not counted."""
    graph_def = meta_graph.graph_def
    nodes = {node.name: node for node in graph_def.node}
    functions = {function.signature.name: function for function in graph_def.library.function}
    outputs = meta_graph.signature_def[signature].outputs.values()
    stack = [info.name.lstrip("^").split(":")[0] for info in outputs if info.name]
    seen_nodes: set[str] = set()
    seen_functions: set[str] = set()
    counts: Counter[str] = Counter()

    def called(node: Any) -> list[str]:
        names = []
        for value in node.attr.values():
            if value.HasField("func"):
                names.append(value.func.name)
            names += [f.name for f in value.list.func]
        return names

    def visit_function(name: str) -> None:
        pending = [name]
        while pending:
            current = pending.pop()
            if current in seen_functions or current not in functions:
                continue
            seen_functions.add(current)
            for node in functions[current].node_def:
                counts[node.op] += 1
                pending += called(node)

    while stack:
        name = stack.pop()
        if name in seen_nodes or name not in nodes:
            continue
        seen_nodes.add(name)
        node = nodes[name]
        counts[node.op] += 1
        for function in called(node):
            visit_function(function)
        stack += [reference.lstrip("^").split(":")[0] for reference in node.input]
    return dict(sorted(counts.items()))
