"""Publish a report on GitHub: step summary, PR comment, workflow artifact, release assets.

Works from ``report.json`` alone and never imports TensorFlow, so ``hub-convert publish`` can
run in a privileged ``workflow_run`` job on the report of an untrusted fork's pull request
without running any of its model code.

Every publishing failure becomes an annotation and an entry in ``PublishResult.problems``;
only bad input (``BadInputError``) is raised. The converted files stay on disk either way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BadInputError, HubConvertError
from ..report.artifact import Artifact
from ..report.render import render_report
from ..report.schema import Report
from .artifact_stage import upload_report_artifact
from .client import connect, token_login
from .comment_body import COMMENT_LIMIT, build_comment_body, comment_key, comment_marker
from .comment_decision import Level, decide_comment
from .context import GitHubContext
from .pr_comment import pull_request_head, upsert_comment
from .redaction import redact_urls
from .release_assets import AssetSource, find_release, replace_release_assets
from .report_files import locate_artifact_file
from .retry import RequestFailed
from .settings import PublishSettings
from .step_outputs import annotate_report, report_outputs
from .workflow_commands import WorkflowCommands

BodyBuilder = Callable[[str | None, int], str]
"""(the uploaded artifact's URL or None, the length limit) -> the comment body."""

# GitHub refuses release assets of 2 GiB or more.
RELEASE_ASSET_LIMIT = 2 << 30


@dataclass(frozen=True)
class Problem:
    """Something that went wrong (or was skipped) while publishing, as annotated."""

    level: Level
    stage: str
    message: str


@dataclass
class PublishResult:
    """What ``publish`` did; ``outputs()`` are the step outputs it sets."""

    comment_body: str = ""
    comment_url: str | None = None
    comment_action: str = "skipped"
    artifact_name: str | None = None
    artifact_id: int | None = None
    artifact_url: str | None = None
    release_asset_urls: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """Problems at error level (a failed stage)."""
        return [p for p in self.problems if p.level == "error"]

    @property
    def ok(self) -> bool:
        """True when no stage failed (warnings, such as a read-only token, are fine)."""
        return not self.errors

    def outputs(self) -> dict[str, str]:
        """Step outputs: comment-url, comment-body, artifact-name, artifact-id, artifact-url,
        release-assets."""
        return {
            "comment-url": self.comment_url or "",
            "comment-body": self.comment_body,
            "artifact-name": self.artifact_name or "",
            "artifact-id": "" if self.artifact_id is None else str(self.artifact_id),
            "artifact-url": self.artifact_url or "",
            "release-assets": json.dumps(self.release_asset_urls, separators=(",", ":")),
        }


class _Commenter:
    """The PR comment stage, and the client, result and annotation helpers every stage shares."""

    def __init__(
        self,
        settings: PublishSettings,
        context: GitHubContext,
        commands: WorkflowCommands,
        key: str,
        body_for: BodyBuilder,
    ) -> None:
        self.settings = settings
        self.context = context
        self.commands = commands
        self.key = key
        self.body_for = body_for
        self.result = PublishResult()
        self._gh: Any = None

    # -- helpers -----------------------------------------------------------------------------

    def problem(self, level: Level, stage: str, message: str) -> None:
        self.result.problems.append(Problem(level, stage, message))
        emit = {
            "error": self.commands.error,
            "warning": self.commands.warning,
            "notice": self.commands.notice,
        }[level]
        emit(message, title=f"hub-convert: {stage}")

    def guarded(self, stage: str, action: Callable[[], None]) -> None:
        """Run a stage; a failure becomes an error annotation (bad input still raises)."""
        try:
            action()
        except BadInputError:
            raise
        except HubConvertError as exc:
            self.problem("error", stage, exc.message)
        except Exception as exc:  # a stage must never take the converted files' outputs down
            detail = redact_urls(str(exc).splitlines()[0] if str(exc) else "")
            self.problem("error", stage, f"{stage} failed: {type(exc).__name__}: {detail}")

    def github(self) -> Any:
        if self._gh is None:
            assert self.settings.token is not None
            self._gh = connect(self.context.api_url, self.settings.token, self.settings.retry)
        return self._gh

    def close(self) -> None:
        if self._gh is not None:
            self._gh.close()

    def comment(self) -> None:
        context, settings = self.context, self.settings
        self.result.comment_body = self.body_for(self.result.artifact_url, COMMENT_LIMIT)
        decision = decide_comment(
            settings.comment, context, settings.pr_number, has_token=bool(settings.token)
        )
        if decision.problem:
            self.problem(decision.problem[0], "comment", decision.problem[1])
        number = decision.pull_request
        if number is None:
            return
        with self.commands.group(f"Comment on pull request #{number}"):
            if decision.head_sha is not None and not self._is_head_of(number, decision.head_sha):
                return
            try:
                self._post_comment(number)
            except RequestFailed as exc:
                if exc.status == 403 and not exc.rate_limited:
                    # The read-only token of a fork's pull request: not this step's failure.
                    self.problem(
                        "warning",
                        "comment",
                        f"cannot comment on pull request #{number}: the token is read-only "
                        "(HTTP 403, as for pull requests from forks). The report is in the step "
                        "summary and the comment-body output; to comment on fork pull requests, "
                        "run `hub-convert publish report.json` from a workflow_run job with "
                        "pull-requests: write",
                    )
                    return
                raise

    def _is_head_of(self, number: int, head_sha: str) -> bool:
        """Whether ``head_sha`` (the workflow run's commit) is pull request ``number``'s head;
        a warning and no comment when it is not: the number names another pull request, or
        the pull request moved on and a newer run will comment."""
        assert self.context.repository is not None
        head = pull_request_head(
            self.github(), self.context.repository, number, self.settings.retry
        )
        if head == head_sha:
            return True
        found = "does not exist" if head is None else f"has head {head[:12]}"
        self.problem(
            "warning",
            "comment",
            f"no comment on #{number}: pull request #{number} {found}, but this report was made "
            f"for commit {head_sha[:12]} (the workflow run's head). pr-number must name the "
            "pull request of that run; if it was pushed to since, the newer run will comment",
        )
        return False

    def _post_comment(self, number: int) -> None:
        gh = self.github()
        policy = self.settings.retry
        login, confirmed = token_login(gh, policy)
        if not confirmed:
            self.commands.debug(f"token user unknown; matching comments by {login}")
        context = self.context

        def shorter() -> str:
            return self.body_for(self.result.artifact_url, COMMENT_LIMIT // 2)

        assert context.repository is not None
        outcome = upsert_comment(
            gh,
            context.repository,
            number,
            self.result.comment_body,
            marker=comment_marker(self.key),
            login=login,
            recreate=self.settings.comment == "recreate",
            policy=policy,
            shorter_body=shorter,
        )
        self.result.comment_url = outcome.url
        self.result.comment_action = outcome.action
        self.result.comment_body = outcome.body
        self.commands.info(f"Comment {outcome.action}: {outcome.url}")


class _Publisher(_Commenter):
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
            sources = self._release_sources()
            release = find_release(self.github(), context.repository, ref, settings.retry)
            uploaded = replace_release_assets(release, sources, settings.retry)
            for asset in uploaded:
                self.commands.info(f"Release asset {asset.name} ({asset.size} bytes): {asset.url}")
            self.result.release_asset_urls = [asset.url for asset in uploaded]

    def _release_sources(self) -> list[AssetSource]:
        sources: list[AssetSource] = []
        for artifact in self.report.artifacts:
            if artifact.status == "failed" or not artifact.path:
                continue
            found = locate_artifact_file(artifact, self.report_dir)
            if found is None:
                self.problem(
                    "warning",
                    "release",
                    f"{artifact.target} {artifact.variant}: {artifact.file_name} not found in "
                    f"{self.report_dir}; not uploaded",
                )
                continue
            if any(s.name == found.name for s in sources):
                self.problem(
                    "warning",
                    "release",
                    f"two artifacts are named {found.name}; only the first is uploaded",
                )
                continue
            sources.append(AssetSource(name=found.name, path=found))
            sources += self._external_data_source(artifact, found)
        # The report travels rendered from the validated Report, not as files from disk.
        sources.append(AssetSource("report.md", data=render_report(self.report).encode()))
        sources.append(AssetSource("report.json", data=self.report.to_json().encode()))
        return sources

    def _external_data_source(self, artifact: Artifact, model: Path) -> list[AssetSource]:
        """An ONNX model's NAME.onnx.data, a second asset beside it (GitHub takes assets under
        2 GiB: a bigger one is left to the workflow artifact, with a warning)."""
        if not artifact.external_data:
            return []
        data = model.with_name(model.name + ".data")
        if not data.resolve().is_relative_to(self.report_dir.resolve()) or not data.is_file():
            self.problem("warning", "release", f"{data.name} not found; not uploaded")
            return []
        if data.stat().st_size >= RELEASE_ASSET_LIMIT:
            self.problem(
                "warning",
                "release",
                f"{data.name} is 2 GiB or more, over GitHub's limit for a release asset; "
                "not uploaded (it is in the workflow artifact)",
            )
            return []
        return [AssetSource(name=data.name, path=data)]


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


def publish_comment(
    body_for: BodyBuilder,
    key: str,
    settings: PublishSettings,
    context: GitHubContext,
    commands: WorkflowCommands,
) -> PublishResult:
    """Only the PR comment, with the body ``body_for`` builds (several models' combined
    comment, marker ``key``); the other stages are left to ``publish`` per report."""
    publisher = _Commenter(settings, context, commands, key, body_for)
    try:
        publisher.guarded("comment", publisher.comment)
    finally:
        publisher.close()
    if not publisher.result.comment_body:
        publisher.result.comment_body = body_for(None, COMMENT_LIMIT)
    return publisher.result


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
