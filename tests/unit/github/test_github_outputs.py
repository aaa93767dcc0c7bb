"""Step outputs and annotations from a report, comment text, and file ownership."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from hub_convert.github.comment_body import comment_key, comment_marker, truncate_markdown
from hub_convert.github.ownership import chown_like_workspace
from hub_convert.github.step_outputs import annotate_report, report_outputs
from hub_convert.github.workflow_commands import WorkflowCommands
from hub_convert.report.artifact import OutputDrift
from support.github_fakes import write_report_dir
from support.report_factory import sample_report


def test_outputs_name_workspace_relative_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a Docker action runs in the workspace
    report = sample_report()
    out = write_report_dir(tmp_path, report)

    outputs = report_outputs(report, out)

    assert outputs["report-path"] == "out/report.md"
    assert outputs["report-json"] == "out/report.json"
    assert outputs["passed"] == "true"
    assert outputs["tflite-path"] == "out/tiny_float32.tflite"
    assert outputs["onnx-path"] == "out/tiny_float32.onnx"
    assert json.loads(outputs["artifacts"]) == [
        {
            "path": "out/tiny_float32.tflite",
            "target": "tflite",
            "variant": "float32",
            "status": "passed",
            "size_bytes": 1024,
        },
        {
            "path": "out/tiny_float32.onnx",
            "target": "onnx",
            "variant": "float32",
            "status": "passed",
            "size_bytes": 2048,
        },
    ]
    assert "\n" not in outputs["artifacts"] and ", " not in outputs["artifacts"]


def test_failed_or_missing_files_give_empty_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    report = sample_report(passed=False)
    out = write_report_dir(tmp_path, report)
    (out / "tiny_float32.tflite").unlink()
    (out / "report.md").unlink()

    outputs = report_outputs(report, out)

    assert (outputs["report-path"], outputs["report-json"]) == ("", "out/report.json")
    assert (outputs["passed"], outputs["tflite-path"], outputs["onnx-path"]) == ("false", "", "")
    assert [a["path"] for a in json.loads(outputs["artifacts"])] == [None, None]


def test_annotations_for_failed_and_drifting_artifacts() -> None:
    report = sample_report(passed=False)
    drifted = report.artifacts[0].model_copy(
        update={
            "status": "drift",
            "drift": [OutputDrift(output="y", max_abs=0.5, cosine=0.9, within_tolerance=False)],
        }
    )
    report = report.model_copy(
        update={"artifacts": [drifted, report.artifacts[1]], "fail_on": ["error"]}
    )
    log = io.StringIO()

    annotate_report(report, WorkflowCommands(log))

    assert log.getvalue().splitlines() == [
        "::warning title=hub-convert%3A tflite float32::tflite float32: output 'y' drifted: "
        "max abs 0.5, cosine 0.9 (tolerance max abs ≤ 0.0001)",
        "::error title=hub-convert%3A onnx float32::onnx float32: conversion failed: "
        "tf2onnx could not convert: Lgamma",
    ]


def test_comment_key_is_safe_inside_an_html_comment_and_stable() -> None:
    path = "https://tfhub.dev/google/x --> <b>evil</b>\n<!-- hub-convert:other -->"

    key = comment_key(path)

    assert "-->" not in comment_marker(key)[4:-4] and ">" not in key and " " not in key
    assert "\n" not in key and "<" not in key
    assert key == comment_key(path)
    long_key = comment_key("m" * 300)
    assert len(long_key) == 100 and long_key != comment_key("m" * 299)


def test_truncated_markdown_closes_open_blocks() -> None:
    text = "intro\n<details><summary>x</summary>\n\n```sh\n" + "line\n" * 500 + "```\n</details>\n"

    cut = truncate_markdown(text, 1000)

    assert len(cut) <= 1000
    assert cut.count("```") % 2 == 0
    assert cut.count("<details>") == cut.count("</details>")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_files_written_as_root_go_to_the_workspace_owner(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    out = workspace / "out" / "nested"
    out.mkdir(parents=True)
    (out / "model.tflite").write_bytes(b"x")
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("not in the workspace")
    os.chown(workspace, 1234, 2345)

    changed = chown_like_workspace([workspace / "out", outside], workspace)

    assert changed == 3
    for path in (workspace / "out", out, out / "model.tflite"):
        assert (path.stat().st_uid, path.stat().st_gid) == (1234, 2345)
    assert outside.stat().st_uid == 0
    assert chown_like_workspace([workspace / "out"], workspace) == 0  # already matching


def test_chown_is_a_no_op_for_a_root_owned_workspace(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    before = (tmp_path / "f").stat().st_uid

    # Not root: nothing to do. Root with a root-owned workspace (a local docker run): same.
    assert chown_like_workspace([tmp_path / "f"], tmp_path) == 0
    assert (tmp_path / "f").stat().st_uid == before
