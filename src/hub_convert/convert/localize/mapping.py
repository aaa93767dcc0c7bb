"""Converted tensors onto the original's nodes: by name first, then by value among a few.

A converted op is often several TF nodes fused (a conv with its bias and activation) and named
after one of them, so each tensor's candidates are the nodes its names give and the nodes
reading them (two steps on); the candidate whose value, in the same layout, is closest wins.
"""

from __future__ import annotations

import re

import numpy as np

from .converted import NCHW, ConvertedTensor
from .reference_tensors import ReferenceGraph, unprefixed

_CONVERTER_SUFFIX = re.compile(r"(__\d+|\d+)$")  # MLIR's and tf2onnx's uniquing suffixes
_SUCCESSOR_STEPS = 2
_MAX_CANDIDATES = 12


def candidate_nodes(tensor: ConvertedTensor, reference: ReferenceGraph) -> list[str]:
    """The original's nodes ``tensor`` may be, by its names (none when nothing matches)."""
    named: list[str] = []
    for name in tensor.names:
        plain = unprefixed(name)
        node = reference.nodes.get(plain) or reference.nodes.get(_CONVERTER_SUFFIX.sub("", plain))
        if node is not None and node not in named:
            named.append(node)
    found = list(named)
    frontier = list(named)
    for _ in range(_SUCCESSOR_STEPS):
        frontier = [
            after
            for node in frontier
            for after in reference.consumers.get(node, [])
            if unprefixed(after) in reference.nodes and after not in found
        ]
        found.extend(frontier)
    return found[:_MAX_CANDIDATES]


def in_reference_layout(tensor: ConvertedTensor, shape: tuple[int, ...]) -> np.ndarray | None:
    """The converted value laid out as the original's tensor of ``shape``, or None."""
    value = tensor.value
    if tensor.layout == NCHW and value.ndim == 4:
        value = np.transpose(value, (0, 2, 3, 1))
    if value.shape == shape:
        return value
    squeezed = tuple(d for d in shape if d != 1)
    if tuple(d for d in value.shape if d != 1) == squeezed:
        return value.reshape(shape)
    return None
