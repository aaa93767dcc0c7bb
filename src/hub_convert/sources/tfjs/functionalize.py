"""Rebuild TF1 while loops that carry TensorLists as functional ``While`` ops (worker only).

TF.js keeps a graph's control flow as TensorFlow lowered it: a TF2 ``tf.map_fn`` /
``tf.while_loop`` in the exported model becomes a TF1 frame (Enter, Merge, Switch,
NextIteration, Exit, LoopCond) whose loop variables are TensorList variants. tf2onnx
converts TF1 frames only over TensorArrayV3 state and TensorLists only inside a functional
``While``, so such a loop (the SSD hand detector's pre-processing ``map``) failed ONNX
conversion. This module lifts each such frame back into a ``While`` with ``cond`` and
``body`` functions, which is what the model was before TF.js's exporter lowered it.

A frame is lifted only when it is simple enough to do exactly: it is a lowered While (its
Enter nodes named as TensorFlow's lowering names them, which gives back the While's input
order), every loop variable is an Enter → Merge ← NextIteration pattern switched by the
frame's one LoopCond, at least one carries a variant, and no frame is nested inside. Other
frames (TF1 TensorArrayV3 loops, which tf2onnx converts as they are) stay.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

_VARIANT = 21  # DataType DT_VARIANT
# TensorFlow's lowering of a While names the Enter of input i ".../enter/_<n>" with n growing
# with i, so sorting by n gives back the While's inputs: (loop counter, maximum iterations,
# the loop's variables), the order tf2onnx's While conversion expects.
_LOWERED_ENTER = re.compile(r"/enter/_(\d+)$")


def _lowering_index(enter: Any) -> int:
    match = _LOWERED_ENTER.search(enter.name)
    return int(match.group(1)) if match else -1


def _node(ref: str) -> str:
    return ref.lstrip("^").split(":", 1)[0]


def _index(ref: str) -> int:
    parts = ref.split(":")
    return int(parts[1]) if len(parts) > 1 else 0


@dataclass
class _Var:
    enter: Any
    merge: Any
    switch: Any
    next_iteration: Any
    exits: list[Any] = field(default_factory=list)


@dataclass
class _Loop:
    frame: bytes
    loop_cond: Any
    variables: list[_Var]
    invariants: list[Any]  # Enter nodes with is_constant
    members: set[str]  # every node of the frame


def _frames(nodes: dict[str, Any]) -> dict[bytes, list[Any]]:
    frames: dict[bytes, list[Any]] = {}
    for node in nodes.values():
        if node.op == "Enter":
            frames.setdefault(node.attr["frame_name"].s, []).append(node)
    return frames


def _consumers(nodes: Iterable[Any]) -> dict[str, list[Any]]:
    result: dict[str, list[Any]] = {}
    for node in nodes:
        for ref in node.input:
            result.setdefault(_node(ref), []).append(node)
    return result


def _members(enters: list[Any], consumers: dict[str, list[Any]]) -> set[str]:
    """Nodes reachable from the frame's Enters up to (and with) its Exits."""
    seen: set[str] = set()
    stack = [e.name for e in enters]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        for consumer in consumers.get(name, []):
            if consumer.op == "Exit":
                seen.add(consumer.name)
            else:
                stack.append(consumer.name)
    return seen


def _find_loop(
    frame: bytes, enters: list[Any], nodes: dict[str, Any], consumers: dict[str, list[Any]]
) -> _Loop | None:
    members = _members(enters, consumers)
    inner = [
        n for n in members if nodes[n].op == "Enter" and nodes[n].attr["frame_name"].s != frame
    ]
    conds = [n for n in members if nodes[n].op == "LoopCond"]
    if inner or len(conds) != 1:
        return None
    loop_cond = nodes[conds[0]]
    variables, invariants = [], []
    for enter in enters:
        merges = [c for c in consumers.get(enter.name, []) if c.op == "Merge"]
        if enter.attr["is_constant"].b:
            invariants.append(enter)
            continue
        if len(merges) != 1:
            return None
        merge = merges[0]
        switches = [c for c in consumers.get(merge.name, []) if c.op == "Switch"]
        others = [i for i in merge.input if not i.startswith("^") and _node(i) != enter.name]
        if len(switches) != 1 or len(others) != 1 or nodes[_node(others[0])].op != "NextIteration":
            return None
        switch = switches[0]
        if _node(switch.input[1]) != loop_cond.name:
            return None
        exits = [c for c in consumers.get(switch.name, []) if c.op == "Exit"]
        variables.append(_Var(enter, merge, switch, nodes[_node(others[0])], exits))
    return _Loop(frame, loop_cond, variables, invariants, members)


