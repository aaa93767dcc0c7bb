"""Which pull request gets the comment, by event (push, workflow_run from a fork) and comment
key, against a fake GitHub REST API on 127.0.0.1."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from support.github_fakes import (
    FakeGitHub,
    Sleeps,
    publish_to_fake,
)
from support.report_factory import sample_report

MARKER = "<!-- hub-convert:models/tiny -->"
RUN_URL = "https://github.example/octo/models/actions/runs/4242"
COMMENTS = r"/repos/octo/models/issues/7/comments$"


def test_push_event_posts_no_comment(fake: FakeGitHub, tmp_path: Path) -> None:
    published = publish_to_fake(fake, tmp_path, sample_report(), event_name="push")

    assert fake.seen == []
    assert published.result.ok
    assert published.outputs["comment-body"].startswith(MARKER)


def test_comment_always_without_pull_request_warns(fake: FakeGitHub, tmp_path: Path) -> None:
    published = publish_to_fake(
        fake, tmp_path, sample_report(), event_name="push", comment="always"
    )

    assert fake.seen == []
    assert "::warning title=hub-convert%3A comment::comment: always" in published.log


def test_workflow_run_comments_on_the_pull_request_in_the_payload(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    payload = {"workflow_run": {"id": 1, "pull_requests": [{"number": 9}]}}

    publish_to_fake(fake, tmp_path, sample_report(), event_name="workflow_run", payload=payload)

    assert len(fake.comments[9]) == 1


FORK_HEAD = "a1" * 20


def test_workflow_run_for_a_fork_uses_pr_number(fake: FakeGitHub, tmp_path: Path) -> None:
    payload = {"workflow_run": {"id": 1, "pull_requests": [], "head_sha": FORK_HEAD}}
    fake.pull_heads[11] = FORK_HEAD

    publish_to_fake(
        fake, tmp_path, sample_report(), event_name="workflow_run", payload=payload, pr_number=11
    )

    assert len(fake.comments[11]) == 1


@pytest.mark.parametrize(
    ("pull_heads", "found"),
    [
        ({11: FORK_HEAD, 12: "b2" * 20}, "has head b2b2b2b2b2b2"),
        ({11: FORK_HEAD}, "does not exist"),
    ],
    ids=["another-pull-request", "no-such-pull-request"],
)
def test_workflow_run_pr_number_must_name_the_run_s_pull_request(
    fake: FakeGitHub, tmp_path: Path, pull_heads: dict[int, str], found: str
) -> None:
    """The fork pattern's pr-number is written by the untrusted job: a number naming another
    pull request (whose head is not the run's commit) gets no comment there."""
    payload = {"workflow_run": {"id": 1, "pull_requests": [], "head_sha": FORK_HEAD}}
    fake.pull_heads.update(pull_heads)

    published = publish_to_fake(
        fake, tmp_path, sample_report(), event_name="workflow_run", payload=payload, pr_number=12
    )

    assert fake.comments == {}
    assert not fake.requests("POST", r".*/comments") and not fake.requests("PATCH", r".*")
    assert f"no comment on #12: pull request #12 {found}, but this report was made" in (
        published.log
    )
    assert published.result.ok  # a warning: the report is still in the summary and outputs


def test_workflow_run_without_a_head_commit_does_not_trust_pr_number(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    payload = {"workflow_run": {"id": 1, "pull_requests": []}}
    fake.pull_heads[11] = FORK_HEAD

    published = publish_to_fake(
        fake, tmp_path, sample_report(), event_name="workflow_run", payload=payload, pr_number=11
    )

    assert fake.comments == {}
    assert "names no head commit to check pr-number against" in published.log


def test_comment_key_separates_models(fake: FakeGitHub, tmp_path: Path) -> None:
    publish_to_fake(fake, tmp_path, sample_report())
    publish_to_fake(fake, tmp_path, sample_report(), comment_key="second-model")

    markers = [c.body.splitlines()[0] for c in fake.comments[7]]
    assert markers == [MARKER, "<!-- hub-convert:second-model -->"]


def test_rate_limit_reset_too_far_away_is_an_error_not_a_fork_warning(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    reset = str(int(time.time()) + 3600)
    fake.fail(
        "GET",
        COMMENTS,
        403,
        times=10,
        body={"message": "API rate limit exceeded for installation."},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
    )
    sleeps = Sleeps()

    published = publish_to_fake(fake, tmp_path, sample_report(), sleeps=sleeps)

    assert sleeps == []
    assert not published.result.ok
    [error] = [line for line in published.log.splitlines() if line.startswith("::error")]
    assert "rate limited" in error and "more than the 300 s allowed" in error
    assert "read-only" not in published.log
