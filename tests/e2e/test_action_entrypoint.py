"""entrypoint.py started like the runner starts a Docker action: env, workspace, files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from support.runner_env import run_action

pytestmark = pytest.mark.tf


@pytest.fixture
def workspace(tmp_path: Path, keras_model: Path) -> Path:
    ws = tmp_path / "workspace"
    (ws / "models").mkdir(parents=True)
    shutil.copytree(keras_model, ws / "models" / "classifier")
    return ws


def test_outputs_summary_and_files(workspace: Path) -> None:
    run = run_action(
        workspace,
        {
            "model": "models/classifier",
            "output-dir": "converted",
            "tflite-variants": "float32,float16",
            "latency-runs": "0",
        },
    )
    assert run.exit_code == 0, run.log
    out = run.outputs
    assert out["passed"] == "true"
    assert out["tflite-path"] == "converted/classifier_float32.tflite"
    assert out["onnx-path"] == "converted/classifier_float32.onnx"
    assert (workspace / out["tflite-path"]).is_file() and (workspace / out["onnx-path"]).is_file()
    artifacts = json.loads(out["artifacts"])
    assert [(a["target"], a["variant"], a["status"]) for a in artifacts] == [
        ("tflite", "float32", "passed"),
        ("tflite", "float16", "passed"),
        ("onnx", "float32", "passed"),
    ]
    for artifact in artifacts:
        assert (workspace / artifact["path"]).stat().st_size == artifact["size_bytes"]
    assert (workspace / out["report-path"]).is_file()
    # The step summary is the rendered report.
    assert "all 3 artifacts passed validation" in run.summary
    assert "classifier_float16.tflite" in run.summary
    # Stages are grouped in the log; the command to reproduce is given with workspace paths.
    assert "::group::Convert models/classifier" in run.log
    assert "hub-convert convert models/classifier --output-dir converted" in run.log
    # No comment on a push event, and no token leaked.
    assert out.get("comment-url", "") == ""


def test_bad_input_is_an_error_annotation_and_exit_2(workspace: Path) -> None:
    run = run_action(workspace, {"model": "models/missing", "output-dir": "converted"})
    assert run.exit_code == 2
    assert "::error::models/missing: no such file or directory" in run.log
    assert "Traceback" not in run.log
    assert not (workspace / "converted").exists()


def test_failed_artifact_exits_1_with_annotation(tmp_path: Path, lgamma_model: Path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(lgamma_model, ws / "lgamma")
    run = run_action(ws, {"model": "lgamma", "tflite-variants": "float32", "latency-runs": "0"})
    assert run.exit_code == 1, run.log
    assert run.outputs["passed"] == "false"
    assert run.outputs["onnx-path"] == ""
    assert run.outputs["tflite-path"] == "hub-convert-out/lgamma_float32.tflite"
    assert "::error" in run.log and "Lgamma" in run.log
