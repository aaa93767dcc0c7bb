"""The PyGithub client, configured for a one-shot CI step, and who the token belongs to."""

from __future__ import annotations

from typing import Any

from github import Auth, Github

from .. import __version__
from .retry import RequestFailed, RetryPolicy, call_with_retry

# The login GitHub gives the default GITHUB_TOKEN; used when the API cannot tell us.
ACTIONS_BOT_LOGIN = "github-actions[bot]"


def connect(api_url: str, token: str, policy: RetryPolicy) -> Github:
    """A PyGithub client for ``api_url`` (``GITHUB_API_URL``: github.com, GHES or a test server).

    PyGithub's own urllib3 retries are off: ``RetryPolicy`` decides, so there is one place
    that honours Retry-After and one backoff that tests can make instant.
    """
    return Github(
        auth=Auth.Token(token),
        base_url=api_url,
        user_agent=f"hub-convert/{__version__}",
        timeout=30,
        per_page=100,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=policy.write_interval or None,
        lazy=True,
    )


def normalize_login(login: str) -> str:
    """Compare logins case-insensitively and without the ``[bot]`` suffix.

    REST reports an app's comments as ``name[bot]`` while GraphQL's ``viewer`` says ``name``.
    """
    login = login.strip().lower()
    return login.removesuffix("[bot]")


def token_login(gh: Github, policy: RetryPolicy) -> tuple[str, bool]:
    """The login the token acts as, and whether the API confirmed it.

    ``GET /user`` works for personal tokens; installation tokens (GITHUB_TOKEN, GitHub Apps)
    get 403 there but GraphQL's ``viewer`` answers. When neither does, assume the default
    GITHUB_TOKEN's bot, the usual case in a workflow.
    """
    try:
        login = call_with_retry(lambda: str(gh.get_user().login), policy=policy, what="GET /user")
        return login, True
    except RequestFailed as exc:
        if exc.status not in (401, 403, 404):
            raise
    try:
        _, data = call_with_retry(
            lambda: gh.requester.graphql_query("query { viewer { login } }", {}),
            policy=policy,
            what="GraphQL viewer",
        )
    except RequestFailed as exc:
        if exc.status not in (400, 401, 403, 404):
            raise
        return ACTIONS_BOT_LOGIN, False
    viewer: Any = (data.get("data") or {}).get("viewer") or {}
    viewer_login = viewer.get("login") if isinstance(viewer, dict) else None
    if isinstance(viewer_login, str) and viewer_login:
        return viewer_login, True
    return ACTIONS_BOT_LOGIN, False
