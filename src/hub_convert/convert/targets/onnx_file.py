"""Facts about an ONNX model: whether ``onnx.checker`` accepts it, its ops, its input shapes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any


def check(model: Any) -> str | None:
    """``onnx.checker`` with full shape inference; the error text, or None when valid.
    ``model``: a ModelProto or the path of a file (external data found beside it)."""
    import onnx

    try:
        onnx.checker.check_model(str(model) if isinstance(model, Path) else model, full_check=True)
    except Exception as exc:
        return f"onnx.checker: {str(exc).strip().splitlines()[0]}"
    return None


def operator_counts(model: Any) -> dict[str, int]:
    """Op types in the graph (``domain::Op`` outside the default domain), subgraphs included."""
    counts: Counter[str] = Counter()

    def visit(graph: Any) -> None:
        for node in graph.node:
            counts[f"{node.domain}::{node.op_type}" if node.domain else node.op_type] += 1
            for attribute in node.attribute:
                if attribute.g is not None and len(attribute.g.node):
                    visit(attribute.g)
                for sub in attribute.graphs:
                    visit(sub)

    visit(model.graph)
    return dict(sorted(counts.items()))


def input_shapes(model: Any) -> dict[str, list[int | None]]:
    """The graph inputs' shapes; None for a symbolic or unknown dimension."""
    shapes: dict[str, list[int | None]] = {}
    initializers = {init.name for init in model.graph.initializer}
    for graph_input in model.graph.input:
        if graph_input.name in initializers:
            continue
        dims = graph_input.type.tensor_type.shape.dim
        shapes[graph_input.name] = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    return shapes
