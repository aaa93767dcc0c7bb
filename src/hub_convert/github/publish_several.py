"""``hub-convert publish A/report.json B/report.json ...``: several models' reports, each
validated and published (summary, workflow artifact, release assets) like one, and one
combined PR comment — the fork workflow's second half for the ``models`` input. Never imports
TensorFlow. Only the converted models have a report.json, so only they are listed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from ..names import unique_names
from ..report.schema import Report
from .combined_comment import ModelSection, build_combined_comment_body
from .comment_body import comment_key
from .comment_stage import publish_comment
from .context import GitHubContext
from .publisher import publish
from .settings import PublishSettings
from .step_outputs import annotate_report
from .workflow_commands import WorkflowCommands


def publish_report_files(
    report_jsons: list[Path],
    settings: PublishSettings,
    env: Mapping[str, str],
    commands: WorkflowCommands | None = None,
) -> int:
    """Publish every report (each validated first: one bad file is exit 2 before anything is
    posted) and one combined comment keyed ``--comment-key`` (default ``models``). Returns 0,
    or 1 when a publishing stage failed."""
    commands = commands or WorkflowCommands.from_env(env)
    commands.add_mask(settings.token)
    reports = [Report.load(path) for path in report_jsons]
    context = GitHubContext.from_env(env)
    ok = True
    # Distinct by construction: two reports' artifacts never share a name. The folders are
    # the several-model run's own output names, plain already: kept as they are.
    parents = [str(path.parent) for path in report_jsons]
    folders = unique_names(parents, empty="report", stable=False)
    for report, path in zip(reports, report_jsons, strict=True):
        annotate_report(report, commands)
        folder = folders[str(path.parent)]
        own = dataclasses.replace(
            settings,
            comment="never",
            comment_key=None,
            artifact_name=f"{settings.artifact_name}-{folder}" if settings.artifact_name else "",
        )
        ok = publish(report, path.parent, own, context, commands).ok and ok
    sections = [ModelSection(r.source.path, "converted", report=r) for r in reports]
    key = comment_key(settings.comment_key or "models")

    def body_for(artifact_url: str | None, limit: int) -> str:
        return build_combined_comment_body(
            sections, key=key, run_url=context.run_url, artifact_url=artifact_url, limit=limit
        )

    result = publish_comment(body_for, key, settings, context, commands)
    commands.set_outputs(
        {"comment-url": result.comment_url or "", "comment-body": result.comment_body}
    )
    return 0 if ok and result.ok else 1
