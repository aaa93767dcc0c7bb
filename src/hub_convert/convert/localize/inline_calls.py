"""Every function call of a frozen signature inlined, so each layer is a node that can be
fetched: Grappler leaves some calls in place (TF.js graphs wrapped by ``wrap_function``,
bodies with loops), and a layer inside a called function cannot be fetched from a Session.
"""

from __future__ import annotations

from typing import Any

# The same inlining the ONNX path applies to calls of bodies with TF1 loops; here to all.
from ..targets.onnx_inline import inline_call

_CALLS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})
_MAX_DEPTH = 8  # calls of calls: a signature wrapping a wrapped function


def inline_every_call(graph_def: Any) -> int:
    """Inline, in place, each top-level call of a library function, then the calls that
    brings up, a few levels deep; return how many calls were inlined."""
    functions = {f.signature.name: f for f in graph_def.library.function}
    inlined = 0
    for _ in range(_MAX_DEPTH):
        calls = [
            node
            for node in graph_def.node
            if node.op in _CALLS and node.attr["f"].func.name in functions
        ]
        if not calls:
            break
        for call in calls:
            inline_call(graph_def, call, functions[call.attr["f"].func.name])
        inlined += len(calls)
    return inlined
