"""One pull request comment per model that stays up to date ("sticky" comment).

The comment is found by its hidden marker, which must be its exact first line, *and* its
author: another user's comment that quotes or copies the marker is never edited, and a comment
whose text merely contains another model's marker is not that model's comment. Every page of
comments is searched. A write is retried together with the lookup before it, so a retried
create after a lost response cannot post a duplicate (the retry finds the comment and updates
it instead).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from github import Github, GithubException

from .client import normalize_login
from .comment_body import carries_marker
from .retry import RequestFailed, RetryPolicy, call_with_retry

CommentAction = Literal["created", "updated", "unchanged", "recreated"]


@dataclass(frozen=True)
class CommentOutcome:
    """What happened to the comment, and the body GitHub now shows."""

    action: CommentAction
    url: str
    comment_id: int
    body: str


def _same_text(a: str | None, b: str) -> bool:
    # GitHub may hand back CRLF line ends and trims trailing whitespace.
    return (a or "").replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()


def _is_too_long(exc: GithubException) -> bool:
    return exc.status == 422 and "too long" in str(exc.data).lower()


def find_own_comments(issue: Any, marker: str, login: str) -> list[Any]:
    """Comments on ``issue`` whose first line is ``marker``, written by ``login``, oldest first."""
    wanted = normalize_login(login)
    found = []
    for comment in issue.get_comments():  # PaginatedList: follows every page
        user = comment.user
        if user is None or normalize_login(user.login) != wanted:
            continue
        if carries_marker(comment.body, marker):
            found.append(comment)
    return found


def upsert_comment(
    gh: Github,
    repository: str,
    number: int,
    body: str,
    *,
    marker: str,
    login: str,
    recreate: bool,
    policy: RetryPolicy,
    shorter_body: Callable[[], str] | None = None,
) -> CommentOutcome:
    """Update hub-convert's comment on pull request ``number`` in place, or create it.

    ``recreate`` deletes the old comment(s) and posts a new one at the end of the thread.
    ``shorter_body`` is used once if GitHub still finds the body too long (it may count
    characters differently from Python).
    """
    issue = gh.get_repo(repository).get_issue(number)
    current = {"body": body}

    def write(action: Callable[[str], Any]) -> Any:
        try:
            return action(current["body"])
        except GithubException as exc:
            if not (shorter_body and _is_too_long(exc)):
                raise
            current["body"] = shorter_body()
            return action(current["body"])

    def sync() -> CommentOutcome:
        own = find_own_comments(issue, marker, login)
        if own and not recreate:
            target = own[0]
            if _same_text(target.body, current["body"]):
                return CommentOutcome("unchanged", target.html_url, target.id, target.body)
            write(target.edit)
            return CommentOutcome("updated", target.html_url, target.id, current["body"])
        for old in own:
            try:
                old.delete()
            except GithubException as exc:
                if exc.status != 404:  # already gone: someone else cleaned up
                    raise
        created = write(issue.create_comment)
        action: CommentAction = "recreated" if own else "created"
        return CommentOutcome(action, created.html_url, created.id, current["body"])

    return call_with_retry(sync, policy=policy, what=f"comment on pull request #{number}")


def pull_request_head(gh: Github, repository: str, number: int, policy: RetryPolicy) -> str | None:
    """The head commit of pull request ``number``; None when the repository has no such pull
    request (404)."""
    try:
        return call_with_retry(
            lambda: str(gh.get_repo(repository).get_pull(number).head.sha),
            policy=policy,
            what=f"GET pull request #{number}",
        )
    except RequestFailed as exc:
        if exc.status == 404:
            return None
        raise
