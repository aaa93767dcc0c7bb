"""Signatures, several inputs and outputs, and an op one converter cannot handle."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cli import run_cli
from support.rejudge import rejudge

pytestmark = pytest.mark.tf


def test_default_signature_is_serving_default_and_others_are_listed(
    two_signature_model: Path, tmp_path: Path
) -> None:
    run = run_cli(
        "convert", two_signature_model, "--output-dir", tmp_path, "--tflite-variants", "float32"
    )
    assert run.exit_code == 0, run.stderr
    source = run.report["source"]
    assert source["signature"] == "serving_default"
    assert source["available_signatures"] == ["serving_default", "square"]
    assert [o["name"] for o in source["outputs"]] == ["doubled"]
    assert "also available: `square`" in (tmp_path / "report.md").read_text()


def test_signature_option_converts_that_signature(
    two_signature_model: Path, tmp_path: Path
) -> None:
    run = run_cli(
        "convert",
        two_signature_model,
        "--output-dir",
        tmp_path,
        "--signature",
        "square",
        "--tflite-variants",
        "float32",
    )
    assert run.exit_code == 0, run.stderr
    assert run.report["source"]["signature"] == "square"
    for artifact in run.report["artifacts"]:
        assert [d["output"] for d in artifact["drift"]] == ["squared"]
        assert artifact["status"] == "passed"


def test_two_inputs_two_outputs_each_output_compared(multi_io_model: Path, tmp_path: Path) -> None:
    run = run_cli(
        "convert",
        multi_io_model,
        "--output-dir",
        tmp_path,
        "--input-shape",
        "features=2x4",
        "--input-shape",
        "tokens=2x6",
        "--samples",
        "5",
    )
    assert run.exit_code == 0, run.stderr
    report = run.report
    inputs = {t["name"]: t for t in report["source"]["inputs"]}
    assert inputs["features"]["dtype"] == "float32"
    assert inputs["tokens"]["dtype"] == "int32"
    assert inputs["tokens"]["validation_shape"] == [2, 6]
    assert report["validation"]["samples"] == 5
    assert "tokens[0] = 2 (from --input-shape)" in report["source"]["fixed_dimensions"]
    for artifact in report["artifacts"]:
        by_output = {d["output"]: d for d in artifact["drift"]}
        assert set(by_output) == {"best", "score"}, artifact["variant"]
        assert artifact["status"] == "passed", artifact
    # The int32 argmax output must agree exactly in the float32 artifacts.
    assert {d["output"]: d for d in run.artifact("onnx", "float32")["drift"]}["best"][
        "max_abs"
    ] == 0
    assert (
        "GatherV2" in report["source"]["op_counts"]
        or "ResourceGather" in report["source"]["op_counts"]
    )


def test_lgamma_fails_onnx_naming_the_op_while_tflite_passes(
    lgamma_model: Path, tmp_path: Path
) -> None:
    # float16 left out: its TFLite lgamma loses 1.7 % near lgamma's zeros (PSNR 38 dB), a
    # real float16 drift that this test is not about.
    variants = ("--tflite-variants", "float32,dynamic")
    run = run_cli("convert", lgamma_model, "--output-dir", tmp_path, *variants)
    assert run.exit_code == 1
    onnx = run.artifact("onnx", "float32")
    assert onnx["status"] == "failed"
    assert "Lgamma" in onnx["reason"]
    assert onnx["path"] is None
    assert not list(tmp_path.glob("*.onnx")), "no unusable ONNX file may be written"
    assert [u["op"] for u in onnx["coverage"]["unsupported_ops"]] == ["Lgamma"]
    for variant in ("float32", "dynamic"):
        assert run.artifact("tflite", variant)["status"] == "passed", variant
    verdict = run.report["verdict"]
    assert verdict["passed"] is False
    assert verdict["failures"] == ["onnx float32: failed (rule error)"]
    assert "FAILED" in run.stdout
    # Only the ONNX target: the policy fails. Only TFLite: it passes.
    tflite_only = rejudge(tmp_path / "report.json", "--targets", "tflite")
    assert tflite_only.exit_code == 0, tflite_only.report.verdict


def test_max_drift_override_turns_a_pass_into_drift(keras_model: Path, tmp_path: Path) -> None:
    run = run_cli(
        "convert",
        keras_model,
        "--output-dir",
        tmp_path,
        "--targets",
        "tflite",
        "--tflite-variants",
        "dynamic",
        "--max-drift",
        "dynamic=1e-12",
    )
    assert run.exit_code == 1
    artifact = run.artifact("tflite", "dynamic")
    assert artifact["status"] == "drift"
    assert artifact["tolerance"]["max_abs"] == 1e-12
    assert artifact["drift"][0]["within_tolerance"] is False
    # The file is still written: a drifting model is kept for inspection.
    assert Path(artifact["path"]).is_file()
    # Drift not in --fail-on: reported, exit 0.
    lenient = rejudge(tmp_path / "report.json", "--fail-on", "error")
    assert lenient.exit_code == 0
    (drifting,) = lenient.report.artifacts
    assert (drifting.target, drifting.variant, drifting.status) == ("tflite", "dynamic", "drift")


def test_mixed_case_signature_names_survive_onnx(mixed_case_model: Path, tmp_path: Path) -> None:
    import onnxruntime as ort

    run = run_cli("convert", mixed_case_model, "--output-dir", tmp_path, "--targets", "onnx")
    assert run.exit_code == 0, run.stderr
    artifact = run.artifact("onnx", "float32")
    assert artifact["status"] == "passed"
    session = ort.InferenceSession(artifact["path"])
    assert [i.name for i in session.get_inputs()] == ["Feat_In"]
    assert [o.name for o in session.get_outputs()] == ["Out_Y"]
