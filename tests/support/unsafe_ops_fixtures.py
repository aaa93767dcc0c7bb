"""Hostile TF.js graph models, Keras configs and synthetic graphs, written without TensorFlow."""

from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path
from typing import Any

from hub_convert.safety.graph_scan import Graph, GraphFunction, GraphNode, Saver


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def string_const(name: str, value: str) -> dict[str, Any]:
    """A Const node with its (string) value inline, as proto3 JSON writes it."""
    return {
        "name": name,
        "op": "Const",
        "attr": {
            "dtype": {"type": "DT_STRING"},
            "value": {
                "tensor": {"dtype": "DT_STRING", "tensorShape": {}, "stringVal": [_b64(value)]}
            },
        },
    }


def write_file_nodes(canary: Path, name: str = "leak") -> list[dict[str, Any]]:
    return [
        string_const(f"{name}/filename", str(canary)),
        string_const(f"{name}/contents", "tfjs ran"),
        {"name": name, "op": "WriteFile", "input": [f"{name}/filename", f"{name}/contents"]},
    ]


def _edit(model_json: Path, change: Any) -> None:
    document = json.loads(model_json.read_text())
    change(document["modelTopology"])
    model_json.write_text(json.dumps(document))


def add_write_file_node(model_json: Path, canary: Path) -> None:
    """A WriteFile node in the top-level graph, fed by inline constants."""
    _edit(model_json, lambda topology: topology["node"].extend(write_file_nodes(canary)))


def add_write_file_function(model_json: Path, canary: Path) -> None:
    """A library function whose body writes ``canary``, called by a node of the graph."""

    def change(topology: dict[str, Any]) -> None:
        body = write_file_nodes(canary, "inner")
        topology.setdefault("library", {})["function"] = [
            {"signature": {"name": "sneaky_fn"}, "nodeDef": body}
        ]
        topology["node"].append({"name": "call", "op": "sneaky_fn"})

    _edit(model_json, change)


def add_node(model_json: Path, node: dict[str, Any]) -> None:
    _edit(model_json, lambda topology: topology["node"].append(node))


def print_to(stream: str) -> dict[str, Any]:
    return {
        "name": "print",
        "op": "PrintV2",
        "input": ["x"],
        "attr": {"output_stream": {"s": _b64(stream)}},
    }


def decode_proto(source: str) -> dict[str, Any]:
    return {
        "name": "decode",
        "op": "DecodeProtoV2",
        "input": ["x"],
        "attr": {"descriptor_source": {"s": _b64(source)}},
    }


def keras_file(path: Path, config: dict[str, Any]) -> Path:
    """A .keras zip holding ``config`` (weights are never reached: it is refused first)."""
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("config.json", json.dumps(config))
        bundle.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        bundle.writestr("model.weights.h5", b"")
    return path


def h5_file(path: Path, config: dict[str, Any], keras_version: str = "2.15.0") -> Path:
    """A Keras 2 .h5 file with only its model_config attribute (enough to be inspected)."""
    import h5py

    with h5py.File(path, "w") as h5:
        h5.attrs["model_config"] = json.dumps(config)
        h5.attrs["keras_version"] = keras_version
    return path


def functional(*layers: dict[str, Any]) -> dict[str, Any]:
    """A Keras functional model config holding ``layers``."""
    return {"class_name": "Functional", "config": {"name": "model", "layers": list(layers)}}


def layer(class_name: str, name: str, **config: Any) -> dict[str, Any]:
    return {"class_name": class_name, "config": {"name": name, "trainable": True, **config}}


# --- synthetic graphs for the saver rules ------------------------------------------------


def node(name: str, op: str, *inputs: str, calls: tuple[str, ...] = ()) -> GraphNode:
    return GraphNode(name=name, op=op, inputs=inputs, calls=calls)


def tf2_graph(
    *,
    serve_extra: tuple[GraphNode, ...] = (),
    restore_extra: tuple[GraphNode, ...] = (),
    restore_prefix: str = "file_prefix",
    restore_op: str = "restore_call",
    entry_functions: frozenset[str] = frozenset({"serve_fn"}),
) -> Graph:
    """A TF2 SavedModel's graph as tf.saved_model.save lays it out (see graph_scan.py)."""
    serve = GraphFunction("serve_fn", ("x",), (node("mul", "Mul", "x", "x"), *serve_extra))
    save = GraphFunction(
        "__inference__traced_save_9",
        ("file_prefix", "v"),
        (
            node("ShardedFilename", "ShardedFilename", "file_prefix"),
            node("SaveV2", "SaveV2", "ShardedFilename:filename:0", "v"),
            node("MergeV2Checkpoints", "MergeV2Checkpoints", "ShardedFilename:filename:0"),
        ),
    )
    restore = GraphFunction(
        "__inference__traced_restore_10",
        ("file_prefix", "v"),
        (
            node("prefix_const", "Const"),
            node("RestoreV2", "RestoreV2", restore_prefix),
            node("Assign", "AssignVariableOp", "v", "RestoreV2:tensors:0"),
            *restore_extra,
        ),
    )
    top = (
        node("x", "Placeholder"),
        node("Variable", "VarHandleOp"),
        node("call", "StatefulPartitionedCall", "x", calls=("serve_fn",)),
        node("saver_filename", "Placeholder"),
        node(
            "save_call", "StatefulPartitionedCall", "saver_filename", "Variable", calls=(save.name,)
        ),
        node(
            "restore_call",
            "StatefulPartitionedCall",
            "saver_filename",
            "Variable",
            calls=(restore.name,),
        ),
    )
    return Graph(
        nodes=top,
        functions=(serve, save, restore),
        saver=Saver(filename="saver_filename", save="save_call", restore=restore_op),
        named_nodes=frozenset({"x", "call"}),
        entry_functions=entry_functions,
    )
