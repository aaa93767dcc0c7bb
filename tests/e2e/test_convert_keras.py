"""End to end through the CLI: a Keras 3 export becomes TFLite and ONNX files that really run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from support.cli import CliRun, run_cli

pytestmark = pytest.mark.tf


def test_exit_code_and_every_artifact_passed(keras_run: CliRun) -> None:
    assert keras_run.exit_code == 0, keras_run.stderr
    statuses = {(a["target"], a["variant"]): a["status"] for a in keras_run.report["artifacts"]}
    assert statuses == {
        ("tflite", "float32"): "passed",
        ("tflite", "dynamic"): "passed",
        ("tflite", "float16"): "passed",
        ("onnx", "float32"): "passed",
    }
    assert "PASSED" in keras_run.stdout


def test_files_load_and_match_tensorflow_independently(
    keras_run: CliRun, keras_model: Path
) -> None:
    """Re-run the written files here, outside hub-convert, against TensorFlow itself."""
    import onnxruntime as ort
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    image = np.random.default_rng(42).uniform(-1, 1, size=(1, 32, 32, 3)).astype(np.float32)
    expected = (
        tf.saved_model.load(str(keras_model))
        .signatures["serving_default"](image=tf.constant(image))["output_0"]
        .numpy()
    )

    tflite_path = keras_run.artifact("tflite", "float32")["path"]
    runner = Interpreter(model_path=tflite_path).get_signature_runner("serving_default")
    np.testing.assert_allclose(runner(image=image)["output_0"], expected, atol=1e-5)

    session = ort.InferenceSession(keras_run.artifact("onnx", "float32")["path"])
    (got,) = session.run(["output_0"], {"image": image})
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_drift_metrics_are_measured_and_within_tolerance(keras_run: CliRun) -> None:
    for artifact in keras_run.report["artifacts"]:
        (drift,) = artifact["drift"]
        assert drift["output"] == "output_0"
        assert drift["within_tolerance"] is True
        for metric in ("max_abs", "mean_abs", "rmse", "cosine"):
            assert isinstance(drift[metric], float)
        assert 0 <= drift["mean_abs"] <= drift["max_abs"]
        assert drift["cosine"] > 0.99
        tolerance = artifact["tolerance"]
        if tolerance["max_abs"] is not None:
            assert drift["max_abs"] <= tolerance["max_abs"]
    # Quantized weights must actually differ from the float model, or nothing was quantized.
    assert keras_run.artifact("tflite", "dynamic")["drift"][0]["max_abs"] > 0


def test_sizes_are_real_file_sizes(keras_run: CliRun, keras_model: Path) -> None:
    report = keras_run.report
    source_bytes = sum(p.stat().st_size for p in keras_model.rglob("*") if p.is_file())
    assert report["source"]["size_bytes"] == source_bytes
    for artifact in report["artifacts"]:
        size = Path(artifact["path"]).stat().st_size
        assert artifact["size_bytes"] == size
        assert artifact["size_ratio"] == pytest.approx(size / source_bytes)
    float32 = keras_run.artifact("tflite", "float32")["size_bytes"]
    assert keras_run.artifact("tflite", "float16")["size_bytes"] < float32
    assert keras_run.artifact("tflite", "dynamic")["size_bytes"] < float32


def test_dynamic_and_float16_are_derived_from_the_float32_file(keras_run: CliRun) -> None:
    """TensorFlow's converter makes the float32 file; ai-edge-quantizer derives the other two
    from it (a fraction of a conversion's time), each holding its variant's weight type."""
    made_by = {
        v: keras_run.artifact("tflite", v)["made_by"] for v in ("float32", "dynamic", "float16")
    }
    assert made_by == {
        "float32": "TFLiteConverter",
        "dynamic": "ai-edge-quantizer",
        "float16": "ai-edge-quantizer",
    }
    assert "INT8" in keras_run.artifact("tflite", "dynamic")["weight_types"]
    assert "FLOAT16" in keras_run.artifact("tflite", "float16")["weight_types"]
    assert keras_run.artifact("onnx", "float32")["made_by"] is None
    markdown = (keras_run.output_dir / "report.md").read_text()
    assert "ai-edge-quantizer" in markdown


def test_op_coverage_sees_inside_keras_functions(keras_run: CliRun) -> None:
    source_ops = keras_run.report["source"]["op_counts"]
    # Keras 3 export keeps its layers' ops inside library functions, not in the top graph.
    for op in ("Conv2D", "DepthwiseConv2dNative", "MatMul", "Softmax"):
        assert source_ops.get(op, 0) >= 1, op
    tflite = keras_run.artifact("tflite", "float32")["coverage"]
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX"} <= set(
        tflite["output_op_counts"]
    )
    assert "Conv2D" in tflite["converted_ops"]
    assert tflite["flex_ops"] == [] and tflite["unsupported_ops"] == []
    onnx = keras_run.artifact("onnx", "float32")["coverage"]
    assert {"Conv", "Gemm", "Softmax"} & set(onnx["output_op_counts"]) >= {"Conv", "Softmax"}
    assert onnx["unsupported_ops"] == []


def test_report_json_carries_source_environment_and_command(keras_run: CliRun) -> None:
    report = keras_run.report
    assert report["schema_version"] == 4
    source = report["source"]
    assert source["kind"] == "saved_model"
    assert source["signature"] == "serving_default"
    assert source["tags"] == ["serve"]
    (image,) = source["inputs"]
    assert image == {
        "name": "image",
        "dtype": "float32",
        "shape": [None, 32, 32, 3],
        "validation_shape": [1, 32, 32, 3],
    }
    assert source["fixed_dimensions"] == ["image[0] = 1 (dynamic batch; set with --input-shape)"]
    versions = report["environment"]["versions"]
    for package in (
        "tensorflow",
        "tf2onnx",
        "onnx",
        "onnxruntime",
        "ai-edge-litert",
        "numpy",
        "protobuf",
    ):
        assert versions[package][0].isdigit(), package
    assert report["command"].startswith("hub-convert convert ")
    for artifact in report["artifacts"]:
        assert artifact["conversion_seconds"] > 0
    # TFLite files are converted at the validation shape; ONNX keeps the dynamic batch.
    for variant in ("float32", "dynamic", "float16"):
        assert keras_run.artifact("tflite", variant)["input_shapes"] == {"image": [1, 32, 32, 3]}
    assert keras_run.artifact("onnx", "float32")["input_shapes"] == {"image": [None, 32, 32, 3]}


def test_report_md_shows_measured_numbers(keras_run: CliRun) -> None:
    markdown = (keras_run.output_dir / "report.md").read_text()
    first_line_with_text = next(line for line in markdown.splitlines() if line.startswith("**"))
    assert "all 4 artifacts passed" in first_line_with_text
    report = keras_run.report
    for artifact in report["artifacts"]:
        assert Path(artifact["path"]).name in markdown
    assert "Per-output drift" in markdown and "Op coverage" in markdown
    assert "tensorflow 2." in markdown
    assert report["command"] in markdown


def test_report_and_log_say_where_the_time_went(keras_run: CliRun) -> None:
    timings = keras_run.report["timings"]
    stages = [(s["stage"], s["target"], s["variant"]) for s in timings["stages"]]
    for stage in ("resolve", "start", "scan", "load", "reference", "export", "report"):
        assert (stage, None, None) in stages, stage
    assert ("latency", None, None) in stages  # the original, in TensorFlow
    for artifact in keras_run.report["artifacts"]:
        for stage in ("convert", "validate", "latency"):
            assert (stage, artifact["target"], artifact["variant"]) in stages
    assert timings["workers"] >= 1
    for s in timings["stages"]:
        assert s["start_seconds"] >= 0 and s["start_seconds"] + s["seconds"] <= (
            timings["total_seconds"] + 0.5
        ), s
    convert = next(s for s in timings["stages"] if s["stage"] == "convert")
    artifact = keras_run.artifact(convert["target"], convert["variant"])
    assert convert["seconds"] == artifact["conversion_seconds"]
    # ONNX needs no validation inputs: it is converted before the original is prepared.
    onnx = next(s for s in timings["stages"] if s["stage"] == "convert" and s["target"] == "onnx")
    reference = next(s for s in timings["stages"] if s["stage"] == "reference")
    assert onnx["start_seconds"] < reference["start_seconds"] + reference["seconds"]
    markdown = (keras_run.output_dir / "report.md").read_text()
    assert "Where the time went" in markdown and "| convert tflite float16 |" in markdown
    assert re.search(
        r"  tflite float16: passed \(converted in [0-9.]+ s, validated in", keras_run.stderr
    )
    assert re.search(r"^done in [0-9.]+ s$", keras_run.stderr, re.MULTILINE)


def test_no_partial_files_left_behind(keras_run: CliRun) -> None:
    names = sorted(p.name for p in keras_run.output_dir.iterdir())
    assert not [n for n in names if n.endswith(".partial") or n.startswith(".")]
    assert "report.json" in names and "report.md" in names


def test_ordinary_models_keep_their_weights_inside(keras_run: CliRun) -> None:
    """No ONNX external data below the big-model threshold (tests/e2e/test_big_models.py
    lowers it to take that path)."""
    artifact = keras_run.artifact("onnx", "float32")
    assert artifact["external_data"] is None
    assert not list(keras_run.output_dir.glob("*.data"))


def test_keras_2_0_gru_without_reset_after_loads_as_keras_2_0_computed_it(
    tmp_path: Path,
) -> None:
    """Keras 2.0 wrote no ``reset_after`` into a GRU's config (it always computed with
    reset_after=False); tf_keras assumes True, whose weights have another shape."""
    import h5py
    import numpy as np
    import tf_keras

    inputs = tf_keras.Input(shape=(12, 4), name="series")
    outputs = tf_keras.layers.Dense(2)(tf_keras.layers.GRU(8, reset_after=False)(inputs))
    model = tf_keras.Model(inputs, outputs)
    path = tmp_path / "gru_keras20.h5"
    model.save(path)
    with h5py.File(path, "r+") as h5:  # the config as Keras 2.0 wrote it
        config = json.loads(h5.attrs["model_config"])
        for layer in config["config"]["layers"]:
            layer["config"].pop("reset_after", None)
        h5.attrs["model_config"] = json.dumps(config)
    sample = np.random.default_rng(0).uniform(-1, 1, size=(1, 12, 4)).astype(np.float32)
    expected = model(sample).numpy()

    run = run_cli(
        "convert", path, "--output-dir", tmp_path / "out", "--targets", "onnx",
        "--latency-runs", "0",
    )  # fmt: skip

    assert run.exit_code == 0, run.stderr
    assert (
        "Keras 2.0 defaults restored: GRU reset_after=False"
        in (run.report["source"]["provenance"]["loaded_with"])
    )
    assert run.artifact("onnx", "float32")["status"] == "passed"
    import onnxruntime as ort

    session = ort.InferenceSession(str(tmp_path / "out" / "gru_keras20_float32.onnx"))
    [got] = session.run(None, {"series": sample})
    np.testing.assert_allclose(got, expected, atol=1e-5)  # what the Keras 2.0 model computes
