"""The graph the unsafe-op scan reads: nodes, library functions, the saver, the model's own
asset paths. Plain data, no TensorFlow: readers (convert/saved_model_scan.py for MetaGraphs,
graph_scan.json_graph for TF.js) build it, graph_scan.py and own_assets.py walk it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

TOP = ""  # the unit name of the top-level graph; functions go by their own names


@dataclass(frozen=True)
class GraphNode:
    name: str
    op: str
    inputs: tuple[str, ...] = ()  # "a", "a:1", "^a", "a:output:0", or a function argument
    calls: tuple[str, ...] = ()  # functions named by its attributes (If, While, *Call, ...)
    strings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # CONDITION_ATTRS


@dataclass(frozen=True)
class GraphFunction:
    name: str
    args: tuple[str, ...]
    nodes: tuple[GraphNode, ...]


@dataclass(frozen=True)
class Saver:
    """The nodes a MetaGraph's ``saver_def`` names (node names, tensor suffixes removed)."""

    filename: str
    save: str
    restore: str


@dataclass(frozen=True)
class Graph:
    """What the scan needs from one MetaGraph or TF.js graph."""

    nodes: tuple[GraphNode, ...]
    functions: tuple[GraphFunction, ...] = ()
    saver: Saver | None = None
    # Top-level nodes a loader reaches by name: signature tensors, init ops, collections.
    named_nodes: frozenset[str] = frozenset()
    # Functions a loader may call by name (the SavedObjectGraph's concrete functions).
    entry_functions: frozenset[str] = frozenset()
    # Where the model's own asset paths arrive: top-level nodes (TF1) and function arguments
    # bound to an asset (TF2).
    asset_nodes: frozenset[str] = frozenset()
    asset_args: Mapping[str, frozenset[str]] = field(default_factory=dict)


def node_name(ref: str) -> str:
    """The node an input reference names: ``^a`` → ``a``; ``a:1`` / ``a:output:0`` → ``a``."""
    return ref.lstrip("^").split(":", 1)[0]
