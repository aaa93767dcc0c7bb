"""Quantized variants, calibration data, drift metrics, latency and the policy (issue 4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from support.cli import CliRun, run_cli
from support.cli_batch import run_cli_batch
from support.rejudge import rejudge

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def runs(
    classifier_model: Path,
    classifier_data: Path,
    determinant_model: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, CliRun]:
    """This module's conversions, two at a time (independent runs, each into its own
    directory ``out_<name>``; the files they read beside those directories)."""
    root = tmp_path_factory.mktemp("quantization")
    data_dir = root / "data"
    data_dir.mkdir()
    with np.load(classifier_data) as archive:
        np.save(data_dir / "features.npy", archive["features"])
    policy = root / "hub-convert.yml"
    policy.write_text("fail-on: [error]\ntolerances:\n  tflite:int8: {min_psnr_db: 200}\n")
    np.savez(root / "bad.npz", feature=np.zeros((4, 16), np.float32))
    np.savez(root / "shape.npz", features=np.zeros((4, 15), np.float32))
    np.savez(root / "dtype.npz", features=np.zeros((4, 16), np.int32))
    tflite_only = ("--targets", "tflite", "--latency-runs", "0")
    commands: dict[str, tuple[str | Path, ...]] = {
        "int8": (
            classifier_model,
            *("--tflite-variants", "float32,dynamic,int8,int16x8"),
            *("--onnx-variants", "float32,float16,dynamic"),
            *("--representative-data", classifier_data),
            *("--calibration-samples", "32", "--samples", "16"),
            # a model this small gets one worker by default; two load TF's latency early
            *("--jobs", "2"),
        ),
        "npy dir": (
            classifier_model, *tflite_only, "--tflite-variants", "int8", "--int8-io", "int8",
            "--representative-data", data_dir, "--calibration-samples", "32", "--samples", "16",
        ),
        "synthetic": (
            classifier_model, *tflite_only, "--tflite-variants", "int8",
            "--calibration-samples", "16",
        ),
        "policy": (
            classifier_model, *tflite_only, "--tflite-variants", "int8",
            "--representative-data", classifier_data, "--policy", policy,
        ),
        "bad": (
            classifier_model, "--tflite-variants", "int8",
            "--representative-data", root / "bad.npz",
        ),
        "shape": (classifier_model, "--representative-data", root / "shape.npz"),
        "dtype": (classifier_model, "--representative-data", root / "dtype.npz"),
        "no flex": (
            determinant_model, "--targets", "tflite", "--tflite-variants", "float32",
            "--no-allow-flex",
        ),
    }  # fmt: skip
    return run_cli_batch(
        {
            name: (
                "convert",
                model,
                "--output-dir",
                root / f"out_{name.replace(' ', '_')}",
                *options,
            )
            for name, (model, *options) in commands.items()
        }
    )


@pytest.fixture(scope="module")
def int8_run(runs: dict[str, CliRun]) -> CliRun:
    """TFLite float32, dynamic, int8, int16x8 and ONNX float32, float16, dynamic, calibrated
    on the classifier's .npz, two workers."""
    return runs["int8"]


def test_int8_and_int16x8_calibrated_on_npz(int8_run: CliRun) -> None:
    assert int8_run.exit_code == 0, int8_run.stderr + int8_run.stdout
    report = int8_run.report
    validation = report["validation"]
    assert validation["data_source"].endswith("classifier_data.npz")
    assert validation["samples"] == 16
    assert (
        "32 samples for calibration, the last 16 (disjoint) for validation"
        in validation["calibration"]
    )
    assert validation["warnings"] == []  # real data given: no random-calibration warning
    float32 = int8_run.artifact("tflite", "float32")
    for variant in ("int8", "int16x8"):
        artifact = int8_run.artifact("tflite", variant)
        assert artifact["status"] == "passed", artifact
        assert artifact["size_bytes"] < float32["size_bytes"]
        (drift,) = artifact["drift"]
        assert drift["cosine"] >= artifact["tolerance"]["min_cosine"]
        assert drift["psnr_db"] >= artifact["tolerance"]["min_psnr_db"]
        assert drift["max_abs"] > 0  # quantized: not bit-identical to the original
    # The written int8 file really is integer-quantized.
    counts = int8_run.artifact("tflite", "int8")["coverage"]["output_op_counts"]
    assert "QUANTIZE" in counts and "FULLY_CONNECTED" in counts
    assert int8_run.artifact("tflite", "int8")["weight_types"]["INT8"] == 2
    assert "INT8" not in float32["weight_types"]
    assert int8_run.artifact("tflite", "int8")["notes"] == []


