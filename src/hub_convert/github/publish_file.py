"""``hub-convert publish report.json``: an untrusted report.json validated, then published."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..report.schema import Report
from .context import GitHubContext
from .publisher import publish
from .settings import PublishSettings
from .step_outputs import annotate_report, report_outputs
from .workflow_commands import WorkflowCommands


def publish_report_file(
    report_json: Path,
    settings: PublishSettings,
    env: Mapping[str, str],
    commands: WorkflowCommands | None = None,
) -> int:
    """``hub-convert publish``: load and validate an (untrusted) report.json, publish it, set
    outputs. Returns 0, or 1 when a publishing stage failed (a read-only token is only a
    warning). Raises BadInputError (exit 2) for an invalid report."""
    commands = commands or WorkflowCommands.from_env(env)
    commands.add_mask(settings.token)
    report = Report.load(report_json)
    context = GitHubContext.from_env(env)
    if context.event_name == "workflow_run" and not settings.comment_key:  # key: untrusted path
        message = "the comment key is report.json's model path; pass --comment-key so the job "
        message += "that wrote the report cannot pick another model's comment"
        commands.notice(message, title="hub-convert: comment")
    report_dir = report_json.parent
    annotate_report(report, commands)
    commands.set_outputs(report_outputs(report, report_dir, report_json))
    result = publish(report, report_dir, settings, context, commands)
    return 0 if result.ok else 1
