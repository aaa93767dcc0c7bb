"""Publish a report on GitHub: step summary, PR comment, workflow artifact, release assets.

Works from ``report.json`` alone and never imports TensorFlow, so ``hub-convert publish`` can
run in a privileged ``workflow_run`` job on the report of an untrusted fork's pull request
without running any of its model code.

Every publishing failure becomes an annotation and an entry in ``PublishResult.problems``;
only bad input (``BadInputError``) is raised. The converted files stay on disk either way.
The comment stage is comment_stage.py, the release's files release_files.py; ``hub-convert
publish`` starts in publish_file.py.
"""

from __future__ import annotations

from pathlib import Path

from ..report.render import render_report
from ..report.schema import Report
from .artifact_stage import upload_report_artifact
from .comment_body import build_comment_body, comment_key
from .comment_stage import Commenter
from .context import GitHubContext
from .publish_result import PublishResult
from .release_assets import find_release, replace_release_assets
from .release_files import release_asset_sources
from .settings import PublishSettings
from .workflow_commands import WorkflowCommands


class _Publisher(Commenter):
    """One publish run of one report: summary, workflow artifact, comment, release assets."""

    def __init__(
        self,
        report: Report,
        report_dir: Path,
        settings: PublishSettings,
        context: GitHubContext,
        commands: WorkflowCommands,
    ) -> None:
        key = comment_key(settings.comment_key or report.source.path)
        super().__init__(settings, context, commands, key, self._report_body)
        self.report = report
        self.report_dir = report_dir

    def _report_body(self, artifact_url: str | None, limit: int) -> str:
        return build_comment_body(
            self.report,
            key=self.key,
            run_url=self.context.run_url,
            artifact_url=artifact_url,
            limit=limit,
        )

    # -- stages ------------------------------------------------------------------------------

    def summary(self) -> None:
        if self.settings.write_summary:
            complete = self.commands.append_summary(render_report(self.report, details=True))
            if not complete:
                self.problem(
                    "warning", "step summary", "report truncated in the step summary (1 MiB limit)"
                )

    def artifact(self) -> None:
        uploaded = upload_report_artifact(
            self.report_dir,
            key=self.key,
            command=self.report.command,
            settings=self.settings,
            context=self.context,
            commands=self.commands,
            problem=self.problem,
        )
        if uploaded is not None:
            self.result.artifact_name = uploaded.name
            self.result.artifact_id = uploaded.artifact_id
            self.result.artifact_url = self.context.artifact_url(uploaded.artifact_id)

    def release(self) -> None:
        context, settings = self.context, self.settings
        ref: int | str | None = settings.release_tag or context.event_release_id()
        if ref is None:
            return
        if not context.repository or not settings.token:
            missing = "GITHUB_REPOSITORY" if not context.repository else "a github-token"
            self.problem("error", "release", f"cannot upload release assets: {missing} is not set")
            return
        label = f"tag {ref}" if isinstance(ref, str) else f"id {ref}"
        with self.commands.group(f"Upload release assets (release {label})"):
            sources = release_asset_sources(self.report, self.report_dir, self.problem)
            release = find_release(self.github(), context.repository, ref, settings.retry)
            uploaded = replace_release_assets(release, sources, settings.retry)
            for asset in uploaded:
                self.commands.info(f"Release asset {asset.name} ({asset.size} bytes): {asset.url}")
            self.result.release_asset_urls = [asset.url for asset in uploaded]


def publish(
    report: Report,
    report_dir: Path,
    settings: PublishSettings,
    context: GitHubContext,
    commands: WorkflowCommands,
) -> PublishResult:
    """Summary, workflow artifact, PR comment and release assets for ``report``.

    ``report_dir`` holds report.json and the converted files (the output directory). Sets the
    outputs of ``PublishResult.outputs()``. Failures are annotated and listed in the result,
    never raised, except BadInputError for invalid settings.
    """
    commands.add_mask(settings.token)
    commands.add_mask(context.runtime_token)
    publisher = _Publisher(report, report_dir, settings, context, commands)
    try:
        publisher.guarded("step summary", publisher.summary)
        publisher.guarded("workflow artifact", publisher.artifact)
        publisher.guarded("comment", publisher.comment)
        publisher.guarded("release", publisher.release)
    finally:
        publisher.close()
    if not publisher.result.comment_body:  # the comment stage failed before building it
        publisher.result.comment_body = build_comment_body(
            report, key=publisher.key, run_url=context.run_url
        )
    commands.set_outputs(publisher.result.outputs())
    return publisher.result
