"""Bad TF.js input: one line naming model.json and the problem, found before any work.

``check_tfjs`` is called directly (no TensorFlow), and the CLI must exit 2 with that line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hub_convert.errors import BadInputError
from hub_convert.sources.tfjs import check_tfjs
from support.cli import run_cli
from support.tfjs_writer import write_tiny_graph_model

Mutation = Callable[[Path], None]


def _edit(model_json: Path, change: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(model_json.read_text())
    change(document)
    model_json.write_text(json.dumps(document))


def _weight(document: dict[str, Any], name: str) -> dict[str, Any]:
    for group in document["weightsManifest"]:
        for weight in group["weights"]:
            if weight["name"] == name:
                return dict(weight)
    raise KeyError(name)


def missing_shard(model_json: Path) -> None:
    (model_json.parent / "group1-shard2of2.bin").unlink()


def short_shard(model_json: Path) -> None:
    shard = model_json.parent / "group1-shard2of2.bin"
    shard.write_bytes(shard.read_bytes()[:-1])


def long_shard(model_json: Path) -> None:
    shard = model_json.parent / "group2-shard1of1.bin"
    shard.write_bytes(shard.read_bytes() + b"\0")


def unknown_dtype(model_json: Path) -> None:
    _edit(model_json, lambda d: d["weightsManifest"][0]["weights"][0].update(dtype="float64"))


def unknown_quantization(model_json: Path) -> None:
    def change(document: dict[str, Any]) -> None:
        document["weightsManifest"][1]["weights"][0]["quantization"]["dtype"] = "int4"

    _edit(model_json, change)


def quantization_without_min(model_json: Path) -> None:
    def change(document: dict[str, Any]) -> None:
        quantization = document["weightsManifest"][1]["weights"][0]["quantization"]
        quantization["offset"] = quantization.pop("min")

    _edit(model_json, change)


def malformed_json(model_json: Path) -> None:
    model_json.write_text(model_json.read_text()[:-20])


def weight_missing_from_manifest(model_json: Path) -> None:
    # Drop 's' from the manifest and its bytes from the shards: sizes agree, the graph does not.
    def change(document: dict[str, Any]) -> None:
        del document["weightsManifest"][1]

    _edit(model_json, change)


def shard_outside_directory(model_json: Path) -> None:
    (model_json.parent.parent / "secret.bin").write_bytes(b"\0" * 2)
    _edit(model_json, lambda d: d["weightsManifest"][1].update(paths=["../secret.bin"]))


def unknown_format(model_json: Path) -> None:
    _edit(model_json, lambda d: d.update(format="tfjs-graph"))


def initializer_not_a_graph(model_json: Path) -> None:
    # A modelInitializer is supported (test_tfjs_initializer.py); one that is no GraphDef not.
    _edit(model_json, lambda d: d.update(modelInitializer={"node": "HashTableV2"}))


def lambda_layer(model_json: Path) -> None:
    layer = {"class_name": "Lambda", "config": {"name": "evil", "function": ["4wEAAA==", None]}}
    topology = {"class_name": "Sequential", "config": {"name": "s", "layers": [layer]}}
    _edit(model_json, lambda d: d.update(format="layers-model", modelTopology=topology))


CASES: dict[str, tuple[Mutation, str]] = {
    "missing shard": (missing_shard, "weight shard 'group1-shard2of2.bin' is missing"),
    "short shard": (
        short_shard,
        "holds 7 bytes but the manifest needs 8 for its weights (a shard is too short)",
    ),
    "long shard": (
        long_shard,
        "holds 3 bytes but the manifest needs 2 for its weights (a shard is too long)",
    ),
    "unknown dtype": (unknown_dtype, "weight 'w': unknown dtype 'float64'"),
    "unknown quantization": (unknown_quantization, "unknown quantization dtype 'int4'"),
    "quantization without min": (quantization_without_min, "needs numeric 'scale' and 'min'"),
    "malformed JSON": (malformed_json, "malformed JSON at line 1"),
    "weight missing": (weight_missing_from_manifest, "weightsManifest lacks: 's'"),
    "shard outside": (shard_outside_directory, "points outside the model directory"),
    "unknown format": (unknown_format, "unknown format 'tfjs-graph'"),
    "initializer not a graph": (initializer_not_a_graph, "modelInitializer has no 'node' list"),
    "Lambda layer": (lambda_layer, "layer 'evil' is a Lambda layer"),
}


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write_tiny_graph_model(tmp_path / "model")


@pytest.mark.parametrize("case", CASES)
def test_check_names_file_and_problem(tiny: Path, case: str) -> None:
    mutate, needle = CASES[case]
    mutate(tiny)
    with pytest.raises(BadInputError) as raised:
        check_tfjs(tiny.parent)
    message = str(raised.value)
    assert message.startswith(f"{tiny}: "), message
    assert needle in message
    assert "\n" not in message


def test_directory_without_model_json(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"directory has no model\.json"):
        check_tfjs(tmp_path)


def test_the_untouched_model_passes(tiny: Path) -> None:
    assert check_tfjs(tiny.parent).format == "graph-model"


@pytest.mark.tf
@pytest.mark.parametrize(
    "case", ["missing shard", "short shard", "unknown dtype", "malformed JSON", "weight missing"]
)
def test_cli_exits_2_with_one_line(tiny: Path, tmp_path: Path, case: str) -> None:
    mutate, needle = CASES[case]
    mutate(tiny)
    run = run_cli("convert", tiny.parent, "--output-dir", tmp_path / "out")
    assert run.exit_code == 2, run.stderr
    lines = run.stderr.rstrip("\n").splitlines()
    errors = [line for line in lines if line.startswith("hub-convert: error: ")]
    assert errors == [lines[-1]], run.stderr
    assert str(tiny) in errors[0] and needle in errors[0]
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()