def test_dynamic_variant_that_quantized_nothing_says_so(int8_run: CliRun) -> None:
    """The classifier's weights are all under 1024 elements: TFLite keeps them float32."""
    run = int8_run
    assert run.exit_code == 0, run.stderr
    dynamic, float32 = run.artifact("tflite", "dynamic"), run.artifact("tflite", "float32")
    assert dynamic["weight_types"] == float32["weight_types"] == {"FLOAT32": 3}
    # ai-edge-quantizer derived it from the float32 file and wrote it again (its own
    # metadata: 24 bytes less here): the same weights, nearly the same size.
    assert dynamic["made_by"] == "ai-edge-quantizer"
    assert abs(dynamic["size_bytes"] - float32["size_bytes"]) < 0.02 * float32["size_bytes"]
    (note,) = dynamic["notes"]
    assert note.startswith("no weight tensor was quantized")
    assert f"**tflite dynamic**: {note}" in (run.output_dir / "report.md").read_text()


def test_classifier_top1_and_top5_agreement(int8_run: CliRun) -> None:
    for artifact in int8_run.report["artifacts"]:
        (drift,) = artifact["drift"]
        assert drift["top1_agreement"] is not None, artifact["variant"]
        assert drift["top5_agreement"] is not None
        assert drift["top5_agreement"] >= drift["top1_agreement"]
    assert int8_run.artifact("tflite", "float32")["drift"][0]["top1_agreement"] == 1.0
    assert int8_run.artifact("onnx", "float32")["drift"][0]["top1_agreement"] == 1.0
    markdown = (int8_run.output_dir / "report.md").read_text()
    assert "| top-1 |" in markdown and "100.0%" in markdown


def test_onnx_float16_and_dynamic_variants(int8_run: CliRun) -> None:
    import onnx

    float16 = int8_run.artifact("onnx", "float16")
    dynamic = int8_run.artifact("onnx", "dynamic")
    assert float16["status"] == "passed" and dynamic["status"] == "passed"
    model = onnx.load(float16["path"])
    # IO kept float32 by default; weights inside are float16.
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert any(init.data_type == onnx.TensorProto.FLOAT16 for init in model.graph.initializer)
    assert "MatMulInteger" in dynamic["coverage"]["output_op_counts"] or any(
        "Integer" in op or "Quant" in op for op in dynamic["coverage"]["output_op_counts"]
    )


def test_latency_is_measured_for_every_runtime(int8_run: CliRun) -> None:
    report = int8_run.report
    assert report["validation"]["latency_runs"] == 20
    tf_ms = report["validation"]["tensorflow_latency_ms"]
    assert tf_ms > 0
    for artifact in report["artifacts"]:
        assert artifact["latency_ms"] > 0, artifact["variant"]
        assert artifact["speedup_vs_tensorflow"] == pytest.approx(tf_ms / artifact["latency_ms"])
    assert "measured on this machine's CPU" in (int8_run.output_dir / "report.md").read_text()


def test_with_two_workers_every_latency_ends_after_every_conversion(int8_run: CliRun) -> None:
    """TensorFlow's latency task may load its model while the last conversions run (two
    workers; tests/unit/run/test_latency_stage.py shows the overlap), but no runtime is timed
    while one runs."""
    stages = int8_run.report["timings"]["stages"]
    assert int8_run.report["timings"]["workers"] == 2

    def end(stage: dict[str, Any]) -> float:
        return float(stage["start_seconds"] + stage["seconds"])

    work = [s for s in stages if s["stage"] in ("convert", "validate")]
    latency = [s for s in stages if s["stage"] == "latency"]
    tensorflow = next(s for s in latency if s["target"] is None)
    assert len(work) == 14 and len(latency) == 8
    assert end(tensorflow) >= max(end(s) for s in work)
    others = [s for s in latency if s["target"] is not None]
    assert min(s["start_seconds"] for s in others) >= max(end(s) for s in work)


def test_same_run_with_a_directory_of_npy_files(runs: dict[str, CliRun]) -> None:
    run = runs["npy dir"]
    assert run.exit_code == 0, run.stderr
    artifact = run.artifact("tflite", "int8")
    assert artifact["status"] == "passed"
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_path=artifact["path"]).get_signature_runner("serving_default")
    assert runner.get_input_details()["features"]["dtype"] == np.int8
    # int8 outputs were dequantized before comparison: the metrics are on the float scale.
    assert artifact["drift"][0]["cosine"] > 0.99
    assert run.report["validation"]["latency_runs"] == 0
    assert artifact["latency_ms"] is None


