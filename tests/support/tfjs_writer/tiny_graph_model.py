"""A tiny TF.js graph model written by hand, without TensorFlow (for bad-input tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .weights import write_model_json, write_weights


def write_tiny_graph_model(directory: Path) -> Path:
    """``z = (x + w) * s`` as a TF.js graph model, written by hand with numpy only.

    ``w`` (float32) spans the two shards of group 1; ``s`` (uint8-quantized) is group 2.
    """
    directory.mkdir(parents=True, exist_ok=True)

    def const(name: str, dtype: str, dims: list[int]) -> dict[str, Any]:
        shape = {"dim": [{"size": str(d)} for d in dims]}
        return {
            "name": name,
            "op": "Const",
            "attr": {
                "dtype": {"type": dtype},
                "value": {"tensor": {"dtype": dtype, "tensorShape": shape}},
            },
        }

    topology = {
        "node": [
            {
                "name": "x",
                "op": "Placeholder",
                "attr": {
                    "dtype": {"type": "DT_FLOAT"},
                    "shape": {"shape": {"dim": [{"size": "-1"}, {"size": "2"}]}},
                },
            },
            const("w", "DT_FLOAT", [2]),
            const("s", "DT_FLOAT", [2]),
            {"name": "y", "op": "AddV2", "input": ["x", "w"], "attr": {"T": {"type": "DT_FLOAT"}}},
            {"name": "z", "op": "Mul", "input": ["y", "s"], "attr": {"T": {"type": "DT_FLOAT"}}},
        ],
        "versions": {"producer": 1395},
    }
    manifest, _ = write_weights(
        directory,
        [
            [("w", np.array([0.5, -1.5], np.float32))],
            [("s", np.array([2.0, -0.25], np.float32))],
        ],
        {"s": "uint8"},
        shard_bytes=4,
    )
    document = {
        "format": "graph-model",
        "generatedBy": "hand-written",
        "convertedBy": None,
        "modelTopology": topology,
        "weightsManifest": manifest,
    }
    return write_model_json(directory, document, compress=False)