def _ancestors(starts: list[str], stops: set[str], nodes: dict[str, Any]) -> list[Any]:
    """Nodes ``starts`` depend on (data and control), not crossing ``stops``, in graph order."""
    seen: set[str] = set()
    stack = [s for s in starts if s not in stops]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(_node(i) for i in nodes[name].input if _node(i) not in stops)
    return [n for n in nodes.values() if n.name in seen]


def _subgraph(
    members: list[Any], boundary: dict[str, str], dtypes: dict[str, int], library: Any
) -> Any:
    """The member nodes as a GraphDef whose boundary references read Placeholders.

    ``boundary`` maps a tensor reference ("node:index") to its Placeholder's name; control
    inputs on boundary nodes are dropped (within a function, arguments are ready first).
    """
    import tensorflow as tf

    graph_def = tf.compat.v1.GraphDef()
    graph_def.library.CopyFrom(library)
    outside = {_node(ref) for ref in boundary}
    for name in sorted(set(boundary.values())):
        graph_def.node.add(name=name, op="Placeholder").attr["dtype"].type = dtypes[name]
    for node in members:
        copy = graph_def.node.add()
        copy.CopyFrom(node)
        del copy.input[:]
        for ref in node.input:
            if ref.startswith("^"):
                if _node(ref) not in outside:
                    copy.input.append(ref)
                continue
            key = f"{_node(ref)}:{_index(ref)}"
            copy.input.append(boundary.get(key, ref))
        if "_class" in copy.attr:  # colocation with nodes that may not be here
            del copy.attr["_class"]
    return graph_def


def _function(
    name: str,
    graph_def: Any,
    arg_names: list[str],
    specs: list[Any],
    returns: list[str | int],
) -> Any:
    """A concrete function: Placeholders ``arg_names`` fed by its arguments; each return is a
    tensor of ``graph_def`` or (an int) an argument passed through."""
    import tensorflow as tf

    def run(*args: Any) -> list[Any]:
        names = [r for r in returns if isinstance(r, str)]
        tensors = tf.graph_util.import_graph_def(
            graph_def,
            input_map={f"{a}:0": t for a, t in zip(arg_names, args, strict=True)},
            return_elements=names,
            name=name,
        )
        by_name = dict(zip(names, tensors, strict=True))
        return [args[r] if isinstance(r, int) else by_name[r] for r in returns]

    return tf.function(run, input_signature=specs, autograph=False).get_concrete_function()


