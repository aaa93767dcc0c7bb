"""The original's intermediate tensors: its signature frozen (the graph the converters saw)
and run on one sample in a ``tf.compat.v1.Session``, fetching chosen nodes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .inline_calls import inline_every_call

# Inlining a signature prefixes its nodes with the call's name; converters drop the prefix.
_CALL_PREFIX = re.compile(r"^((Func/)?(Stateful)?PartitionedCall(_\d+)?/)+")
_SKIPPED_OPS = {"Const", "NoOp", "Placeholder", "Enter", "Exit", "NextIteration", "Switch", "Merge"}


@dataclass
class ReferenceGraph:
    """The frozen original: its nodes by unprefixed name, who reads them, and a runner."""

    nodes: dict[str, str]  # unprefixed name -> node name
    consumers: dict[str, list[str]]  # node name -> node names reading its first output
    order: dict[str, int]  # node name -> position in the graph
    ops: dict[str, str]  # node name -> op type
    session: Any
    feeds: dict[str, str]  # signature input name -> placeholder tensor name
    # The last sample run and what was fetched on it (None: could not be): the several files
    # of one run are localized on the same sample, each fetching mostly the same nodes.
    _sample: dict[str, np.ndarray] | None = field(default=None, repr=False)
    _fetched: dict[str, np.ndarray | None] = field(default_factory=dict, repr=False)

    def run(self, sample: dict[str, np.ndarray], nodes: list[str]) -> dict[str, np.ndarray]:
        """The first output of each of ``nodes`` on ``sample``; nodes that cannot be fetched
        (inside a loop) are left out. Nodes already fetched on this same sample object are
        not run again."""
        if sample is not self._sample:
            self._sample, self._fetched = sample, {}
        missing = [node for node in nodes if node not in self._fetched]
        if missing:
            feed = {tensor: sample[name] for name, tensor in self.feeds.items()}
            found = self._fetch(feed, missing)
            self._fetched.update({node: found.get(node) for node in missing})
        return {node: value for node in nodes if (value := self._fetched[node]) is not None}

    def _fetch(self, feed: dict[str, np.ndarray], nodes: list[str]) -> dict[str, np.ndarray]:
        # One unfetchable node fails a whole run: halve until it is found, so a graph with a
        # few such nodes costs a few dozen runs, not one per node.
        if not nodes:
            return {}
        try:
            values = self.session.run([f"{node}:0" for node in nodes], feed)
            return dict(zip(nodes, values, strict=True))
        except Exception:
            if len(nodes) == 1:
                return {}
        half = len(nodes) // 2
        return {**self._fetch(feed, nodes[:half]), **self._fetch(feed, nodes[half:])}


def frozen_graph_def(function: Any) -> tuple[Any, list[str]]:
    """``function``'s graph with its variables as constants, only the nodes its outputs need
    (in the graph's own order), and its input placeholders' tensor names.

    What ``convert_variables_to_constants_v2`` freezes, without the concrete function it then
    builds from the result (most of its time: 3.4 of 7.4 s on MobileNetV2, measured), which a
    session on the GraphDef does not need."""
    import tensorflow as tf
    from tensorflow.python.framework import convert_to_constants as freezing

    data = freezing._FunctionConverterDataInEager(
        func=function, lower_control_flow=True, aggressive_inlining=False
    )
    graph_def, converted = freezing._replace_variables_by_constants(converter_data=data)
    captures = function.graph.internal_captures
    frozen_inputs = {id(captures[index]) for index in converted}
    placeholders = [
        t.name for t in function.inputs if id(t) not in frozen_inputs and t.dtype != tf.resource
    ]
    _keep_needed(graph_def, [t.name.split(":")[0] for t in function.outputs])
    return graph_def, placeholders


def _keep_needed(graph_def: Any, outputs: list[str]) -> None:
    """Drop the nodes none of ``outputs`` reads, directly or not (as the concrete function's
    pruning did), keeping the others in order."""
    inputs = {node.name: node.input for node in graph_def.node}
    needed: set[str] = set()
    pending = [name for name in outputs if name in inputs]
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        needed.add(name)
        for read in inputs[name]:
            source = read.lstrip("^").split(":")[0]
            if source in inputs and source not in needed:
                pending.append(source)
    kept = [node for node in graph_def.node if node.name in needed]
    del graph_def.node[:]
    graph_def.node.extend(kept)


def unprefixed(name: str) -> str:
    """A node name without the function-call prefixes inlining added."""
    return _CALL_PREFIX.sub("", name)


def load_reference(saved_model_dir: Path, signature: str) -> ReferenceGraph:
    """Freeze ``signature`` of ``saved_model_dir`` and open a session on it."""
    import tensorflow as tf
    from tensorflow.core.protobuf import rewriter_config_pb2

    loaded = tf.saved_model.load(str(saved_model_dir))  # alive while freezing: it owns
    function = loaded.signatures[signature]  # the variables the signature reads
    graph_def, placeholders = frozen_graph_def(function)
    inline_every_call(graph_def)
    names = sorted(function.structured_input_signature[1])
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    consumers: dict[str, list[str]] = {}
    nodes: dict[str, str] = {}
    order: dict[str, int] = {}
    ops: dict[str, str] = {}
    for position, node in enumerate(graph_def.node):
        order[node.name] = position
        ops[node.name] = node.op
        if node.op not in _SKIPPED_OPS:
            nodes.setdefault(unprefixed(node.name), node.name)
        for read in node.input:
            if not read.startswith("^") and read.split(":")[-1] in (read, "0"):
                consumers.setdefault(read.split(":")[0], []).append(node.name)
    # Without Grappler: fetching nearly every node leaves it little to fuse, and its passes
    # were most of the first run (0.7 of 1.1 s on MobileNetV2; values the same to 1e-17).
    rewrites = rewriter_config_pb2.RewriterConfig(disable_meta_optimizer=True)
    config = tf.compat.v1.ConfigProto(
        graph_options=tf.compat.v1.GraphOptions(rewrite_options=rewrites)
    )
    session = tf.compat.v1.Session(graph=graph, config=config)
    return ReferenceGraph(
        nodes, consumers, order, ops, session, dict(zip(names, placeholders, strict=False))
    )
