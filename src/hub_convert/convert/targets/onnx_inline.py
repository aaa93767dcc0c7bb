"""Inline the function calls Grappler left in a frozen graph when their body holds TF1
control flow, so that tf2onnx's loop rewriter sees the loop (worker only).

A graph rebuilt from TF.js (or any TF1 graph wrapped by ``wrap_function``) reaches the
SavedModel as a signature that calls one function whose body has TF1 while loops (Enter,
Merge, Switch, NextIteration, Exit, LoopCond; TensorArrayV3 or TensorList state). Freezing
it for tf2onnx asks Grappler to inline every call, but the call to such a body stays
(observed with TensorFlow 2.21: the frozen graph is Placeholder -> StatefulPartitionedCall
-> Identity), and tf2onnx then converts the body as a separate function graph: without
the caller's input shapes its shape inference cannot give the loop condition a shape, and
the loop rewriter stops with "Conversion of Loop requries output shape
[.../LogicalAnd:0] exists" ("rewrite failed, so just fast fail it"). Inlined into the top
graph, the same loop converts.
"""

from __future__ import annotations

from typing import Any

# The ops that make a graph TF1 control flow: a call to a body with one of them is inlined.
TF1_CONTROL_FLOW = frozenset({"Enter", "Exit", "LoopCond", "NextIteration", "Merge", "Switch"})
_CALLS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})


def _node_of(ref: str) -> str:
    return ref.lstrip("^").split(":", 1)[0]


def _has_tf1_control_flow(function: Any) -> bool:
    return any(node.op in TF1_CONTROL_FLOW for node in function.node_def)


def _output_index(ref: str) -> int:
    parts = ref.split(":")
    return int(parts[1]) if len(parts) > 1 else 0


def inline_call(graph_def: Any, call: Any, function: Any) -> None:
    """Replace ``call`` in ``graph_def`` by the nodes of ``function``, under ``call``'s name."""
    import tensorflow as tf
    from tensorflow.python.framework.function_def_to_graph import function_def_to_graph_def

    body, flat = function_def_to_graph_def(function)
    prefix = f"{call.name}/"
    args = [a.name for a in function.signature.input_arg]
    data_inputs = [i for i in call.input if not i.startswith("^")]
    controls = [i for i in call.input if i.startswith("^")]

    def renamed(ref: str) -> str:
        return ("^" if ref.startswith("^") else "") + prefix + ref.lstrip("^")

    new_nodes = []
    for node in body.node:
        copy = tf.compat.v1.NodeDef()
        copy.CopyFrom(node)
        copy.name = prefix + node.name
        if node.name in args:  # the argument's Placeholder: the caller's input instead
            copy.op = "Identity"
            del copy.input[:]
            copy.input.extend([data_inputs[args.index(node.name)], *controls])
            dtype = copy.attr["dtype"].type
            for key in list(copy.attr):
                del copy.attr[key]
            copy.attr["T"].type = dtype
        else:
            del copy.input[:]
            copy.input.extend(renamed(i) for i in node.input)
            if "_class" in copy.attr:  # colocation names nodes by their old names
                del copy.attr["_class"]
        new_nodes.append(copy)
    outputs = [prefix + flat[function.ret[a.name]] for a in function.signature.output_arg]
    # Consumers of the call's outputs now read the body's results.
    for node in graph_def.node:
        refs = list(node.input)
        del node.input[:]
        for ref in refs:
            if _node_of(ref) != call.name:
                node.input.append(ref)
            elif ref.startswith("^"):
                node.input.extend(f"^{_node_of(o)}" for o in outputs)
            else:
                node.input.append(outputs[_output_index(ref)])
    kept = [n for n in graph_def.node if n.name != call.name]
    del graph_def.node[:]
    graph_def.node.extend([*kept, *new_nodes])


def inline_tf1_loop_calls(graph_def: Any) -> list[str]:
    """Inline, in place, each top-level call of a function with TF1 control flow in its body;
    return the names of the functions inlined."""
    functions = {f.signature.name: f for f in graph_def.library.function}
    inlined = []
    for call in list(graph_def.node):
        function = functions.get(call.attr["f"].func.name) if call.op in _CALLS else None
        if function is not None and _has_tf1_control_flow(function):
            inline_call(graph_def, call, function)
            inlined.append(function.signature.name)
    # tf2onnx converts every library function it is given; the inlined ones are not called.
    called = {n.attr["f"].func.name for n in graph_def.node if n.op in _CALLS}
    gone = [f for f in graph_def.library.function if f.signature.name in set(inlined) - called]
    for function in gone:
        graph_def.library.function.remove(function)
    return inlined
