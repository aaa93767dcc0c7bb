"""Find unsafe ops (unsafe_ops.py) in a TensorFlow graph before anything runs it. No TensorFlow.

A graph is the top-level GraphDef and every function of its library: the scan looks at every
node of each, called or not. Two kinds of nodes are not findings:

- **The SavedModel's own saver.** ``tf.saved_model.save`` writes a ``saver_def`` naming a save
  node and a restore node (TF2: calls of ``__inference__traced_save_*`` /
  ``__inference__traced_restore_*``; TF1: the ``save/`` subgraph). TF2's
  ``tf.saved_model.load`` never calls them (it builds its own RestoreV2 ops); TF1 loaders run
  the restore node with the variables path fed to the filename tensor. A checkpoint op is the
  saver's only when nothing but the saver reaches it: restore ops only from the restore node,
  reading the filename tensor (or the saver function's own argument); save ops only from the
  save node, never from the restore node. Anything else the saver reaches is a finding, so an
  op cannot hide there — nor can a saver op be called from a signature, an initializer or any
  function the loader may call.
- **Vocabulary files among the model's own assets**: a table initializer whose file name is,
  provably, an asset of the SavedModel (inside its ``assets/`` directory): own_assets.py.

Readers turn a MetaGraph (convert/saved_model_scan.py, in a worker) or a TF.js
``modelTopology`` (``json_graph`` below, in the main process) into a ``Graph``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..report.source_info import UnsafeOp
from .graph_model import TOP, Graph, GraphFunction, GraphNode, Saver, node_name
from .own_assets import asset_arguments, reads_own_asset
from .unsafe_ops import ASSET_READERS, CONDITION_ATTRS, SAVER_RESTORE_OPS, SAVER_SAVE_OPS, op_effect

__all__ = [
    "Graph",
    "GraphFunction",
    "GraphNode",
    "Saver",
    "json_field",
    "json_graph",
    "node_name",
    "scan_graph",
]

Item = tuple[Literal["node", "function"], str, str]  # (kind, unit, name)


class _Reach:
    """Which nodes and functions can run when given nodes run (calls and inputs followed).

    A called function counts as running all of its nodes.
    """

    def __init__(self, graph: Graph) -> None:
        self.units: dict[str, dict[str, GraphNode]] = {TOP: {n.name: n for n in graph.nodes}}
        for function in graph.functions:
            self.units[function.name] = {n.name: n for n in function.nodes}

    def closure(self, start: Iterable[Item]) -> set[Item]:
        seen: set[Item] = set()
        todo = [item for item in start if self._exists(item)]
        while todo:
            item = todo.pop()
            if item in seen:
                continue
            seen.add(item)
            todo.extend(i for i in self._next(item) if i not in seen)
        return seen

    def _exists(self, item: Item) -> bool:
        kind, unit, name = item
        if kind == "function":
            return name in self.units and name != TOP
        return name in self.units.get(unit, {})

    def _next(self, item: Item) -> Iterator[Item]:
        kind, unit, name = item
        if kind == "function":
            yield from (("node", name, n) for n in self.units[name])
            return
        node = self.units[unit][name]
        for ref in node.inputs:
            if node_name(ref) in self.units[unit]:
                yield ("node", unit, node_name(ref))
        for callee in (*node.calls, node.op):
            if callee in self.units and callee != TOP:
                yield ("function", TOP, callee)


@dataclass(frozen=True)
class _SaverParts:
    save: set[Item]
    restore: set[Item]
    other: set[Item]  # everything reachable from anything but the saver
    filename: str
    args: Mapping[str, tuple[str, ...]]

    def owns(self, unit: str, node: GraphNode) -> bool:
        item: Item = ("node", unit, node.name)
        if item in self.other:
            return False
        if node.op in SAVER_RESTORE_OPS:
            prefix = node_name(node.inputs[0]) if node.inputs else ""
            reads_filename = prefix == self.filename if unit == TOP else prefix in self.args[unit]
            return item in self.restore and reads_filename
        return node.op in SAVER_SAVE_OPS and item in self.save and item not in self.restore


def _saver_parts(graph: Graph) -> _SaverParts | None:
    saver = graph.saver
    if saver is None:
        return None
    reach = _Reach(graph)
    save = reach.closure([("node", TOP, saver.save)])
    restore = reach.closure([("node", TOP, saver.restore)])
    saver_items = save | restore
    roots: list[Item] = [("node", TOP, n.name) for n in graph.nodes]
    roots += [("function", TOP, f.name) for f in graph.functions]
    others = [item for item in roots if item not in saver_items]
    others += [("node", TOP, name) for name in graph.named_nodes]
    others += [("function", TOP, name) for name in graph.entry_functions]
    return _SaverParts(
        save=save,
        restore=restore,
        other=reach.closure(others),
        filename=saver.filename,
        args={f.name: f.args for f in graph.functions},
    )


def _live(graph: Graph) -> set[Item] | None:
    """What a SavedModel loader can run: everything reachable from the nodes it runs by name
    (signature tensors, init ops, table initializers, collections), the saver's restore op and
    the functions the object graph lets it call. None (everything counts) for a graph that
    names no node, such as a TF.js graph. A TF1 export that adds a second MetaGraph keeps the
    first one's ``save/`` saver in its graph, dead: nothing runs it, so it is no finding."""
    if not graph.named_nodes:
        return None
    roots: list[Item] = [("node", TOP, name) for name in graph.named_nodes]
    roots += [("function", TOP, name) for name in graph.entry_functions]
    if graph.saver is not None:
        roots.append(("node", TOP, graph.saver.restore))
    return _Reach(graph).closure(roots)