def test_mismatched_npz_is_a_clear_input_error(runs: dict[str, CliRun]) -> None:
    bad = runs["bad"].output_dir.parent / "bad.npz"
    run = runs["bad"]
    assert run.exit_code == 2
    error = run.stderr.strip().splitlines()[-1]
    assert error == (
        f"hub-convert: error: --representative-data {bad}: no array for input(s) features; "
        "array(s) feature match no input (signature inputs: features)"
    )
    run = runs["shape"]
    assert run.exit_code == 2
    assert "dimension 1 of the input is 16" in run.stderr
    run = runs["dtype"]
    assert run.exit_code == 2
    assert "array 'features' is int32, the input is float32" in run.stderr
    assert not [name for name in ("bad", "shape", "dtype") if runs[name].output_dir.exists()]


def test_synthetic_calibration_warns_loudly(runs: dict[str, CliRun]) -> None:
    run = runs["synthetic"]
    assert run.report["validation"]["warnings"][0].startswith(
        "Quantized variants were calibrated on random synthetic inputs"
    )
    assert "[!WARNING]" in (run.output_dir / "report.md").read_text()


def test_policy_file_tightens_a_tolerance_and_fail_on_decides(runs: dict[str, CliRun]) -> None:
    lenient = runs["policy"]
    assert lenient.exit_code == 0, lenient.stderr
    artifact = lenient.artifact("tflite", "int8")
    assert artifact["status"] == "drift"
    assert artifact["tolerance"] == {
        "max_abs": None,
        "max_rel": None,
        "min_cosine": 0.99,
        "min_psnr_db": 200.0,
        "whole_min_cosine": None,
        "whole_min_psnr_db": None,
    }
    assert lenient.report["fail_on"] == ["error"]
    # --fail-on on the command line wins over the policy file's: the same report judged again.
    strict = rejudge(lenient.output_dir / "report.json", "--fail-on", "error,drift")
    assert strict.report.fail_on == ["error", "drift"]
    assert strict.exit_code == 1
    assert strict.report.verdict.failures == ["tflite int8: drift (rule drift)"]
    assert "tflite int8: drift (rule drift)" in strict.markdown


def test_bad_policy_file(classifier_model: Path, tmp_path: Path) -> None:
    policy = tmp_path / "p.yml"
    policy.write_text("tolerances:\n  tflite:int9: {max_abs: 1}\n")
    run = run_cli("convert", classifier_model, "--output-dir", tmp_path / "o", "--policy", policy)
    assert run.exit_code == 2
    assert "unknown variant in 'tflite:int9'" in run.stderr
    policy.write_text("tolerances:\n  int8: {max_abs: 1, min_cos: 0.9}\n")
    run = run_cli("convert", classifier_model, "--output-dir", tmp_path / "o", "--policy", policy)
    assert run.exit_code == 2
    assert "tolerances.int8.min_cos" in run.stderr


def test_flex_only_op_is_not_validated_never_passed(
    determinant_run: CliRun, runs: dict[str, CliRun]
) -> None:
    run = determinant_run
    assert run.exit_code == 0, run.stderr  # default fail-on is error,drift
    artifact = run.artifact("tflite", "float32")
    assert artifact["status"] == "not-validated"
    assert artifact["coverage"]["flex_ops"] == ["MatrixDeterminant"]
    assert "FlexMatrixDeterminant" in artifact["coverage"]["output_op_counts"]
    assert "Flex" in artifact["reason"] and artifact["drift"] == []
    assert Path(artifact["path"]).is_file()
    assert run.artifact("onnx", "float32")["status"] == "passed"
    flex_fails = rejudge(run.output_dir / "report.json", "--fail-on", "error,flex")
    assert flex_fails.exit_code == 1
    assert flex_fails.report.verdict.failures == ["tflite float32: not-validated (rule flex)"]
    no_flex = runs["no flex"]
    assert no_flex.exit_code == 1
    failed = no_flex.artifact("tflite", "float32")
    assert failed["status"] == "failed"
    assert [u["op"] for u in failed["coverage"]["unsupported_ops"]] == ["MatrixDeterminant"]


def test_every_failed_conversion_attempt_is_recorded(determinant_run: CliRun) -> None:
    artifact = determinant_run.artifact("tflite", "float32")
    assert artifact["status"] == "not-validated"  # converted with Flex, which LiteRT cannot run
    [attempt] = artifact["attempts"]
    assert attempt.startswith("builtins, from the signature at the validation shape: ")
