"""Refusals of a malformed frozen GraphDef and of a bad ``--inputs NAME=VALUE``, each in one
line, before anything is imported into TensorFlow or allocated.

A hostile or truncated ``.pb`` parses as a GraphDef with no nodes (a 0-byte file), with an
input naming a node that is not there, or with a PlaceholderWithDefault that has no default;
walking such a graph would end in a KeyError or IndexError instead of a message.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import BadInputError

# A fixed value (--inputs NAME=VALUE) stands for a switch or a setting (training, keep_prob):
# more values than this is a data tensor to feed, and a constant of its size a memory bomb.
MAX_FIXED_ELEMENTS = 1 << 20


def check_well_formed(graph_def: Any, display_path: str) -> None:
    """Refuse a GraphDef without nodes, with an input from a node it lacks, or with a
    PlaceholderWithDefault without its default."""
    names = {node.name for node in graph_def.node}
    if not names:
        raise BadInputError(
            f"{display_path}: the GraphDef has no nodes; pass a frozen graph (.pb) written by "
            "TensorFlow"
        )
    for node in graph_def.node:
        if node.op == "PlaceholderWithDefault" and not node.input:
            raise BadInputError(
                f"{display_path}: PlaceholderWithDefault {node.name} has no default input; "
                "the GraphDef is malformed: pass the frozen graph as TensorFlow wrote it"
            )
        for edge in node.input:
            source = edge.lstrip("^").partition(":")[0]
            if source not in names:
                raise BadInputError(
                    f"{display_path}: node {node.name} reads {edge}, which is not in the "
                    "graph; the GraphDef is incomplete: pass the whole frozen graph"
                )


def fixed_number(label: str, value: str, dtype: Any, shape: list[int]) -> float | bool:
    """The Python value of ``--inputs NAME=VALUE`` for a tensor of ``dtype`` (a tf.DType) and
    fully known ``shape``; BadInputError in one line for true/false on a number tensor, a
    value that is not finite, or a tensor too big to stand for one fixed value. ``label`` is
    ``path: --inputs NAME=VALUE``."""
    elements = math.prod(shape)
    if elements > MAX_FIXED_ELEMENTS:
        raise BadInputError(
            f"{label}: a {dtype.name} tensor of shape {shape} ({elements:,} values); a fixed "
            "value stands for a switch or a setting: feed it instead (--inputs NAME)"
        )
    text = value.lower()
    if text in ("true", "false"):
        if not dtype.is_bool:
            raise BadInputError(
                f"{label}: a {dtype.name} tensor; true/false fix bool tensors: give a number"
            )
        return text == "true"
    number = float(text)
    if not math.isfinite(number):
        raise BadInputError(f"{label}: not a finite number; give one within {dtype.name}'s range")
    return number