def _lift(graph_def: Any, loop: _Loop, nodes: dict[str, Any], shapes: Any) -> None:
    import tensorflow as tf

    variables, invariants = loop.variables, loop.invariants
    count = len(variables) + len(invariants)
    arg_names = [f"loop_arg_{i}" for i in range(count)]
    dtypes = [v.enter.attr["T"].type for v in variables] + [e.attr["T"].type for e in invariants]
    specs = []
    for i, var in enumerate(variables):
        shape = shapes(var.enter.input[0])  # a Merge's own shape is unknown at import
        specs.append(tf.TensorSpec(shape, tf.dtypes.as_dtype(dtypes[i]), name=arg_names[i]))
    for j, enter in enumerate(invariants):
        k = len(variables) + j
        shape = shapes(enter.input[0])
        specs.append(tf.TensorSpec(shape, tf.dtypes.as_dtype(dtypes[k]), name=arg_names[k]))
    frame_io = {v.merge.name for v in variables} | {v.switch.name for v in variables}
    frame_io |= {e.name for e in invariants} | {v.enter.name for v in variables}
    boundary = {}
    for i, var in enumerate(variables):
        boundary[f"{var.merge.name}:0"] = arg_names[i]
        boundary[f"{var.switch.name}:1"] = arg_names[i]
    for j, enter in enumerate(invariants):
        boundary[f"{enter.name}:0"] = arg_names[len(variables) + j]
    cond_ref = loop.loop_cond.input[0]
    cond_nodes = _ancestors([_node(cond_ref)], frame_io, nodes)
    body_refs = [v.next_iteration.input[0] for v in variables]
    body_nodes = _ancestors([_node(r) for r in body_refs], frame_io, nodes)

    def returned(ref: str) -> str | int:
        key = f"{_node(ref)}:{_index(ref)}"
        return arg_names.index(boundary[key]) if key in boundary else key

    arg_dtypes = dict(zip(arg_names, dtypes, strict=True))
    cond_def = _subgraph(cond_nodes, boundary, arg_dtypes, graph_def.library)
    body_def = _subgraph(body_nodes, boundary, arg_dtypes, graph_def.library)
    prefix = loop.loop_cond.name.rsplit("/", 1)[0]
    cond = _function("cond", cond_def, arg_names, specs, [returned(cond_ref)])
    body_returns = [returned(r) for r in body_refs] + list(range(len(variables), count))
    body = _function("body", body_def, arg_names, specs, body_returns)
    existing = {f.signature.name for f in graph_def.library.function}
    for function in (cond, body):
        for fdef in [*function.graph.as_graph_def().library.function, function.function_def]:
            if fdef.signature.name not in existing:
                graph_def.library.function.add().CopyFrom(fdef)
                existing.add(fdef.signature.name)
    name = f"{prefix}/functional_while"
    while_node = tf.compat.v1.NodeDef(name=name, op="While")
    while_node.input.extend([v.enter.input[0] for v in variables])
    while_node.input.extend(e.input[0] for e in invariants)
    while_node.attr["T"].list.type.extend(dtypes)
    while_node.attr["cond"].func.name = cond.function_def.signature.name
    while_node.attr["body"].func.name = body.function_def.signature.name
    for spec in specs:
        while_node.attr["output_shapes"].list.shape.add().CopyFrom(spec.shape.as_proto())
    parallel = variables[0].enter.attr["parallel_iterations"].i if variables else 10
    while_node.attr["parallel_iterations"].i = parallel or 10
    replacements = [while_node]
    for i, var in enumerate(variables):
        for exit_node in var.exits:  # keep the Exit's name: its consumers stay valid
            identity = tf.compat.v1.NodeDef(name=exit_node.name, op="Identity")
            identity.input.append(f"{name}:{i}")
            identity.attr["T"].type = dtypes[i]
            replacements.append(identity)
    kept = [n for n in graph_def.node if n.name not in loop.members]
    del graph_def.node[:]
    graph_def.node.extend([*kept, *replacements])


def lift_tensor_list_loops(graph_def: Any) -> list[str]:
    """Lift, in place, every top-level TF1 loop carrying a variant (TensorList) into a
    ``While``; return the LoopCond names of the lifted loops."""
    import tensorflow as tf

    nodes = {n.name: n for n in graph_def.node}
    frames = _frames(nodes)
    if not frames:
        return []
    consumers = _consumers(nodes.values())
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")

    def shapes(ref: str) -> Any:
        # The rank TensorFlow inferred, dimensions left free: a loop variable may change
        # size from one iteration to the next (the import saw only the first).
        shape = graph.get_tensor_by_name(ref if ":" in ref else f"{ref}:0").shape
        return tf.TensorShape(None if shape.rank is None else [None] * shape.rank)

    lifted = []
    for frame, enters in frames.items():
        if not all(_LOWERED_ENTER.search(e.name) for e in enters):
            continue  # not a lowered While: its loop variables' order is unknown
        enters = sorted(enters, key=_lowering_index)
        loop = _find_loop(frame, enters, nodes, consumers)
        if loop is None or not any(v.enter.attr["T"].type == _VARIANT for v in loop.variables):
            continue
        _lift(graph_def, loop, nodes, shapes)
        lifted.append(loop.loop_cond.name)
    return lifted
