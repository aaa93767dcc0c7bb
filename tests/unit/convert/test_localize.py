"""Where a drifting file drifts, and what would fix it: nets with one deliberately broken conv
(weights that overflow float16; weights that break int8 quantization) localized to that conv
in TFLite and ONNX, and the int8, dynamic-range and float16 files fixed by keeping that one
layer in float. Two real runs of hub-convert, at once."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hub_convert.convert.localize.converted import ConvertedRun, ConvertedTensor
from hub_convert.convert.localize.layer_errors import localize_run
from hub_convert.convert.localize.reference_tensors import load_reference
from hub_convert.policy.tolerances import DEFAULT_TOLERANCES
from support.cli import CliRun
from support.cli_batch import run_cli_batch
from support.models.broken_layer import BROKEN_SCOPE, float16_overflow, int8_outlier

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("localize")
    return {"float16": float16_overflow(root / "f16"), "int8": int8_outlier(root / "int8")}


@pytest.fixture(scope="module")
def runs(models: dict[str, Path]) -> dict[str, CliRun]:
    quiet = ("--latency-runs", "0")
    both = ("float32,float16", "--onnx-variants", "float32,float16")
    return run_cli_batch(
        {
            "float16": (
                "convert", models["float16"], "--output-dir", models["float16"].parent / "out16",
                *quiet, "--tflite-variants", *both,
            ),
            "int8": (
                "convert", models["int8"], "--output-dir", models["int8"].parent / "out8",
                *quiet, "--tflite-variants", "int8,dynamic,int8-mixed",
                "--onnx-variants", "dynamic",
            ),
        }
    )  # fmt: skip


def _localization(run: CliRun, target: str, variant: str) -> dict[str, Any]:
    artifact = run.artifact(target, variant)
    assert artifact["status"] == "drift", artifact["reason"]
    localization = artifact["localization"]
    assert localization is not None and localization["error"] is None, localization
    return localization


@pytest.mark.parametrize(
    ("case", "target", "variant"),
    [
        ("float16", "tflite", "float16"),
        ("float16", "onnx", "float16"),
        ("int8", "tflite", "int8"),
        ("int8", "tflite", "dynamic"),
        ("int8", "onnx", "dynamic"),
    ],
)
def test_the_broken_conv_is_the_first_layer_over_the_tolerance(
    runs: dict[str, CliRun], case: str, target: str, variant: str
) -> None:
    found = _localization(runs[case], target, variant)

    assert found["first_over"]["node"].startswith(f"{BROKEN_SCOPE}/"), found["first_over"]
    assert found["worst"][0]["node"].startswith(f"{BROKEN_SCOPE}/"), found["worst"]
    assert 4 <= found["mapped"] <= found["tensors"]


@pytest.mark.parametrize(
    ("case", "variant", "quantizer"),
    [
        ("int8", "dynamic", "ai-edge-quantizer's dynamic"),
        ("float16", "float16", "ai-edge-quantizer's float16"),
    ],
)
def test_keeping_the_broken_conv_in_float_fixes_the_file(
    runs: dict[str, CliRun], case: str, variant: str, quantizer: str
) -> None:
    found = _localization(runs[case], "tflite", variant)
    fix = found["keep_in_float"]
    assert fix["quantizer"].startswith(quantizer)

    # ai-edge-quantizer's recipe is first tried as is (it drifts too), then with one layer kept
    assert fix["within_tolerance"] and fix["tried"] == 2
    [layer] = fix["layers"]
    assert layer.startswith(f"{BROKEN_SCOPE}/")
    assert fix["worst_cosine"] >= 0.99 and fix["size_ratio"] > 1
    report_md = (runs[case].output_dir / "report.md").read_text()
    assert "### Where it drifts" in report_md
    assert f"with 1 layer(s) kept in float (`{layer}`), it **passes**" in report_md
    assert runs[case].artifact("tflite", variant)["status"] == "drift"  # advice only


def test_the_int8_mixed_file_keeps_the_broken_conv_in_float_and_passes(
    runs: dict[str, CliRun],
) -> None:
    run = runs["int8"]
    int8, mixed = run.artifact("tflite", "int8"), run.artifact("tflite", "int8-mixed")
    # the float16 run's net has the same layers and shapes: its float32 file is this one's size
    float32 = runs["float16"].artifact("tflite", "float32")

    assert (int8["status"], mixed["status"]) == ("drift", "passed"), mixed["reason"]
    assert mixed["tolerance"] == int8["tolerance"]
    kept = mixed["mixed_precision"]
    assert [layer["node"].split("/")[0] for layer in kept["kept"]] == [BROKEN_SCOPE]
    assert kept["tried"] == 1 and kept["kept"][0]["introduced"] > 0.01
    assert int8["size_bytes"] < mixed["size_bytes"] < float32["size_bytes"]
    assert abs(kept["int8_size_bytes"] - int8["size_bytes"]) < 0.05 * int8["size_bytes"]
    assert mixed["weight_types"].get("INT8") and mixed["weight_types"].get("FLOAT32")
    report_md = (run.output_dir / "report.md").read_text()
    assert f"keeps 1 layer(s) in float, the int8 file's worst: `{kept['kept'][0]['node']}`" in (
        report_md
    )


def test_when_no_set_passes_the_closest_file_is_written_and_says_how_many_were_tried(
    models: dict[str, Path], tmp_path: Path
) -> None:
    # A tolerance nothing short of float32 meets: every set of worst layers is tried, and the
    # file is the one whose worst cosine came closest.
    from hub_convert.convert.localize.float_layers import calibrate
    from hub_convert.convert.localize.int8_mixed import mix
    from hub_convert.convert.specs import ConversionJob
    from hub_convert.report.artifact import Tolerance

    _samples(models["int8"], tmp_path)
    job = ConversionJob(
        target="tflite",
        variant="int8-mixed",
        saved_model_dir=models["int8"],
        tags=["serve"],
        signature="serving_default",
        shapes={"image": (1, 16, 16, 3)},
        file_name="net_int8-mixed.tflite",
        staging_dir=tmp_path,
        samples_path=tmp_path / "samples.npz",
        tolerance=Tolerance(min_cosine=1 - 1e-9),
        opset=13,
        allow_flex=False,
        log_path=None,
        calibration_path=tmp_path / "calibration.npz",
    )

    model, mixed = mix(
        job, calibrate(models["int8"], "serving_default", tmp_path / "calibration.npz")
    )

    assert mixed.tried >= 2 and 1 <= len(mixed.kept) <= mixed.tried
    assert mixed.note == (
        f"no set of the {mixed.tried} worst weighted layers (at most 5) passes the int8 "
        f"tolerance; the closest ({len(mixed.kept)} kept) is the file"
    )
    assert mixed.int8_size_bytes < len(model)


def _samples(model: Path, into: Path) -> None:
    """``samples.npz`` (2) and ``calibration.npz`` (4) in ``into``: seeded images and the
    original's outputs, as a run writes them."""
    import tensorflow as tf

    from hub_convert.convert.samples import Samples

    serve = tf.saved_model.load(str(model)).signatures["serving_default"]
    images = np.random.default_rng(1).uniform(-1, 1, (6, 1, 16, 16, 3)).astype(np.float32)
    inputs = [{"image": image} for image in images]
    outputs = [
        {k: v.numpy() for k, v in serve(image=tf.constant(x["image"])).items()} for x in inputs
    ]
    Samples(["image"], ["scores"], inputs[:2], outputs[:2]).save(into / "samples.npz")
    Samples(["image"], ["scores"], inputs[2:], outputs[2:]).save(into / "calibration.npz")


