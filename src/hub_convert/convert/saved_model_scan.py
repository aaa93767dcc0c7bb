"""Read a SavedModel's protobuf and scan every MetaGraph for unsafe ops (graph_scan.py).

Runs in a worker (the protobuf classes come with TensorFlow) and only parses
``saved_model.pb``: nothing of the model is loaded or run, so it is safe to call on any
SavedModel before ``tf.saved_model.load``.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from ..report.source_info import UnsafeOp
from ..safety.graph_scan import Graph, GraphFunction, GraphNode, Saver, node_name, scan_graph
from ..safety.unsafe_ops import CONDITION_ATTRS
from .signature import read_meta_graphs


def _calls(value: Any) -> list[str]:
    """Function names in an AttrValue: ``func``, ``list.func``, and their nested attrs."""
    funcs = ([value.func] if value.HasField("func") else []) + list(value.list.func)
    names = []
    for func in funcs:
        names.append(func.name)
        for nested in func.attr.values():
            names += _calls(nested)
    return names


def _node(node: Any) -> GraphNode:
    strings: dict[str, tuple[str, ...]] = {}
    for name in CONDITION_ATTRS & set(node.attr):
        value = node.attr[name]
        raw = [value.s] if value.HasField("s") else list(value.list.s)
        strings[name] = tuple(s.decode("utf-8", "replace") for s in raw)
    return GraphNode(
        name=node.name,
        op=node.op,
        inputs=tuple(node.input),
        calls=tuple(c for value in node.attr.values() for c in _calls(value)),
        strings=strings,
    )


def _own_asset(filename: str) -> bool:
    """An asset file name that stays inside the SavedModel's ``assets/`` directory."""
    path = PurePosixPath(filename.replace("\\", "/"))
    return bool(filename) and not path.is_absolute() and ".." not in path.parts


def _tensor_nodes(meta_graph: Any) -> set[str]:
    """Top-level nodes a loader reaches by name: signature tensors and collection nodes."""
    names = set()
    for signature in meta_graph.signature_def.values():
        for info in [*signature.inputs.values(), *signature.outputs.values()]:
            names.add(node_name(info.name))
    for collection in meta_graph.collection_def.values():
        names.update(node_name(n) for n in collection.node_list.value)
    return names


def _asset_args(meta_graph: Any, args: dict[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
    """TF2: per function, the arguments that receive one of the model's own asset paths.

    A concrete function's ``bound_inputs`` (captured objects, by node id) are its last
    arguments; those bound to an ``asset`` object receive that asset's path at load time.
    """
    objects = meta_graph.object_graph_def
    own = {
        i
        for i, obj in enumerate(objects.nodes)
        if obj.WhichOneof("kind") == "asset"
        and obj.asset.asset_file_def_index < len(meta_graph.asset_file_def)
        and _own_asset(meta_graph.asset_file_def[obj.asset.asset_file_def_index].filename)
    }
    result = {}
    for name, concrete in objects.concrete_functions.items():
        names = args.get(name, ())
        bound = list(concrete.bound_inputs)
        offset = len(names) - len(bound)
        if offset < 0:
            continue
        chosen = {names[offset + i] for i, node_id in enumerate(bound) if node_id in own}
        if chosen:
            result[name] = frozenset(chosen)
    return result


def meta_graph_as_graph(meta_graph: Any) -> Graph:
    """One MetaGraph as the scan sees it."""
    graph_def = meta_graph.graph_def
    functions = tuple(
        GraphFunction(
            name=f.signature.name,
            args=tuple(a.name for a in f.signature.input_arg),
            nodes=tuple(_node(n) for n in f.node_def),
        )
        for f in graph_def.library.function
    )
    saver_def = meta_graph.saver_def if meta_graph.HasField("saver_def") else None
    saver = None
    if saver_def is not None and saver_def.restore_op_name:
        saver = Saver(
            filename=node_name(saver_def.filename_tensor_name),
            save=node_name(saver_def.save_tensor_name),
            restore=node_name(saver_def.restore_op_name),
        )
    objects = meta_graph.object_graph_def
    asset_nodes = frozenset(
        node_name(asset.tensor_info.name)
        for asset in _asset_file_defs(meta_graph)
        if _own_asset(asset.filename) and asset.tensor_info.name
    )
    # Paths passed on through calls: safety/own_assets.py follows them.
    asset_args = _asset_args(meta_graph, {f.name: f.args for f in functions})
    return Graph(
        nodes=tuple(_node(n) for n in graph_def.node),
        functions=functions,
        saver=saver,
        named_nodes=frozenset(_tensor_nodes(meta_graph)),
        entry_functions=frozenset(objects.concrete_functions)
        | frozenset(meta_graph.meta_info_def.function_aliases),
        asset_nodes=asset_nodes,
        asset_args=asset_args,
    )


def _asset_file_defs(meta_graph: Any) -> list[Any]:
    """The MetaGraph's asset files: ``asset_file_def``, and TF1 estimator exports' legacy
    ``saved_model_assets`` collection (AssetFileDef protos packed as Any)."""
    from tensorflow.core.protobuf import meta_graph_pb2

    assets = list(meta_graph.asset_file_def)
    legacy = meta_graph.collection_def.get("saved_model_assets")
    if legacy is not None:
        for packed in legacy.any_list.value:
            asset = meta_graph_pb2.AssetFileDef()
            if packed.Unpack(asset):
                assets.append(asset)
    return assets


def scan_saved_model(saved_model_dir: Path) -> list[UnsafeOp]:
    """Unsafe ops in every MetaGraph of the SavedModel at ``saved_model_dir``."""
    proto = read_meta_graphs(saved_model_dir)
    findings: list[UnsafeOp] = []
    for meta_graph in proto.meta_graphs:
        for finding in scan_graph(meta_graph_as_graph(meta_graph), "saved_model"):
            if finding not in findings:  # TF1 Hub modules repeat their graph per tag set
                findings.append(finding)
    return findings
