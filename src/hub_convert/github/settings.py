"""What to publish: the Action's inputs or ``hub-convert publish``'s options, validated."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

from ..parsing import Text, given, parse_bool, parse_choice, parse_optional_int, parse_single_line
from .retry import RetryPolicy
from .workflow_artifact import DUPLICATE_HINT, validate_artifact_name

CommentMode = Literal["auto", "always", "never", "recreate"]
COMMENT_MODES: tuple[CommentMode, ...] = get_args(CommentMode)
# GitHub's bounds for artifact retention (public repos stop at 90; private ones may allow 400).
MAX_RETENTION_DAYS = 400

# The options ``PublishSettings.from_values`` reads: Action inputs and ``publish`` options.
PUBLISH_OPTIONS = (
    "comment",
    "comment-key",
    "pr-number",
    "upload-artifact",
    "artifact-name",
    "overwrite",
    "retention-days",
    "release-tag",
    "summary",
)


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
    """Empty: ``hub-convert-<model>-<job>-<hash>`` (``artifact_stage.default_artifact_name``),
    unique per model, job, matrix entry and step, and the same on re-runs."""
    overwrite: bool = False
    """Delete an artifact of the same name in the run before uploading (else: a 409 error)."""
    retention_days: int | None = None
    release_tag: str | None = None
    token: str | None = field(default=None, repr=False)
    write_summary: bool = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    duplicate_hint: str = field(default=DUPLICATE_HINT, compare=False, repr=False)
    """What to do about a taken artifact name, in the caller's words (input or option)."""

    @classmethod
    def from_values(
        cls,
        values: Mapping[str, Text],
        *,
        label: Callable[[str], str],
        token: str | None,
        upload_artifact_default: bool,
        retry: RetryPolicy | None = None,
    ) -> PublishSettings:
        """Settings from option values keyed by name (see ``PUBLISH_OPTIONS``); BadInputError
        naming ``label(name)`` for a bad one. Missing or blank values mean the default."""
        unknown = sorted(set(values) - set(PUBLISH_OPTIONS))
        if unknown:
            raise ValueError(f"unknown publish options: {unknown}")
        name = given(values.get("artifact-name"))
        return cls(
            comment=parse_choice(
                values.get("comment"), COMMENT_MODES, label("comment"), default="auto"
            ),
            comment_key=parse_single_line(values.get("comment-key"), label("comment-key")),
            pr_number=parse_optional_int(values.get("pr-number"), label("pr-number")),
            upload_artifact=parse_bool(
                values.get("upload-artifact"),
                label("upload-artifact"),
                default=upload_artifact_default,
            ),
            artifact_name=validate_artifact_name(name, label("artifact-name")) if name else "",
            overwrite=parse_bool(values.get("overwrite"), label("overwrite"), default=False),
            retention_days=parse_optional_int(
                values.get("retention-days"), label("retention-days"), maximum=MAX_RETENTION_DAYS
            ),
            release_tag=parse_single_line(values.get("release-tag"), label("release-tag")),
            token=token,
            write_summary=parse_bool(values.get("summary"), label("summary"), default=True),
            retry=retry or RetryPolicy(),
            duplicate_hint=_duplicate_hint(label),
        )


def _duplicate_hint(label: Callable[[str], str]) -> str:
    if label("overwrite").startswith("--"):  # hub-convert publish
        return "pass --overwrite to replace it, or choose another --artifact-name"
    return DUPLICATE_HINT


def token_from_env(env: Mapping[str, str]) -> str | None:
    """The token ``hub-convert publish`` uses: ``INPUT_GITHUB-TOKEN``, else ``GITHUB_TOKEN``."""
    return (env.get("INPUT_GITHUB-TOKEN") or env.get("GITHUB_TOKEN") or "").strip() or None