def test_the_int8_proposal_is_measured_once_as_the_int8_mixed_file(
    runs: dict[str, CliRun], models: dict[str, Path], tmp_path: Path
) -> None:
    from hub_convert.convert.localize.float_layers import keep_in_float
    from hub_convert.convert.localize.spec import LocalizeSpec
    from hub_convert.report.artifact import Tolerance
    from hub_convert.report.localization import LayerError

    found = _localization(runs["int8"], "tflite", "int8")
    assert found["keep_in_float"] is None  # the run's int8-mixed file is that search
    assert "its worst layers kept in float: this run's int8-mixed file (passed)" in found["notes"]
    # The search the localization runs on its own (a run without int8-mixed), on this file
    _samples(models["int8"], tmp_path)
    artifact = runs["int8"].artifact("tflite", "int8")
    spec = LocalizeSpec(
        target="tflite",
        path=Path(artifact["path"]),
        saved_model_dir=models["int8"],
        signature="serving_default",
        samples_path=tmp_path / "samples.npz",
        tolerance=Tolerance.model_validate(artifact["tolerance"]),
        variant="int8",
        fixed_shape_dir=models["int8"],
        calibration_path=tmp_path / "calibration.npz",
    )

    worst = [LayerError.model_validate(w) for w in found["worst"]]

    fix = keep_in_float(spec, worst)

    assert fix is not None and fix.quantizer == "TensorFlow's quantizer, same calibration"
    assert fix.within_tolerance and fix.tried == 1 and fix.size_ratio > 1
    [layer] = fix.layers
    assert layer.startswith(f"{BROKEN_SCOPE}/")
    # The same search from the model the int8 conversion calibrated (kept, not redone): the
    # same file but for the converter's metadata record (about 150 bytes) the kept model lacks
    kept = dataclasses.replace(spec, calibrated_path=_kept_calibration(models["int8"], tmp_path))
    again = keep_in_float(kept, worst)
    assert again is not None and again.model_dump(exclude={"size_ratio"}) == fix.model_dump(
        exclude={"size_ratio"}
    )
    assert 0 < fix.size_ratio - again.size_ratio < 200 / artifact["size_bytes"]


