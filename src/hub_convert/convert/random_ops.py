"""The stateful random ops on the path to an output: what makes the original give different
outputs on every run (worker only; works on a loaded signature's graph, imports nothing heavy).

Stateless random ops (``StatelessRandomUniform`` and kin) take their seed as an input and give
the same values every run: not listed.
"""

from __future__ import annotations

from typing import Any

from ..policy.randomness import STATEFUL_RANDOM_OPS

# Enough to say where the randomness is; a sampling model can hold hundreds.
MAX_LISTED = 20


def random_ops_upstream(function: Any, output_names: list[str]) -> dict[str, list[str]]:
    """Per output name of the signature ``function`` (a concrete function), the stateful
    random ops it depends on: "RandomUniform at node" (or "… at node in function f" inside a
    called function, control-flow bodies included), at most ``MAX_LISTED``."""
    library = {f.signature.name: f for f in function.graph.as_graph_def().library.function}
    inside: dict[str, list[str]] = {}
    found: dict[str, list[str]] = {}
    # The function's outputs follow its structured outputs flattened, dict keys sorted.
    for name, tensor in zip(sorted(output_names), function.outputs, strict=False):
        found[name] = _upstream(tensor.op, library, inside)[:MAX_LISTED]
    return found


def _upstream(op: Any, library: dict[str, Any], inside: dict[str, list[str]]) -> list[str]:
    seen: set[str] = set()
    listed: list[str] = []
    stack = [op]
    while stack:
        current = stack.pop()
        if current.name in seen:
            continue
        seen.add(current.name)
        if current.type in STATEFUL_RANDOM_OPS:
            listed.append(f"{current.type} at {current.name}")
        for called in _called_functions(current.node_def):
            listed += [r for r in _in_function(called, library, inside) if r not in listed]
        stack.extend(t.op for t in current.inputs)
        stack.extend(current.control_inputs)
    return sorted(listed)


def _called_functions(node_def: Any) -> list[str]:
    """The library functions a node calls: call ops, and control flow's bodies and branches."""
    names = []
    for value in node_def.attr.values():
        if value.HasField("func"):
            names.append(value.func.name)
        names += [f.name for f in value.list.func]
    return names


def _in_function(name: str, library: dict[str, Any], inside: dict[str, list[str]]) -> list[str]:
    """Every stateful random op in a library function and the functions it calls (a
    function's own outputs are not traced: a call is assumed to use all of its body)."""
    if name in inside:
        return inside[name]
    inside[name] = []  # a recursive call sees nothing new
    listed = []
    for node in library[name].node_def if name in library else ():
        if node.op in STATEFUL_RANDOM_OPS:
            listed.append(f"{node.op} at {node.name} in function {name}")
        for called in _called_functions(node):
            listed += _in_function(called, library, inside)
    inside[name] = sorted(set(listed))
    return inside[name]
