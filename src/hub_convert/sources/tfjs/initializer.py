"""A graph model's ``modelInitializer``: hash tables TF.js fills once at load (worker only).

tensorflowjs writes a SavedModel's table initialization as a second GraphDef. Its outputs
(``initializerSignature``) are table handles, each with a ``resourceId``; the main graph
takes each as a resource input of its ``signature`` with the same ``resourceId``, and TF.js
feeds one to the other (tfjs-converter's GraphModel). Here each table becomes a
``tf.lookup.StaticHashTable`` of the SavedModel, filled by its own initializer when the
SavedModel loads, and its handle is fed to the main graph in the same place.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import BadInputError
from .model_json import ModelJson

# Ops that fill a table from a keys tensor and a values tensor: (table, keys, values).
_IMPORT_OPS = ("LookupTableImportV2", "InitializeTableV2")
_TABLE_OPS = ("HashTableV2",)


@dataclass(frozen=True)
class TableSpec:
    """One hash table the initializer fills, and where the main graph takes its handle."""

    feeds: str  # the main graph's resource input, "node:index"
    keys: np.ndarray
    values: np.ndarray
    key_dtype: int  # DataType enum
    value_dtype: int


def resource_inputs(model: ModelJson) -> dict[int, str]:
    """The main graph's resource inputs: ``resourceId`` → tensor name. TF.js feeds these
    itself, so they are no input of the serving signature."""
    entries = ((model.signature or {}).get("inputs") or {}).values()
    return {int(e["resourceId"]): e["name"] for e in entries if "resourceId" in e}


def _resource_outputs(model: ModelJson) -> dict[int, str]:
    document = model.initializer_signature or {}
    entries = (document.get("outputs") or {}).values()
    return {
        int(e["resourceId"]): e["name"]
        for e in entries
        if isinstance(e, dict) and "resourceId" in e and isinstance(e.get("name"), str)
    }


def _source(nodes: dict[str, Any], ref: str) -> Any:
    """The node a tensor comes from, through Identity ops (which pass a handle on)."""
    node = nodes.get(ref.lstrip("^").split(":", 1)[0])
    while node is not None and node.op == "Identity" and node.input:
        node = nodes.get(node.input[0].split(":", 1)[0])
    return node


def _evaluate(graph_def: Any, tensors: list[str]) -> list[np.ndarray]:
    import tensorflow as tf

    def load() -> None:
        tf.compat.v1.import_graph_def(graph_def, name="init")

    wrapped = tf.compat.v1.wrap_function(load, [])
    fetches = [wrapped.graph.get_tensor_by_name(f"init/{t}") for t in tensors]
    return [t.numpy() for t in wrapped.prune(feeds=[], fetches=fetches)()]


def _tensor(ref: str) -> str:
    return ref if ":" in ref else f"{ref}:0"


def table_specs(model: ModelJson, weights: dict[str, np.ndarray]) -> list[TableSpec]:
    """Every table of the initializer with its keys and values, matched to the main graph's
    resource input; a table filled any other way than from two tensors is bad input."""
    if not (model.initializer or {}).get("node"):
        return []
    import tensorflow as tf
    from google.protobuf import json_format

    from .graph import fill_constants

    where = str(model.path)
    graph_def = tf.compat.v1.GraphDef()
    try:
        json_format.ParseDict(
            copy.deepcopy(model.initializer), graph_def, ignore_unknown_fields=True
        )
    except json_format.ParseError as exc:
        raise BadInputError(f"{where}: modelInitializer is not a valid GraphDef ({exc})") from None
    fill_constants(graph_def.node, weights, where)
    nodes = {n.name: n for n in graph_def.node}
    imports = {
        table.name: node
        for node in graph_def.node
        if node.op in _IMPORT_OPS and (table := _source(nodes, node.input[0])) is not None
    }
    feeds = resource_inputs(model)
    specs = []
    for resource_id, output in sorted(_resource_outputs(model).items()):
        table = _source(nodes, output)
        if table is None or table.op not in _TABLE_OPS:
            found = "nothing" if table is None else f"a {table.op}"
            raise BadInputError(
                f"{where}: modelInitializer output {output!r} is {found}, not a hash table "
                f"({', '.join(_TABLE_OPS)}); hub-convert rebuilds only hash tables filled "
                "from constant keys and values"
            )
        fill = imports.get(table.name)
        if fill is None:
            raise BadInputError(
                f"{where}: modelInitializer fills table {table.name!r} with no "
                f"{' or '.join(_IMPORT_OPS)}; hub-convert rebuilds only hash tables filled "
                "from constant keys and values"
            )
        if resource_id not in feeds:
            raise BadInputError(
                f"{where}: modelInitializer table {table.name!r} (resourceId {resource_id}) "
                "feeds no input of the signature; re-export the model with tensorflowjs"
            )
        keys, values = _evaluate(graph_def, [_tensor(fill.input[1]), _tensor(fill.input[2])])
        specs.append(
            TableSpec(
                feeds=_tensor(feeds[resource_id]),
                keys=keys,
                values=values,
                key_dtype=table.attr["key_dtype"].type,
                value_dtype=table.attr["value_dtype"].type,
            )
        )
    return specs


def build_tables(specs: list[TableSpec]) -> list[Any]:
    """The tables as ``tf.lookup.StaticHashTable`` s, whose initializers the SavedModel keeps.

    The default value is never used: the main graph's own lookup op passes its default.
    """
    import tensorflow as tf

    tables = []
    for spec in specs:
        key_dtype = tf.dtypes.as_dtype(spec.key_dtype)
        value_dtype = tf.dtypes.as_dtype(spec.value_dtype)
        initializer = tf.lookup.KeyValueTensorInitializer(
            tf.constant(spec.keys, key_dtype), tf.constant(spec.values, value_dtype)
        )
        default = tf.constant("" if value_dtype == tf.string else 0, value_dtype)
        tables.append(tf.lookup.StaticHashTable(initializer, default_value=default))
    return tables