def _kept_calibration(model: Path, into: Path) -> Path:
    """The calibrated model an int8 conversion of ``model`` keeps, as a run's work dir has it."""
    from hub_convert.convert.targets.tflite import convert_with
    from hub_convert.convert.targets.tflite_saved_model import converter_for

    conversion = convert_with(
        lambda: converter_for(model, "serving_default", {"serve"}),
        "the test's SavedModel",
        [],
        "int8",
        0,
        False,
        into / "calibration.npz",
        False,
    )
    assert conversion.model is not None and conversion.calibrated is not None
    path = into / "kept.calibrated.tflite"
    path.write_bytes(conversion.calibrated)
    return path


def test_the_original_is_run_once_per_node_for_the_files_sharing_a_sample(
    models: dict[str, Path],
) -> None:
    reference = load_reference(models["float16"], "serving_default")
    nodes = sorted(reference.nodes.values())[:6]
    sample = {"image": np.random.default_rng(0).uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32)}

    first = reference.run(sample, nodes[:4])
    second = reference.run(sample, nodes)

    assert all(second[node] is first[node] for node in first)  # fetched once, not again
    fresh = reference.run(dict(sample), nodes)  # another sample: run again, same values
    assert fresh.keys() == second.keys() and all(
        fresh[n] is not second[n] and np.array_equal(fresh[n], second[n]) for n in fresh
    )


def test_files_that_pass_cost_no_localization(runs: dict[str, CliRun]) -> None:
    for target in ("tflite", "onnx"):
        artifact = runs["float16"].artifact(target, "float32")
        assert artifact["status"] == "passed"
        assert artifact["localization"] is None
    assert (
        not any(s["stage"] == "localize" for s in runs["float16"].report["timings"]["stages"])
        or (runs["float16"].report["artifacts"])
    )


def test_the_log_names_the_layer(runs: dict[str, CliRun]) -> None:
    lines = [line for line in runs["float16"].stderr.splitlines() if "first over" in line]
    assert len(lines) == 2 and all(f" at {BROKEN_SCOPE}/" in line for line in lines), lines


def test_an_unmappable_file_says_how_much_it_mapped(models: dict[str, Path]) -> None:
    # A converted graph whose tensor names are not the original's (a converter that renames
    # everything): nothing is guessed, and the localization says it matched nothing.
    reference = load_reference(models["float16"], "serving_default")
    image = np.random.default_rng(0).uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32)
    value = np.zeros((1, 16, 16, 8), np.float32)
    run = ConvertedRun(
        [ConvertedTensor(str(i), [f"op_{i}"], "CONV_2D", [str(i - 1)], value) for i in (1, 2, 3)],
        graph_inputs=["0"],
    )

    found = localize_run(
        run, reference, {"image": image}, DEFAULT_TOLERANCES[("tflite", "float16")]
    )

    assert (found.tensors, found.mapped, found.first_over, found.worst) == (3, 0, None, [])
    assert found.notes == ["no tensor of the file could be matched to the original's graph"]


def test_the_node_data_overlays_the_file_in_model_explorer(runs: dict[str, CliRun]) -> None:
    # Read with Model Explorer's own types and matched against the graph its own TFLite
    # adapter shows: every key is a node's output tensor, the broken conv the reddest.
    from dacite import Config, from_dict
    from model_explorer.builtin_tflite_flatbuffer_adapter import BuiltinTfliteFlatbufferAdapter
    from model_explorer.node_data_builder import GraphNodeData

    artifact = runs["int8"].artifact("tflite", "int8")
    name = artifact["localization"]["node_data"]
    text = (runs["int8"].output_dir / name).read_text()
    data = from_dict(GraphNodeData, json.loads(text), config=Config(strict=True))
    collections = BuiltinTfliteFlatbufferAdapter().convert(artifact["path"], {})
    [graph] = [g for c in collections["graphCollections"] for g in c.graphs]
    outputs = {
        attr["value"]
        for node in graph["nodes"]
        for meta in node.get("outputsMetadata", [])
        for attr in meta["attrs"]
        if attr["key"] == "tensor_name"
    }

    assert data.results and set(data.results) <= outputs
    reddest = max(data.results, key=lambda key: data.results[key].value)
    assert reddest.startswith(f"{BROKEN_SCOPE}/")
    assert f"`{name}`" in (runs["int8"].output_dir / "report.md").read_text()
