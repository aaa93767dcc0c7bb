"""Publish a report on GitHub: step summary, PR comment, workflow artifact, release assets.

Works from ``report.json`` alone and never imports TensorFlow, so ``hub-convert publish`` can
run in a privileged ``workflow_run`` job on the report of an untrusted fork's pull request
without running any of its model code.

Every publishing failure becomes an annotation and an entry in ``PublishResult.problems``;
only bad input (``BadInputError``) is raised. The converted files stay on disk either way.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from .errors import BadInputError, HubConvertError
from .github.client import connect, token_login
from .github.comment_body import COMMENT_LIMIT, build_comment_body, comment_key, comment_marker
from .github.context import GitHubContext
from .github.pr_comment import upsert_comment
from .github.release_assets import AssetSource, find_release, replace_release_assets
from .github.report_files import locate_artifact_file
from .github.report_outputs import annotate_report, report_outputs
from .github.retry import RequestFailed, RetryPolicy, redact_urls
from .github.workflow_artifact import upload_directory_artifact, validate_artifact_name
from .github.workflow_commands import WorkflowCommands
from .render import render_report
from .report import Report

__all__ = [
    "GitHubContext",
    "PublishResult",
    "PublishSettings",
    "RetryPolicy",
    "WorkflowCommands",
    "add_publish_arguments",
    "annotate_report",
    "publish",
    "report_outputs",
    "run_publish",
]

CommentMode = Literal["auto", "always", "never", "recreate"]
COMMENT_MODES: tuple[str, ...] = get_args(CommentMode)
# GitHub's bounds for artifact retention (public repos stop at 90; private ones may allow 400).
_MAX_RETENTION_DAYS = 400
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})


def _parse_bool(name: str, value: str | None, default: bool) -> bool:
    # Same YAML 1.2 core-schema spellings as @actions/core getBooleanInput.
    text = (value or "").strip()
    if not text:
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadInputError(f"{name}: expected true or false, got {text!r}")


def _parse_positive_int(name: str, value: str | None, maximum: int | None = None) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise BadInputError(f"{name}: expected a positive whole number, got {text!r}")
    number = int(text)
    if maximum is not None and number > maximum:
        raise BadInputError(f"{name}: {number} is more than the maximum of {maximum}")
    return number


@dataclass
class PublishSettings:
    """What to publish, from the action inputs or the ``publish`` subcommand's options."""

    comment: CommentMode = "auto"
    """auto: on pull request events (and workflow_run / pr-number); always; never;
    recreate: delete the old comment and post a new one at the end of the thread."""
    comment_key: str | None = None
    pr_number: int | None = None
    upload_artifact: bool = False
    artifact_name: str = ""
    """Empty: ``hub-convert-<model>``, unique per model so several models can share a job."""
    retention_days: int | None = None
    release_tag: str | None = None
    token: str | None = field(default=None, repr=False)
    write_summary: bool = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_inputs(
        cls, inputs: Mapping[str, str], *, retry: RetryPolicy | None = None
    ) -> PublishSettings:
        """Build settings from kebab-case action inputs (strings); BadInputError on bad values."""

        def text(name: str) -> str | None:
            value = (inputs.get(name) or "").strip()
            return value or None

        mode = text("comment") or "auto"
        if mode not in COMMENT_MODES:
            raise BadInputError(
                f"comment: expected one of {', '.join(COMMENT_MODES)}, got {mode!r}"
            )
        key = text("comment-key")
        if key is not None and ("\n" in key or "\r" in key):
            raise BadInputError("comment-key: must be a single line")
        name = text("artifact-name")
        return cls(
            comment=mode,  # type: ignore[arg-type]  # checked against COMMENT_MODES above
            comment_key=key,
            pr_number=_parse_positive_int("pr-number", text("pr-number")),
            upload_artifact=_parse_bool("upload-artifact", text("upload-artifact"), False),
            artifact_name=validate_artifact_name(name) if name else "",
            retention_days=_parse_positive_int(
                "retention-days", text("retention-days"), _MAX_RETENTION_DAYS
            ),
            release_tag=text("release-tag"),
            token=text("github-token"),
            write_summary=_parse_bool("summary", text("summary"), True),
            retry=retry or RetryPolicy(),
        )


