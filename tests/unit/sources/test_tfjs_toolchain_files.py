"""TF.js models written by the real TF.js toolchain, read by hub-convert.

The files in tests/data/tfjs were made by TF.js itself (make_fixtures.mjs there; its README
says how): layers models saved by tfjs-layers' ``model.save``, and a graph model made by the
tensorflowjs converter and published in an npm package. Beside each, io.json names seeded
inputs and the outputs TF.js computed for them. The SavedModel hub-convert rebuilds must
compute the same outputs, and the CLI must convert and validate it end to end.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hub_convert.sources import resolve
from hub_convert.sources.tfjs import check_tfjs
from hub_convert.sources.tfjs.export import signature_keys
from support.cli import CliRun
from support.cli_batch import run_cli_batch
from support.paths import DATA
from support.source_fixtures import statuses

TFJS_DATA = DATA / "tfjs"
# layers_upsampling guards UpSampling2D's bilinear rule: TF.js resizes without half-pixel
# centers, tf_keras with them (a 0.84 difference on that fixture when the reader ignored it).
FIXTURES = ("layers_cnn", "layers_rnn", "layers_upsampling", "graph_emotion")

# float32 on both sides, but not the same arithmetic: TF.js's CPU backend runs its own
# kernels (fused conv + bias + activation in the graph model), TensorFlow runs oneDNN's, so
# sums are accumulated in other orders. On these outputs (softmax probabilities and O(1)
# activations) that costs at most ~2e-7 (measured); 1e-5 absolute + 1e-4 relative leaves
# ~50x headroom for other CPUs, while any real misreading (a weight in the wrong place, a
# transposed kernel, another resize rule) moves outputs by 1e-2 or more.
ATOL, RTOL = 1e-5, 1e-4


@dataclass(frozen=True)
class Recorded:
    """One fixture: its model.json and TF.js's inputs and outputs, in TF.js's order."""

    model_json: Path
    inputs: dict[str, np.ndarray]  # by TF.js input name
    outputs: dict[str, np.ndarray]  # by TF.js output name
    io: dict[str, Any]  # io.json as written


@cache
def recorded(name: str) -> Recorded:
    directory = TFJS_DATA / name
    io = json.loads((directory / "io.json").read_text())

    def arrays(entries: list[dict[str, Any]]) -> dict[str, np.ndarray]:
        out = {}
        for entry in entries:
            array = np.load(directory / entry["file"], allow_pickle=False)
            assert array.dtype == np.dtype(entry["dtype"]) and list(array.shape) == entry["shape"]
            out[entry["name"]] = array
        return out

    return Recorded(directory / io["model"], arrays(io["inputs"]), arrays(io["outputs"]), io)


# -- the files themselves (no TensorFlow) ------------------------------------------------------


def test_fixtures_are_what_the_readme_says() -> None:
    """Guard: the checked-in files still have the properties the tests below rely on."""
    cnn, rnn, upsampling, emotion = (check_tfjs(recorded(n).model_json) for n in FIXTURES)
    assert (cnn.format, cnn.generated_by) == ("layers-model", "TensorFlow.js tfjs-layers v4.22.0")
    assert cnn.weights == "13 weights, 1 shard, 1 group, float32"
    assert (rnn.format, rnn.generated_by) == ("layers-model", "TensorFlow.js tfjs-layers v4.22.0")
    assert rnn.weights == "13 weights, 4 shards, 2 groups, float32"  # one group cut in three
    topology = json.loads(recorded("layers_upsampling").model_json.read_text())["modelTopology"]
    assert [
        (layer["config"]["interpolation"], layer["config"]["data_format"])
        for layer in topology["config"]["layers"]
        if layer["class_name"] == "UpSampling2D"
    ] == [
        ("nearest", "channels_last"),
        ("bilinear", "channels_last"),
        ("bilinear", "channels_first"),
    ]
    assert upsampling.format == "layers-model"
    assert emotion.format == "graph-model"
    assert emotion.weights == "23 weights, 1 shard, 1 group, float32/int32"
    graph = recorded("graph_emotion")
    for file, digest in graph.io["sha256"].items():  # byte for byte as the npm package has it
        assert hashlib.sha256((graph.model_json.parent / file).read_bytes()).hexdigest() == digest
    ops = {n["op"] for n in json.loads(graph.model_json.read_text())["modelTopology"]["node"]}
    assert {"_FusedConv2D", "DepthwiseConv2dNative", "AddV2", "MaxPool", "Softmax"} <= ops
    total = sum(f.stat().st_size for f in TFJS_DATA.rglob("*") if "node_modules" not in f.parts)
    assert total < 1_500_000


# -- the rebuilt SavedModel computes what TF.js computed --------------------------------------


def _materialize(model_json: Path, work_dir: Path) -> Any:
    """Resolve the path as the CLI does and run the source's materializer in-process."""
    import tensorflow as tf

    source = resolve(str(model_json), work_dir=work_dir)
    assert source.kind == "tfjs" and source.materializer is not None
    source.materializer(source.saved_model_dir)
    return tf.saved_model.load(str(source.saved_model_dir)).signatures["serving_default"]


