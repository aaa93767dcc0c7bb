"""Per-layer error as Model Explorer node data: a graph's results keyed by output tensor name,
which Model Explorer matches to each node's outputs, coloured green to red."""

from __future__ import annotations

import json
import math

from .layer_errors import MeasuredLayer

# Model Explorer's GradientItem stops, over the range of the values shown.
_GRADIENT = [
    {"stop": 0.0, "bgColor": "#2e7d32"},
    {"stop": 0.5, "bgColor": "#f9a825"},
    {"stop": 1.0, "bgColor": "#c62828"},
]


def node_data_json(layers: list[MeasuredLayer]) -> str:
    """A GraphNodeData file: each mapped layer's relative error (log10, so one overlay shows
    1e-7 rounding and a 0.3 defect apart), keyed by the converted file's tensor name."""
    results: dict[str, dict[str, float]] = {}
    for measured in layers:
        layer = measured.layer
        if layer.tensor:
            error = max(min(layer.relative_error, 1e6), 1e-12)
            results[layer.tensor] = {"value": round(math.log10(error), 3)}
    return json.dumps({"results": results, "gradient": _GRADIENT}, indent=1)
