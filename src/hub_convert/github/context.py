"""Where we are running: the GitHub Actions environment and the event that started the run."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BadInputError

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"
PULL_REQUEST_EVENTS = frozenset(
    {"pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment"}
)


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and int(value) > 0:
        return int(value)
    return None


@dataclass(frozen=True)
class GitHubContext:
    """The parts of the runner environment publishing needs (all optional for local runs)."""

    api_url: str = DEFAULT_API_URL
    server_url: str = DEFAULT_SERVER_URL
    repository: str | None = None
    event_name: str | None = None
    event: Mapping[str, Any] = field(default_factory=dict, repr=False)
    run_id: str | None = None
    run_attempt: int = 1
    job: str | None = None
    """``GITHUB_JOB``: the job's id in the workflow (the same for every entry of a matrix)."""
    step: str | None = None
    """``GITHUB_ACTION``: the step's id, else a name the runner gives it (``__owner_repo``,
    ``__owner_repo_2`` for a second use in the job)."""
    runner: str | None = None
    """``RUNNER_OS/RUNNER_ARCH``, e.g. ``Linux/X64``."""
    runtime_token: str | None = field(default=None, repr=False)
    results_url: str | None = None
    retention_days_max: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitHubContext:
        """Read ``GITHUB_*`` / ``ACTIONS_*`` variables and the event payload file."""

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        event: Mapping[str, Any] = {}
        event_path = get("GITHUB_EVENT_PATH")
        if event_path:
            try:
                loaded = json.loads(Path(event_path).read_text(encoding="utf-8"))
            except FileNotFoundError:
                loaded = {}
            except (OSError, ValueError) as exc:
                raise BadInputError(
                    f"GITHUB_EVENT_PATH={event_path}: cannot read the event payload ({exc})"
                ) from exc
            event = loaded if isinstance(loaded, dict) else {}
        retention = get("GITHUB_RETENTION_DAYS")
        runner = "/".join(filter(None, (get("RUNNER_OS"), get("RUNNER_ARCH"))))
        return cls(
            api_url=(get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
            server_url=(get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL).rstrip("/"),
            repository=get("GITHUB_REPOSITORY"),
            event_name=get("GITHUB_EVENT_NAME"),
            event=event,
            run_id=get("GITHUB_RUN_ID"),
            run_attempt=_positive_int(get("GITHUB_RUN_ATTEMPT")) or 1,
            job=get("GITHUB_JOB"),
            step=get("GITHUB_ACTION"),
            runner=runner or None,
            runtime_token=get("ACTIONS_RUNTIME_TOKEN"),
            results_url=get("ACTIONS_RESULTS_URL"),
            retention_days_max=_positive_int(retention),
        )

    @property
    def run_url(self) -> str | None:
        """The workflow run's page (its summary), when the run is known."""
        if not (self.repository and self.run_id):
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    def artifact_url(self, artifact_id: int) -> str | None:
        """Download page of a workflow artifact of this run."""
        run_url = self.run_url
        return f"{run_url}/artifacts/{artifact_id}" if run_url else None

    def event_pull_request(self) -> int | None:
        """The pull request the event is about, if any.

        For ``workflow_run`` this is ``workflow_run.pull_requests[0]``; GitHub leaves that list
        empty for pull requests from forks, where the caller must pass ``pr-number``.
        """
        event = self.event
        if self.event_name in PULL_REQUEST_EVENTS:
            pull = event.get("pull_request")
            number = pull.get("number") if isinstance(pull, dict) else None
            return _positive_int(number) or _positive_int(event.get("number"))
        if self.event_name == "issue_comment":
            issue = event.get("issue")
            if isinstance(issue, dict) and issue.get("pull_request"):
                return _positive_int(issue.get("number"))
            return None
        if self.event_name == "workflow_run":
            run = event.get("workflow_run")
            pulls = run.get("pull_requests") if isinstance(run, dict) else None
            if isinstance(pulls, list) and pulls and isinstance(pulls[0], dict):
                return _positive_int(pulls[0].get("number"))
        return None

    def workflow_run_head_sha(self) -> str | None:
        """The commit a ``workflow_run`` event's run built (``workflow_run.head_sha``)."""
        if self.event_name != "workflow_run":
            return None
        run = self.event.get("workflow_run")
        sha = run.get("head_sha") if isinstance(run, dict) else None
        if isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", sha):
            return sha
        return None

    def pull_request_number(self, explicit: int | None) -> int | None:
        """The event's pull request, else the explicit ``pr-number`` input."""
        return self.event_pull_request() or explicit

    def event_release_id(self) -> int | None:
        """The release of a ``release`` event (by id: drafts have no findable tag yet)."""
        if self.event_name != "release":
            return None
        release = self.event.get("release")
        return _positive_int(release.get("id")) if isinstance(release, dict) else None
