"""Which file names in a graph are, provably, the SavedModel's own assets. No TensorFlow.

A table filled from ``assets/vocab.txt`` reads a file, but one the model carries: that is the
model's own business, not a way out of it. A file name counts as the model's own only when it
is an asset path all the way: a top-level asset tensor (TF1), a function argument the
SavedModel binds to an asset (TF2), or an argument a plain function call passes one of those
to, through Identity nodes only. TF2 SavedModels also keep a TF1 graph that holds each asset
path in a variable assigned from the asset tensor: that variable counts when nothing else
writes it. Anything computed from a path (a join, a substring, a condition) is not, nor are
loop variables (a loop body may change them between iterations).
"""

from __future__ import annotations

from collections.abc import Mapping

from .graph_model import TOP, Graph, GraphNode, node_name

# Calls whose data inputs are the callee's arguments one for one. If / Case take a condition
# first and While feeds back its body's outputs, so they do not pass a path through unchanged.
_PLAIN_CALLS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})
_IDENTITY_HOPS = 16  # TF1 graphs sometimes put a few Identity nodes in between
_VARIABLE_OPS = frozenset({"VarHandleOp", "VariableV2", "Variable", "_VarHandlesOp"})
_VARIABLE_READERS = frozenset({"ReadVariableOp", "VarIsInitializedOp"})


def _source(ref: str, nodes: Mapping[str, GraphNode], variables: Mapping[str, str]) -> str:
    """The node (or argument) a reference names, through Identity nodes; for a read of an
    asset variable (top level only), the asset tensor it holds."""
    name = node_name(ref)
    for _ in range(_IDENTITY_HOPS):
        node = nodes.get(name)
        if node is not None and node.op == "ReadVariableOp" and node.inputs:
            return variables.get(node_name(node.inputs[0]), name)
        if node is None or node.op != "Identity" or not node.inputs:
            break
        name = node_name(node.inputs[0])
    return name


def _asset_variables(graph: Graph) -> dict[str, str]:
    """Top-level variables that only ever hold an asset path: variable -> the asset tensor.

    Such a variable is read, checked for initialization and assigned once from an asset
    tensor, and no other variable op anywhere shares its name (a function could reach it so).
    """
    top = {n.name: n for n in graph.nodes}
    handles = [n for n in graph.nodes if n.op == "VarHandleOp"]
    everywhere = [*graph.nodes, *(n for f in graph.functions for n in f.nodes)]
    names = [_variable_name(n) for n in everywhere if n.op in _VARIABLE_OPS]
    result = {}
    for handle in handles:
        if names.count(_variable_name(handle)) != 1:
            continue
        users = [n for n in everywhere if handle.name in {node_name(i) for i in n.inputs}]
        assigned = [
            _source(u.inputs[1], top, {})
            for u in users
            if u.op == "AssignVariableOp" and len(u.inputs) > 1
        ]
        readers_only = all(u.op in _VARIABLE_READERS or u.op == "AssignVariableOp" for u in users)
        if readers_only and len(assigned) == 1 and assigned[0] in graph.asset_nodes:
            result[handle.name] = assigned[0]
    return result


def _variable_name(node: GraphNode) -> str:
    shared = node.strings.get("shared_name", ())
    return shared[0] if shared and shared[0] else node.name


def _callee(node: GraphNode, functions: Mapping[str, tuple[str, ...]]) -> str | None:
    """The function a plain call node calls: ``*PartitionedCall`` or a function-named op."""
    if node.op in functions:
        return node.op
    if node.op in _PLAIN_CALLS and len(node.calls) == 1 and node.calls[0] in functions:
        return node.calls[0]
    return None


def _call_sites(graph: Graph) -> tuple[dict[str, list[tuple[str, GraphNode]]], set[str]]:
    """Per function, its plain call sites (unit, node); and the functions anything else names
    (If / While branches, dataset functions, ...), whose arguments may receive any value."""
    args = {f.name: f.args for f in graph.functions}
    sites: dict[str, list[tuple[str, GraphNode]]] = {name: [] for name in args}
    other: set[str] = set()
    for unit, nodes in [(TOP, graph.nodes), *((f.name, f.nodes) for f in graph.functions)]:
        for node in nodes:
            callee = _callee(node, args)
            if callee is not None:
                sites[callee].append((unit, node))
            other.update(c for c in node.calls if c in args and c != callee)
    return sites, other


def asset_arguments(graph: Graph) -> dict[str, frozenset[str]]:
    """Per function, the arguments that always receive one of the model's own asset paths.

    An argument counts when the SavedModel binds it to an asset or some plain call passes it
    one, and every way the function can be called passes an asset there: each plain call site
    (nested calls followed), the loader (an entry function's unbound arguments are the
    caller's), and no other op names the function.
    """
    args = {f.name: f.args for f in graph.functions}
    bodies = {f.name: {n.name: n for n in f.nodes} for f in graph.functions}
    bodies[TOP] = {n.name: n for n in graph.nodes}
    sites, other = _call_sites(graph)
    variables = _asset_variables(graph)
    bound = {name: set(names) for name, names in graph.asset_args.items() if name in args}
    candidates = {
        name: set(args[name]) if sites[name] else set(bound.get(name, ()))
        for name in args
        if name not in other
    }
    for name in candidates:
        if name in graph.entry_functions:
            candidates[name] &= bound.get(name, set())

    def is_asset(unit: str, ref: str) -> bool:
        source = _source(ref, bodies[unit], variables if unit == TOP else {})
        if unit == TOP:
            return source in graph.asset_nodes
        return source in candidates.get(unit, set())

    shrank = True
    while shrank:  # a greatest fixpoint: drop every argument some call feeds otherwise
        shrank = False
        for name, kept in candidates.items():
            for unit, node in sites[name]:
                data = [ref for ref in node.inputs if not ref.startswith("^")]
                if len(data) != len(args[name]):
                    dropped = set(kept)
                else:
                    dropped = {
                        arg
                        for ref, arg in zip(data, args[name], strict=True)
                        if arg in kept and not is_asset(unit, ref)
                    }
                if dropped:
                    kept -= dropped
                    shrank = True
    return {name: frozenset(kept) for name, kept in candidates.items() if kept}


def reads_own_asset(
    unit: str,
    node: GraphNode,
    nodes: Mapping[str, GraphNode],
    graph: Graph,
    asset_args: Mapping[str, frozenset[str]],
) -> bool:
    """A table initializer whose file name input (its second) is one of the model's assets."""
    if len(node.inputs) < 2:
        return False
    if unit == TOP:
        return _source(node.inputs[1], nodes, _asset_variables(graph)) in graph.asset_nodes
    source = _source(node.inputs[1], nodes, {})
    return source in asset_args.get(unit, frozenset())
