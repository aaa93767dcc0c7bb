"""What a report tells the workflow: step outputs and annotations."""

from __future__ import annotations

import json
from pathlib import Path

from ..report.artifact import Artifact
from ..report.render import metric
from ..report.schema import Report
from .report_files import display_path, locate_artifact_file
from .workflow_commands import WorkflowCommands


def _usable_path(report: Report, target: str, variant: str, report_dir: Path) -> str:
    artifact = report.artifact(target, variant)
    if artifact is None or artifact.status == "failed":
        return ""
    found = locate_artifact_file(artifact, report_dir)
    return display_path(found) if found else ""


def _existing(path: Path) -> str:
    return display_path(path) if path.is_file() else ""


def report_outputs(
    report: Report, report_dir: Path, report_json: Path | None = None
) -> dict[str, str]:
    """The step outputs describing a report (paths workspace-relative when possible).

    ``report-path`` / ``report-json`` name report.md / report.json in ``report_dir`` (or
    ``report_json``) when they exist, else "". ``reports`` lists the models (one here, see
    ``model_entry``). ``tflite-path`` / ``onnx-path`` name the float32
    file when it exists and did not fail, else "". ``artifacts`` is a compact JSON list of
    {path, target, variant, status, size_bytes}; path is null when the file is not there.
    """
    artifacts = []
    for artifact in report.artifacts:
        found = locate_artifact_file(artifact, report_dir)
        artifacts.append(
            {
                "path": display_path(found) if found else None,
                "target": artifact.target,
                "variant": artifact.variant,
                "status": artifact.status,
                "size_bytes": artifact.size_bytes,
            }
        )
    return {
        "report-path": _existing(report_dir / "report.md"),
        "report-json": _existing(report_json or report_dir / "report.json"),
        "passed": "true" if report.verdict.passed else "false",
        "tflite-path": _usable_path(report, "tflite", "float32", report_dir),
        "onnx-path": _usable_path(report, "onnx", "float32", report_dir),
        "artifacts": json.dumps(artifacts, separators=(",", ":")),
        "reports": json.dumps([model_entry(report, report_dir)], separators=(",", ":")),
    }


def model_entry(
    report: Report | None, report_dir: Path | None, *, model: str | None = None, state: str = ""
) -> dict[str, object]:
    """One model's entry in the ``reports`` output: {model, state, passed, report-json,
    report-path, comparison, breaking}; state ``converted``, ``unchanged`` (not converted:
    identical to the base) or ``deleted``."""
    comparison = report.comparison if report else None
    return {
        "model": model if model is not None else report.source.path if report else "",
        "state": state or "converted",
        "passed": report.verdict.passed if report else None,
        "report-json": _existing(report_dir / "report.json") if report_dir and report else "",
        "report-path": _existing(report_dir / "report.md") if report_dir and report else "",
        "comparison": comparison.status if comparison else None,
        "breaking": comparison.breaking if comparison else False,
    }


def _drift_line(artifact: Artifact) -> str:
    worst = artifact.worst_drift()
    if worst is None:
        return "outputs differ from the original"
    if worst.problem:
        return f"output {worst.output!r}: {worst.problem}"
    return (
        f"output {worst.output!r} drifted: max abs {metric(worst.max_abs)}, "
        f"cosine {metric(worst.cosine, 6)} (tolerance {artifact.tolerance.describe()})"
    )


def annotate_report(report: Report, commands: WorkflowCommands) -> None:
    """An annotation per failed or drifting artifact: an error when the policy fails on it."""
    for artifact in report.artifacts:
        title = f"hub-convert: {artifact.target} {artifact.variant}"
        if artifact.status == "failed":
            message = f"conversion failed: {artifact.reason or 'no reason recorded'}"
            emit = commands.error if "error" in report.fail_on else commands.warning
        elif artifact.status == "drift":
            message = _drift_line(artifact)
            emit = commands.error if "drift" in report.fail_on else commands.warning
        elif artifact.status == "not-validated" and "not-validated" in report.fail_on:
            message = f"not validated: {artifact.reason or 'no reason recorded'}"
            emit = commands.error
        else:
            continue
        emit(f"{artifact.target} {artifact.variant}: {message}", title=title)