Level = Literal["error", "warning", "notice"]


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
    summary_truncated: bool = False
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
        """Step outputs: comment-url, comment-body, artifact-id, artifact-url, release-assets."""
        return {
            "comment-url": self.comment_url or "",
            "comment-body": self.comment_body,
            "artifact-id": "" if self.artifact_id is None else str(self.artifact_id),
            "artifact-url": self.artifact_url or "",
            "release-assets": json.dumps(self.release_asset_urls, separators=(",", ":")),
        }


def default_artifact_name(key: str) -> str:
    """``hub-convert-<model>`` from the comment key, in the characters artifact names allow."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", key).strip("-.")[:80]
    return f"hub-convert-{slug}" if slug else "hub-convert"


class _Publisher:
    """One publish run: shared client, result and annotation helpers for the stages."""

    def __init__(
        self,
        report: Report,
        report_dir: Path,
        settings: PublishSettings,
        context: GitHubContext,
        commands: WorkflowCommands,
    ) -> None:
        self.report = report
        self.report_dir = report_dir
        self.settings = settings
        self.context = context
        self.commands = commands
        self.result = PublishResult()
        self.key = comment_key(report, settings.comment_key)
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

    # -- stages ------------------------------------------------------------------------------

    def summary(self) -> None:
        if self.settings.write_summary:
            complete = self.commands.append_summary(render_report(self.report, details=True))
            self.result.summary_truncated = not complete
            if not complete:
                self.problem(
                    "warning", "step summary", "report truncated in the step summary (1 MiB limit)"
                )

    def artifact(self) -> None:
        if not self.settings.upload_artifact:
            return
        context = self.context
        if not (context.runtime_token and context.results_url):
            self.problem(
                "notice",
                "workflow artifact",
                "upload-artifact skipped: ACTIONS_RUNTIME_TOKEN / ACTIONS_RESULTS_URL are not set "
                "(a local run, or GitHub Enterprise Server); upload the output directory with "
                "actions/upload-artifact instead",
            )
            return
        name = self.settings.artifact_name or default_artifact_name(self.key)
        retention = self.settings.retention_days
        if retention and context.retention_days_max and retention > context.retention_days_max:
            self.problem(
                "notice",
                "workflow artifact",
                f"retention-days {retention} is over this repository's maximum of "
                f"{context.retention_days_max}; using {context.retention_days_max}",
            )
            retention = context.retention_days_max
        with self.commands.group(f"Upload workflow artifact {name}"):
            uploaded = upload_directory_artifact(
                self.report_dir,
                name=name,
                results_url=context.results_url,
                runtime_token=context.runtime_token,
                retention_days=retention,
                policy=self.settings.retry,
            )
            self.result.artifact_name = name
            self.result.artifact_id = uploaded.artifact_id
            self.result.artifact_url = context.artifact_url(uploaded.artifact_id)
            self.commands.info(
                f"Uploaded artifact {name!r} (id {uploaded.artifact_id}): {uploaded.files} files, "
                f"{uploaded.size} bytes zipped, sha256:{uploaded.sha256}"
            )

    def comment(self) -> None:
        context, settings = self.context, self.settings
        self.result.comment_body = build_comment_body(
            self.report,
            key=self.key,
            run_url=context.run_url,
            artifact_url=self.result.artifact_url,
        )
        if settings.comment == "never":
            return
        number = context.pull_request_number(settings.pr_number)
        if number is None:
            if settings.comment == "always":
                self.problem(
                    "warning",
                    "comment",
                    f"comment: always, but this {context.event_name or 'local'} run is not about "
                    "a pull request; set pr-number",
                )
            elif context.event_name == "workflow_run":
                self.problem(
                    "notice",
                    "comment",
                    "workflow_run event without a pull request (GitHub does not list pull "
                    "requests from forks there); pass pr-number to comment",
                )
            return
        if not context.repository or not settings.token:
            missing = "GITHUB_REPOSITORY" if not context.repository else "a github-token"
            self.problem(
                "warning",
                "comment",
                f"no comment on #{number}: {missing} is not set; the report is in the step "
                "summary and the comment-body output",
            )
            return
        with self.commands.group(f"Comment on pull request #{number}"):
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

    def _post_comment(self, number: int) -> None:
        gh = self.github()
        policy = self.settings.retry
        login, confirmed = token_login(gh, policy)
        if not confirmed:
            self.commands.debug(f"token user unknown; matching comments by {login}")
        context = self.context

        def shorter() -> str:
            return build_comment_body(
                self.report,
                key=self.key,
                run_url=context.run_url,
                artifact_url=self.result.artifact_url,
                limit=COMMENT_LIMIT // 2,
            )

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
        # The report travels rendered from the validated Report, not as files from disk.
        sources.append(AssetSource("report.md", data=render_report(self.report).encode()))
        sources.append(AssetSource("report.json", data=self.report.to_json().encode()))
        return sources


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


# -- the `hub-convert publish` subcommand ------------------------------------------------------


def add_publish_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``hub-convert publish REPORT_JSON`` (same names as the action inputs)."""
    parser.add_argument(
        "report_json",
        metavar="REPORT_JSON",
        type=Path,
        help="report.json written by `hub-convert convert`",
    )
    parser.add_argument(
        "--comment",
        default="auto",
        metavar="MODE",
        help="auto (pull request events), always, never or recreate",
    )
    parser.add_argument(
        "--comment-key", metavar="KEY", help="marker key of the comment (default: the model path)"
    )
    parser.add_argument(
        "--pr-number",
        metavar="N",
        help="pull request to comment on when the event names none "
        "(workflow_run for a fork's pull request)",
    )
    parser.add_argument(
        "--release-tag",
        metavar="TAG",
        help="upload the converted files and report as assets of this release",
    )
    parser.add_argument(
        "--upload-artifact",
        action="store_true",
        help="upload the report's directory as a workflow artifact",
    )
    parser.add_argument(
        "--artifact-name",
        metavar="NAME",
        help="workflow artifact name (default: hub-convert-<model>)",
    )
    parser.add_argument(
        "--retention-days", metavar="DAYS", help="days to keep the workflow artifact"
    )
    parser.add_argument(
        "--no-summary", action="store_true", help="do not write the report to the step summary"
    )


