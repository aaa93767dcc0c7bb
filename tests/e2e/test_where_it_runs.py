"""Where it runs, end to end through the CLI: ``--require`` rules failing a run with one line
and passing a model every runtime takes whole; each ONNX file run at a second shape, a batch
fixed inside the model failing there with the shape named; the ONNX Runtime format file made,
loaded and validated like the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub_convert.convert.targets.onnx_ort import FILE_IDENTIFIER
from support.cli import CliRun
from support.cli_batch import run_cli_batch
from support.models.device_models import open_batch_functions, saved_model
from support.rejudge import rejudge

pytestmark = pytest.mark.tf

QUICK = ("--latency-runs", "0", "--tflite-variants", "float32")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CliRun]:
    """Three small models, each converted once (two at a time)."""
    root = tmp_path_factory.mktemp("where_it_runs")
    functions = open_batch_functions()
    commands: dict[str, tuple[str | Path, ...]] = {
        "plain": (*QUICK, "--require", "xnnpack-full", "--onnx-variants", "float32,ort"),
        "topk_rfft": (*QUICK, "--targets", "tflite", "--require", "xnnpack-full"),
        "batch_one_inside": (*QUICK, "--targets", "onnx"),
    }
    return run_cli_batch(
        {
            name: (
                "convert",
                saved_model(functions[name], root / name),
                "--output-dir",
                root / f"out_{name}",
                *options,
            )
            for name, options in commands.items()
        }
    )


def test_a_require_rule_fails_the_run_with_one_line(runs: dict[str, CliRun]) -> None:
    run = runs["topk_rfft"]

    assert run.exit_code == 1, run.stderr
    report = run.report
    assert report["require"] == ["xnnpack-full"]
    assert run.artifact("tflite", "float32")["status"] == "passed"
    [line] = report["verdict"]["failures"]
    assert line.startswith("tflite float32: ") and line.endswith("(rule xnnpack-full)")
    assert "ops on XNNPACK" in line and "TOPK_V2" in line and "RFFT2D" in line
    assert "rule xnnpack-full" in (run.output_dir / "report.md").read_text()


def test_a_model_every_runtime_takes_passes_the_require_rules(runs: dict[str, CliRun]) -> None:
    run = runs["plain"]

    assert run.exit_code == 0, run.stderr
    assert run.report["verdict"]["failures"] == []
    strict = rejudge(run.output_dir / "report.json", "--require", "xnnpack-full,nnapi-full")
    assert strict.exit_code == 0, strict.report.verdict.failures


def test_a_deterministic_original_is_not_flagged_random(runs: dict[str, CliRun]) -> None:
    for run in runs.values():  # prepare ran each original twice on its first sample
        assert run.report["validation"]["nondeterminism"] is None
        notes = [n for a in run.report["artifacts"] for n in a["notes"]]
        assert not [n for n in notes if "random ops" in n]


def test_the_policy_file_can_require_too(runs: dict[str, CliRun], tmp_path: Path) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text("require: [xnnpack-full]\n")
    run = runs["topk_rfft"]

    judged = rejudge(run.output_dir / "report.json", "--require", "", "--policy", str(policy))

    assert judged.exit_code == 1
    assert judged.report.require == ["xnnpack-full"]


def test_an_onnx_file_with_open_dimensions_passes_at_a_second_shape(
    runs: dict[str, CliRun],
) -> None:
    artifact = runs["plain"].artifact("onnx", "float32")

    assert artifact["status"] == "passed"
    [check] = artifact["device"]["shape_checks"]
    assert check["passed"] and check["problem"] is None
    [(name, shape)] = check["shapes"].items()
    validated = runs["plain"].report["source"]["inputs"][0]["validation_shape"]
    assert name == "x" and shape[0] == 2 * validated[0]  # another batch
    assert shape[1:3] == [validated[1] // 2, validated[2] // 2]  # and another image size


def test_a_batch_fixed_inside_fails_at_the_second_shape(runs: dict[str, CliRun]) -> None:
    run = runs["batch_one_inside"]

    assert run.exit_code == 1, run.stderr
    artifact = run.artifact("onnx", "float32")
    assert artifact["status"] == "failed"
    assert artifact["drift"], "validated at its validation shape first"
    assert all(d["within_tolerance"] for d in artifact["drift"])
    reason = artifact["reason"]
    assert "declares its batch open but breaks at x: 2×16×16×3" in reason
    assert "the batch is fixed inside the model" in reason
    assert artifact["device"]["shape_checks"][0]["shapes"] == {"x": [2, 16, 16, 3]}


def test_the_ort_file_is_validated_like_the_float32_onnx_file(runs: dict[str, CliRun]) -> None:
    import numpy as np
    import onnxruntime as ort

    run = runs["plain"]
    artifact = run.artifact("onnx", "ort")
    float32 = run.artifact("onnx", "float32")

    path = run.output_dir / artifact["path"]
    assert path.name == "plain.ort" and path.is_file()
    data = path.read_bytes()
    assert data[4:8] == FILE_IDENTIFIER
    assert artifact["size_bytes"] == len(data)
    assert artifact["status"] == "passed", artifact["reason"]
    assert artifact["tolerance"] == float32["tolerance"]
    assert [d["output"] for d in artifact["drift"]] == [d["output"] for d in float32["drift"]]
    assert all(d["within_tolerance"] and d["max_abs"] is not None for d in artifact["drift"])
    assert any("'Runtime' optimization style" in note for note in artifact["notes"])
    assert artifact["coverage"]["output_op_counts"], "ops read from the .ort file itself"
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    [x] = session.get_inputs()
    shape = [2 if not isinstance(d, int) else d for d in x.shape]
    assert session.run(None, {x.name: np.zeros(shape, np.float32)})
    device = artifact["device"]
    assert device["checked_on"].startswith("the float32 .onnx file this .ort was made from")
    assert device["mobile"] == float32["device"]["mobile"]
    assert device["opset"] == float32["device"]["opset"]
    assert device["shape_checks"][0]["passed"], "the .ort itself runs at the second shape"
    assert "onnx ort" in (run.output_dir / "report.md").read_text()