def scan_graph(graph: Graph, found_in: Literal["saved_model", "tfjs"]) -> list[UnsafeOp]:
    """Every unsafe op in the top graph and in every function of the library that can run."""
    saver = _saver_parts(graph)
    live = _live(graph) if found_in == "saved_model" else None
    units = [(TOP, graph.nodes), *((f.name, f.nodes) for f in graph.functions)]
    own_assets = asset_arguments(graph)
    findings = []
    for unit, nodes in units:
        by_name = {n.name: n for n in nodes}
        if live is not None and unit != TOP and ("function", TOP, unit) not in live:
            continue  # a library function that nothing a loader runs can call
        for node in nodes:
            effect = op_effect(node.op, node.strings)
            if effect is None:
                continue
            if live is not None and unit == TOP and ("node", TOP, node.name) not in live:
                continue
            if saver is not None and saver.owns(unit, node):
                continue
            if node.op in ASSET_READERS and reads_own_asset(unit, node, by_name, graph, own_assets):
                continue
            findings.append(
                UnsafeOp(
                    op=node.op,
                    node=node.name,
                    function=unit or None,
                    effect=effect,
                    found_in=found_in,
                )
            )
    return findings


# --- proto3 JSON GraphDefs (TF.js modelTopology) ------------------------------------------


def json_field(mapping: Any, *keys: str) -> Any:
    """The first of ``keys`` present (proto3 JSON writes camelCase, accepts snake_case)."""
    if isinstance(mapping, dict):
        for key in keys:
            if key in mapping:
                return mapping[key]
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _json_string(value: Any) -> str:
    """A JSON ``bytes`` field (base64) as text; the raw text if it is not base64."""
    if not isinstance(value, str):
        return str(value)
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return value


def _json_calls(value: Any) -> Iterator[str]:
    """Function names in a JSON AttrValue: ``func`` and ``list.func``, nested attrs too."""
    funcs = [json_field(value, "func"), *_list(json_field(json_field(value, "list"), "func"))]
    for func in funcs:
        if isinstance(func, dict):
            if isinstance(func.get("name"), str):
                yield func["name"]
            for nested in (func.get("attr") or {}).values():
                yield from _json_calls(nested)


def _json_node(node: Any) -> GraphNode | None:
    if not isinstance(node, dict) or not isinstance(node.get("op"), str):
        return None
    raw_attrs = node.get("attr")
    attrs: dict[str, Any] = raw_attrs if isinstance(raw_attrs, dict) else {}
    strings: dict[str, tuple[str, ...]] = {}
    for name in CONDITION_ATTRS & set(attrs):
        value = attrs[name]
        single = json_field(value, "s")
        many = _list(json_field(json_field(value, "list"), "s"))
        strings[name] = tuple(_json_string(s) for s in ([single] if single else many))
    raw_inputs = node.get("input")
    inputs: list[Any] = raw_inputs if isinstance(raw_inputs, list) else []
    return GraphNode(
        name=str(node.get("name", "")),
        op=node["op"],
        inputs=tuple(str(i) for i in inputs),
        calls=tuple(c for value in attrs.values() for c in _json_calls(value)),
        strings=strings,
    )


def json_graph(topology: Any) -> Graph:
    """A proto3-JSON GraphDef (a TF.js graph model's ``modelTopology``) as a Graph."""
    nodes = [_json_node(n) for n in _list(json_field(topology, "node"))]
    functions = []
    for index, function in enumerate(
        _list(json_field(json_field(topology, "library"), "function"))
    ):
        signature = json_field(function, "signature")
        name = json_field(signature, "name")
        if not isinstance(name, str) or not name:
            name = f"(function #{index} without a name)"  # scanned all the same
        args = [
            json_field(a, "name") for a in _list(json_field(signature, "inputArg", "input_arg"))
        ]
        body = [_json_node(n) for n in _list(json_field(function, "nodeDef", "node_def"))]
        functions.append(
            GraphFunction(
                name=name,
                args=tuple(str(a) for a in args if a is not None),
                nodes=tuple(n for n in body if n is not None),
            )
        )
    return Graph(nodes=tuple(n for n in nodes if n is not None), functions=tuple(functions))
