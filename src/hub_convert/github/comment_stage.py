"""The PR comment stage, and what every publishing stage shares: the GitHub client, the result,
and turning a failure into an annotation (``Commenter.guarded``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import BadInputError, HubConvertError
from .client import connect, token_login
from .comment_body import COMMENT_LIMIT, comment_marker
from .comment_decision import Level, decide_comment
from .context import GitHubContext
from .pr_comment import pull_request_head, upsert_comment
from .publish_result import BodyBuilder, Problem, PublishResult
from .redaction import redact_urls
from .retry import RequestFailed
from .settings import PublishSettings
from .workflow_commands import WorkflowCommands


class Commenter:
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
        """Record a problem in the result and annotate it at its level."""
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
        """The GitHub client, connected on first use (only stages that need it connect)."""
        if self._gh is None:
            assert self.settings.token is not None
            self._gh = connect(self.context.api_url, self.settings.token, self.settings.retry)
        return self._gh

    def close(self) -> None:
        """Close the GitHub client, if one was connected."""
        if self._gh is not None:
            self._gh.close()

    def comment(self) -> None:
        """The PR comment stage: build the body, decide where it goes, create or update it."""
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


def publish_comment(
    body_for: BodyBuilder,
    key: str,
    settings: PublishSettings,
    context: GitHubContext,
    commands: WorkflowCommands,
) -> PublishResult:
    """Only the PR comment, with the body ``body_for`` builds (several models' combined
    comment, marker ``key``); the other stages are left to ``publish`` per report."""
    publisher = Commenter(settings, context, commands, key, body_for)
    try:
        publisher.guarded("comment", publisher.comment)
    finally:
        publisher.close()
    if not publisher.result.comment_body:
        publisher.result.comment_body = body_for(None, COMMENT_LIMIT)
    return publisher.result
