"""Which layers of a SavedModel hold TensorList loops (a Keras RNN layer's, tf.map_fn's).

When TFLite keeps such a loop as Flex ops, the report names where it is. Keras traces each
RNN layer's loop either into its own function (tf_keras: ``standard_gru``, called by the node
``model/gru/PartitionedCall``) or inline under the layer's name scope (Keras 3:
``functional/lstm/...``); the owner is that node's path. Reads the protobuf only.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from ..signature import read_meta_graphs

_LOOP_STATE_OPS = frozenset({"TensorListReserve", "EmptyTensorList"})
_CALL_OPS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})


def _callee(node: Any) -> str | None:
    if node.op in _CALL_OPS and node.attr["f"].func.name:
        return str(node.attr["f"].func.name)
    return None


def _short(function: str) -> str:
    """``__inference_standard_gru_2687`` -> ``standard_gru``."""
    name = function.removeprefix("__inference_")
    head, _, tail = name.rpartition("_")
    return head if tail.isdigit() and head else name


def loop_owners(saved_model_dir: Path) -> list[str]:
    """The layers (node paths) whose TensorList loops the first MetaGraph holds, each with
    the function that runs the loop when it has its own: ``model/gru (standard_gru)``."""
    meta_graph = read_meta_graphs(saved_model_dir).meta_graphs[0]
    library = meta_graph.graph_def.library.function
    looping = set()
    owners = set()
    for function in library:
        for node in function.node_def:
            if node.op in _LOOP_STATE_OPS:
                scope = posixpath.dirname(node.name)
                if scope and not scope.startswith(("while", "TensorArray")):
                    owners.add(scope)
                else:
                    looping.add(function.signature.name)
    bodies = [meta_graph.graph_def.node, *(f.node_def for f in library)]
    for nodes in bodies:
        for node in nodes:
            callee = _callee(node)
            if callee is not None and callee in looping:
                owners.add(f"{posixpath.dirname(node.name) or node.name} ({_short(callee)})")
    return sorted(owners)