def _run(serving: Any, fixture: Recorded) -> dict[str, np.ndarray]:
    """Feed TF.js's inputs by signature key (hub-convert's names for TF.js's) and return the
    outputs by TF.js output name."""
    spec = serving.structured_input_signature[1]
    input_keys = dict(zip(signature_keys(fixture.inputs), fixture.inputs, strict=True))
    output_keys = dict(zip(signature_keys(fixture.outputs), fixture.outputs, strict=True))
    assert set(spec) == set(input_keys) and set(serving.structured_outputs) == set(output_keys)
    for key, name in input_keys.items():
        array = fixture.inputs[name]
        assert spec[key].dtype.as_numpy_dtype == array.dtype
        assert spec[key].shape.is_compatible_with(array.shape)
    got = serving(**{key: fixture.inputs[name] for key, name in input_keys.items()})
    return {name: got[key].numpy() for key, name in output_keys.items()}


@pytest.mark.tf
@pytest.mark.parametrize("name", FIXTURES)
def test_rebuilt_model_computes_what_tfjs_computed(name: str, tmp_path: Path) -> None:
    fixture = recorded(name)
    got = _run(_materialize(fixture.model_json, tmp_path), fixture)
    for output, want in fixture.outputs.items():
        assert got[output].shape == want.shape, output
        np.testing.assert_allclose(got[output], want, atol=ATOL, rtol=RTOL, err_msg=output)


@pytest.mark.tf
def test_the_comparison_catches_misordered_shards(tmp_path: Path) -> None:
    """Guard for the test above: with the first group's shards listed in another order (same
    files, same total size, so every check still passes) the outputs no longer match."""
    fixture = recorded("layers_rnn")
    copy = tmp_path / "model"
    shutil.copytree(fixture.model_json.parent, copy)
    document = json.loads((copy / "model.json").read_text())
    paths = document["weightsManifest"][0]["paths"]
    assert len(paths) == 3
    document["weightsManifest"][0]["paths"] = [paths[1], paths[0], paths[2]]
    (copy / "model.json").write_text(json.dumps(document))
    got = _run(_materialize(copy / "model.json", tmp_path / "work"), fixture)
    assert not np.allclose(got["probs"], fixture.outputs["probs"], atol=ATOL, rtol=RTOL)


@pytest.mark.tf
def test_recurrent_layers_over_a_time_axis_of_unknown_length(tmp_path: Path) -> None:
    """TF.js's LSTM and GRU are rebuilt unrolled (so TFLite converts them, see the CLI test
    below); with no fixed number of time steps they cannot be, and the loop stays."""
    fixture = recorded("layers_rnn")
    copy = tmp_path / "model"
    shutil.copytree(fixture.model_json.parent, copy)
    document = json.loads((copy / "model.json").read_text())
    (tokens,) = (x for x in document["modelTopology"]["config"]["layers"] if x["name"] == "tokens")
    tokens["config"]["batch_input_shape"] = [None, None]
    (copy / "model.json").write_text(json.dumps(document))
    serving = _materialize(copy / "model.json", tmp_path / "work")
    assert serving.structured_input_signature[1]["tokens"].shape.as_list() == [None, None]
    got = _run(serving, fixture)
    for output, want in fixture.outputs.items():
        np.testing.assert_allclose(got[output], want, atol=ATOL, rtol=RTOL, err_msg=output)


# -- end to end through the CLI ----------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CliRun]:
    """Every fixture converted by the CLI, two at a time (independent runs, each into its own
    directory)."""
    root = tmp_path_factory.mktemp("tfjs_cli")
    return run_cli_batch(
        {
            name: (
                "convert", recorded(name).model_json, "--output-dir", root / name,
                "--tflite-variants", "float32", "--latency-runs", "0",
            )
            for name in FIXTURES
        }
    )  # fmt: skip


@pytest.mark.tf
@pytest.mark.parametrize("name", FIXTURES)
def test_cli_converts_and_validates(name: str, cli_runs: dict[str, CliRun]) -> None:
    fixture = recorded(name)
    run = cli_runs[name]
    assert run.exit_code == 0, run.stderr
    assert statuses(run.report) == {("tflite", "float32"): "passed", ("onnx", "float32"): "passed"}
    source = run.report["source"]
    assert source["kind"] == "tfjs"
    assert sorted(i["name"] for i in source["inputs"]) == sorted(signature_keys(fixture.inputs))
    assert sorted(o["name"] for o in source["outputs"]) == sorted(signature_keys(fixture.outputs))
    for artifact in run.report["artifacts"]:
        assert Path(artifact["path"]).is_file()
