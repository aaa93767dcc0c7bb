"""Whether to comment, and on which pull request: a pure function of the settings and event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .context import GitHubContext
from .settings import CommentMode

Level = Literal["error", "warning", "notice"]


@dataclass(frozen=True)
class CommentDecision:
    """Comment on ``pull_request``, or (None) don't; ``problem`` says why not, when it matters.

    ``head_sha``: comment only if the pull request's head is this commit. Set when the number
    came from ``pr-number`` in a ``workflow_run`` job: there the number is written by the
    untrusted job (the fork pattern), and the run's own head commit is what ties it to the
    pull request the report was made for.
    """

    pull_request: int | None
    problem: tuple[Level, str] | None = None
    head_sha: str | None = None


def decide_comment(
    mode: CommentMode, context: GitHubContext, pr_number: int | None, *, has_token: bool
) -> CommentDecision:
    """auto and always comment on the event's pull request (else ``pr_number``); never doesn't.

    A ``pr-number`` in a ``workflow_run`` job is checked against the run's head commit before
    commenting (``head_sha``). Without a pull request, ``always`` is a warning and a
    ``workflow_run`` event a notice (GitHub lists no pull requests for forks there). Without a
    repository or a token there is nothing to post with: a warning; the report is still in the
    summary and the outputs.
    """
    if mode == "never":
        return CommentDecision(None)
    number = context.pull_request_number(pr_number)
    if number is None:
        if mode == "always":
            event = context.event_name or "local"
            return CommentDecision(
                None,
                (
                    "warning",
                    f"comment: always, but this {event} run is not about a pull request; "
                    "set pr-number",
                ),
            )
        if context.event_name == "workflow_run":
            return CommentDecision(
                None,
                (
                    "notice",
                    "workflow_run event without a pull request (GitHub does not list pull "
                    "requests from forks there); pass pr-number to comment",
                ),
            )
        return CommentDecision(None)
    if not context.repository or not has_token:
        missing = "GITHUB_REPOSITORY" if not context.repository else "a github-token"
        return CommentDecision(
            None,
            (
                "warning",
                f"no comment on #{number}: {missing} is not set; the report is in the step "
                "summary and the comment-body output",
            ),
        )
    from_event = context.event_pull_request() is not None
    if context.event_name == "workflow_run" and not from_event:
        head_sha = context.workflow_run_head_sha()
        if head_sha is None:
            return CommentDecision(
                None,
                (
                    "warning",
                    f"no comment on #{number}: the workflow_run event names no head commit to "
                    "check pr-number against",
                ),
            )
        return CommentDecision(number, head_sha=head_sha)
    return CommentDecision(number)
