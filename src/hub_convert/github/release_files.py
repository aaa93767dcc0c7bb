"""Which files a release gets: the report's converted files found on disk, an ONNX model's
external data beside its model, and the report itself (rendered from the validated Report)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..report.artifact import Artifact
from ..report.render import render_report
from ..report.schema import Report
from .comment_decision import Level
from .release_assets import AssetSource
from .report_files import locate_artifact_file

ProblemSink = Callable[[Level, str, str], None]
"""(level, stage, message): where a file left out is reported."""

# GitHub refuses release assets of 2 GiB or more.
RELEASE_ASSET_LIMIT = 2 << 30


def release_asset_sources(
    report: Report, report_dir: Path, problem: ProblemSink
) -> list[AssetSource]:
    """The converted files of ``report`` found in ``report_dir`` (and an ONNX model's external
    data beside it), then report.md and report.json; what is missing or named twice is a
    warning to ``problem``, not an asset."""
    sources: list[AssetSource] = []
    for artifact in report.artifacts:
        if artifact.status == "failed" or not artifact.path:
            continue
        found = locate_artifact_file(artifact, report_dir)
        if found is None:
            problem(
                "warning",
                "release",
                f"{artifact.target} {artifact.variant}: {artifact.file_name} not found in "
                f"{report_dir}; not uploaded",
            )
            continue
        if any(s.name == found.name for s in sources):
            problem(
                "warning",
                "release",
                f"two artifacts are named {found.name}; only the first is uploaded",
            )
            continue
        sources.append(AssetSource(name=found.name, path=found))
        sources += _external_data_source(artifact, found, report_dir, problem)
    # The report travels rendered from the validated Report, not as files from disk.
    sources.append(AssetSource("report.md", data=render_report(report).encode()))
    sources.append(AssetSource("report.json", data=report.to_json().encode()))
    return sources


def _external_data_source(
    artifact: Artifact, model: Path, report_dir: Path, problem: ProblemSink
) -> list[AssetSource]:
    """An ONNX model's NAME.onnx.data, a second asset beside it (GitHub takes assets under
    2 GiB: a bigger one is left to the workflow artifact, with a warning)."""
    if not artifact.external_data:
        return []
    data = model.with_name(model.name + ".data")
    if not data.resolve().is_relative_to(report_dir.resolve()) or not data.is_file():
        problem("warning", "release", f"{data.name} not found; not uploaded")
        return []
    if data.stat().st_size >= RELEASE_ASSET_LIMIT:
        problem(
            "warning",
            "release",
            f"{data.name} is 2 GiB or more, over GitHub's limit for a release asset; "
            "not uploaded (it is in the workflow artifact)",
        )
        return []
    return [AssetSource(name=data.name, path=data)]
