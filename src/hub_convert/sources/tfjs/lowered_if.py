"""Let TensorFlow's control-flow functionalization take a TF.js graph's lowered conditionals
(worker only).

TF.js keeps a ``tf.cond`` as TensorFlow lowered it: Switch nodes on the predicate, a Merge per
output, and a ``branch_executed`` Merge of the two pivots that the outputs' control edges
wait on. In Robust Video Matting that Merge also has control inputs from Identity nodes of
one branch (Grappler's leftovers after it folded the pivots into constants), and the TFLite
converter's functionalization then stops: "Merge of two inputs that differ on more than one
predicate … Failed to functionalize Control Flow V1 ops", so every TFLite variant failed.

A Merge forwards whichever data input arrives; a control input from a stateless node
(Identity, Const) only orders the graph, it computes nothing. Dropping those control inputs
from Merge nodes changes no value, and the converter then rebuilds the conditional as a
TFLite IF.
"""

from __future__ import annotations

from collections.abc import MutableSequence
from typing import Any

_STATELESS = {"Identity", "Const"}


def detach_merge_controls(nodes: MutableSequence[Any]) -> list[str]:
    """Drop the control inputs that Merge nodes of ``nodes`` take from Identity / Const
    nodes; return the names of the Merge nodes changed."""
    ops = {node.name: node.op for node in nodes}
    changed = []
    for node in nodes:
        if node.op != "Merge":
            continue
        kept = [
            ref
            for ref in node.input
            if not (ref.startswith("^") and ops.get(ref[1:]) in _STATELESS)
        ]
        if len(kept) != len(node.input):
            del node.input[:]
            node.input.extend(kept)
            changed.append(node.name)
    return changed
