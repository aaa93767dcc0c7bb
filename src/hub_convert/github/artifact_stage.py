"""The publisher's workflow-artifact stage: which name, how long to keep it, whether to replace
an earlier one, and the upload (``workflow_artifact``).

Default names are ``hub-convert-<model>-<job>-<hash>``: unique per model, job, matrix entry and
step without the user naming anything, and the same on every re-run. A Docker action sees no
``matrix`` context (the runner passes the ``github`` and ``runner`` contexts as ``GITHUB_*`` /
``RUNNER_*`` variables, the step's ``env`` and the inputs), so what tells matrix entries apart
is what they do: ``<hash>`` is 8 hex digits of the SHA-256 of the report's ``command`` (the
conversion settings that mean something: model, output directory, targets, variants, ...), the
step (``GITHUB_ACTION``: two uses of the action in one job) and the runner's OS/architecture.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from ..names import slug
from .comment_decision import Level
from .context import GitHubContext
from .settings import PublishSettings
from .workflow_artifact import UploadedArtifact, upload_directory_artifact
from .workflow_commands import WorkflowCommands

STAGE = "workflow artifact"


def _artifact_slug(text: str, limit: int) -> str:
    """``text`` in the characters artifact names allow (and download paths like)."""
    return slug(text, fill="-", strip="-.", limit=limit)


def default_artifact_name(key: str, *, command: str, context: GitHubContext) -> str:
    """``hub-convert-<model>-<job>-<hash>`` (see the module's docstring); ``<job>`` only in a
    workflow job. Depends on nothing that changes between attempts of a run."""
    distinguishing = {"command": command, "step": context.step, "runner": context.runner}
    encoded = json.dumps(distinguishing, sort_keys=True).encode()
    parts = ["hub-convert", _artifact_slug(key, 80), _artifact_slug(context.job or "", 40)]
    parts.append(hashlib.sha256(encoded).hexdigest()[:8])
    return "-".join(part for part in parts if part)


def upload_report_artifact(
    report_dir: Path,
    *,
    key: str,
    command: str,
    settings: PublishSettings,
    context: GitHubContext,
    commands: WorkflowCommands,
    problem: Callable[[Level, str, str], None],
) -> UploadedArtifact | None:
    """Upload ``report_dir`` as the run's artifact; None when there is nothing to do here.

    Raises what ``upload_directory_artifact`` raises; notices go to ``problem``. On a re-run
    (attempt 2 or later) a default-named artifact already in the run is this step's own from
    an earlier attempt: it is replaced, as with ``overwrite``.
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
    name = settings.artifact_name or default_artifact_name(key, command=command, context=context)
    rerun = not settings.artifact_name and context.run_attempt > 1
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
            overwrite=settings.overwrite or rerun,
            duplicate_hint=settings.duplicate_hint,
            log=commands.info,
        )
        if uploaded.replaced is not None:
            earlier = "earlier attempt's" if rerun and not settings.overwrite else "earlier"
            commands.info(f"Deleted the {earlier} artifact {name!r} (id {uploaded.replaced})")
        commands.info(
            f"Uploaded artifact {name!r} (id {uploaded.artifact_id}): {uploaded.files} files, "
            f"{uploaded.size} bytes zipped, sha256:{uploaded.sha256}"
        )
    return uploaded
