"""The publisher's workflow-artifact stage: which name, how long to keep it, whether to replace
an earlier one, and the upload (``workflow_artifact``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from .comment_decision import Level
from .context import GitHubContext
from .settings import PublishSettings
from .workflow_artifact import UploadedArtifact, upload_directory_artifact
from .workflow_commands import WorkflowCommands

STAGE = "workflow artifact"


def default_artifact_name(key: str) -> str:
    """``hub-convert-<model>`` from the comment key, in the characters artifact names allow."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", key).strip("-.")[:80]
    return f"hub-convert-{slug}" if slug else "hub-convert"


def upload_report_artifact(
    report_dir: Path,
    *,
    key: str,
    settings: PublishSettings,
    context: GitHubContext,
    commands: WorkflowCommands,
    problem: Callable[[Level, str, str], None],
) -> UploadedArtifact | None:
    """Upload ``report_dir`` as the run's artifact; None when there is nothing to do here.

    Raises what ``upload_directory_artifact`` raises; notices go to ``problem``.
    """
    if not settings.upload_artifact:
        return None
    if not (context.runtime_token and context.results_url):
        problem(
            "notice",
            STAGE,
            "upload-artifact skipped: ACTIONS_RUNTIME_TOKEN / ACTIONS_RESULTS_URL are not set "
            "(a local run, or GitHub Enterprise Server); upload the output directory with "
            "actions/upload-artifact instead",
        )
        return None
    name = settings.artifact_name or default_artifact_name(key)
    retention = settings.retention_days
    if retention and context.retention_days_max and retention > context.retention_days_max:
        problem(
            "notice",
            STAGE,
            f"retention-days {retention} is over this repository's maximum of "
            f"{context.retention_days_max}; using {context.retention_days_max}",
        )
        retention = context.retention_days_max
    with commands.group(f"Upload workflow artifact {name}"):
        uploaded = upload_directory_artifact(
            report_dir,
            name=name,
            results_url=context.results_url,
            runtime_token=context.runtime_token,
            retention_days=retention,
            policy=settings.retry,
            mask=commands.add_mask,
            overwrite=settings.overwrite,
            duplicate_hint=settings.duplicate_hint,
            log=commands.info,
        )
        if uploaded.replaced is not None:
            commands.info(f"Deleted the earlier artifact {name!r} (id {uploaded.replaced})")
        commands.info(
            f"Uploaded artifact {name!r} (id {uploaded.artifact_id}): {uploaded.files} files, "
            f"{uploaded.size} bytes zipped, sha256:{uploaded.sha256}"
        )
    return uploaded
