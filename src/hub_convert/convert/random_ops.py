"""The stateful random ops on the path to an output: what makes the original give different
outputs on every run (worker only; works on a loaded signature's graph, imports nothing heavy).

Stateless random ops (``StatelessRandomUniform`` and kin) take their seed as an input and give
the same values every run: not listed. A call is followed into its function along the output
used (a SavedModel signature is one call of the function that holds the whole model); control
flow's bodies and branches are taken whole. Only values are followed: a control dependency
(tf.function orders every stateful op before its outputs) does not make an output random.
"""

from __future__ import annotations

from typing import Any

from ..policy.randomness import STATEFUL_RANDOM_OPS

# Enough to say where the randomness is; a sampling model can hold hundreds.
MAX_LISTED = 20
_CALL_OPS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})


def random_ops_upstream(function: Any, output_names: list[str]) -> dict[str, list[str]]:
    """Per output name of the signature ``function`` (a concrete function), the stateful
    random ops it depends on: "RandomUniform at node" (or "… at node in function f" inside a
    called function), at most ``MAX_LISTED``."""
    library = _Library(
        {f.signature.name: f for f in function.graph.as_graph_def().library.function}
    )
    found: dict[str, list[str]] = {}
    # The function's outputs follow its structured outputs flattened, dict keys sorted.
    for name, tensor in zip(sorted(output_names), function.outputs, strict=False):
        found[name] = _upstream(tensor, library)[:MAX_LISTED]
    return found


def _upstream(tensor: Any, library: _Library) -> list[str]:
    seen: set[tuple[str, int | None]] = set()
    listed: set[str] = set()
    stack: list[tuple[Any, int | None]] = [(tensor.op, tensor.value_index)]
    while stack:
        op, index = stack.pop()
        if (op.name, index) in seen:
            continue
        seen.add((op.name, index))
        if op.type in STATEFUL_RANDOM_OPS:
            listed.add(f"{op.type} at {op.name}")
        listed.update(library.behind_node(op.node_def, index))
        stack.extend((t.op, t.value_index) for t in op.inputs)  # control inputs carry no value
    return sorted(listed)


class _Library:
    """A graph's function library, each function's random ops worked out once: along one
    output, or in its whole body (``index`` None)."""

    def __init__(self, functions: dict[str, Any]) -> None:
        self.functions = functions
        self.known: dict[tuple[str, int | None], set[str]] = {}

    def behind_node(self, node_def: Any, index: int | None) -> set[str]:
        """The random ops in the functions ``node_def`` calls, behind its output ``index``."""
        called = node_def.attr["f"].func.name if node_def.op in _CALL_OPS else node_def.op
        if called in self.functions and index is not None:
            return self.behind(called, index)
        found: set[str] = set()
        for value in node_def.attr.values():
            names = [value.func.name] if value.HasField("func") else []
            for name in names + [f.name for f in value.list.func]:
                found |= self.behind(name, None)
        return found

    def behind(self, name: str, index: int | None) -> set[str]:
        key = (name, index)
        if key not in self.known:
            self.known[key] = set()  # a recursive call sees nothing new
            self.known[key] = self._trace(name, index) if name in self.functions else set()
        return self.known[key]

    def _trace(self, name: str, index: int | None) -> set[str]:
        function = self.functions[name]
        nodes = {node.name: node for node in function.node_def}
        outputs = [arg.name for arg in function.signature.output_arg]
        starts: list[tuple[str, int | None]]
        if index is None or index >= len(outputs):
            starts = [(node.name, None) for node in function.node_def]
        else:
            starts = [_reference(function.ret[outputs[index]], nodes, self.functions)]
        found: set[str] = set()
        seen: set[tuple[str, int | None]] = set()
        stack = [s for s in starts if s[0] in nodes]
        while stack:
            node_name, out = stack.pop()
            if (node_name, out) in seen:
                continue
            seen.add((node_name, out))
            node = nodes[node_name]
            if node.op in STATEFUL_RANDOM_OPS:
                found.add(f"{node.op} at {node.name} in function {name}")
            found |= self.behind_node(node, out)
            for ref in node.input:
                if not ref.startswith("^"):  # control inputs carry no value
                    source = _reference(ref, nodes, self.functions)
                    stack += [source] if source[0] in nodes else []
        return found


def _reference(
    ref: str, nodes: dict[str, Any], functions: dict[str, Any]
) -> tuple[str, int | None]:
    """A FunctionDef tensor reference ("node:out_arg:k", or an argument's name) → (node, the
    call's output index when the node calls a function, else None)."""
    parts = ref.split(":")
    node = nodes.get(parts[0])
    if node is None or len(parts) < 3:
        return parts[0], None
    k = int(parts[2])
    if node.op in _CALL_OPS:
        return parts[0], k  # PartitionedCall's one output list, "output"
    if node.op in functions:  # a function called by name: its output args in order
        args = [arg.name for arg in functions[node.op].signature.output_arg]
        return parts[0], args.index(parts[1]) + k if parts[1] in args else None
    return parts[0], None