def run_publish(
    args: argparse.Namespace,
    env: Mapping[str, str],
    *,
    retry: RetryPolicy | None = None,
    commands: WorkflowCommands | None = None,
) -> int:
    """Run ``hub-convert publish``: load and validate the report, publish it, set outputs.

    The token comes from ``INPUT_GITHUB-TOKEN`` or ``GITHUB_TOKEN`` in ``env``. Returns 0, or
    1 when a publishing stage failed (a read-only token is only a warning). Raises
    BadInputError (exit 2) for an invalid report or option.
    """
    token = (env.get("INPUT_GITHUB-TOKEN") or env.get("GITHUB_TOKEN") or "").strip() or None
    commands = commands or WorkflowCommands.from_env(env)
    commands.add_mask(token)
    report_path = Path(args.report_json)
    report = Report.load(report_path)

    def option(value: object) -> str:
        return "" if value is None else str(value)

    settings = PublishSettings.from_inputs(
        {
            "comment": option(args.comment),
            "comment-key": option(args.comment_key),
            "pr-number": option(args.pr_number),
            "release-tag": option(args.release_tag),
            "upload-artifact": "true" if args.upload_artifact else "false",
            "artifact-name": option(args.artifact_name),
            "retention-days": option(args.retention_days),
            "summary": "false" if args.no_summary else "true",
        },
        retry=retry,
    )
    settings.token = token
    context = GitHubContext.from_env(env)
    report_dir = report_path.parent
    annotate_report(report, commands)
    commands.set_outputs(report_outputs(report, report_dir, report_path))
    result = publish(report, report_dir, settings, context, commands)
    return 0 if result.ok else 1
