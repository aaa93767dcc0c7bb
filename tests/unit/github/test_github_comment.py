"""The pull request comment, against a fake GitHub REST API on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

from hub_convert.github.comment_body import COMMENT_LIMIT
from hub_convert.report.render import render_report
from hub_convert.report.schema import Report
from hub_convert.report.source_info import TensorInfo
from support.github_fakes import (
    BOT_LOGIN,
    FakeGitHub,
    Sleeps,
    publish_to_fake,
)
from support.report_factory import sample_report

MARKER = "<!-- hub-convert:models/tiny -->"
RUN_URL = "https://github.example/octo/models/actions/runs/4242"
COMMENTS = r"/repos/octo/models/issues/7/comments$"


def with_many_ops(report: Report, count: int) -> Report:
    """Detail tables (source op list) far over the comment limit; the rest small."""
    ops = {f"VeryLongCustomOperationNameNumber{i:05d}": 1 for i in range(count)}
    return report.model_copy(update={"source": report.source.model_copy(update={"op_counts": ops})})


def with_many_outputs(report: Report, count: int) -> Report:
    """Even the report without detail tables is over the limit (a huge output table)."""
    outputs = [
        TensorInfo(
            name=f"output_tensor_with_a_rather_long_name_{i:05d}",
            dtype="float32",
            shape=[None, 1000],
        )
        for i in range(count)
    ]
    return report.model_copy(
        update={"source": report.source.model_copy(update={"outputs": outputs})}
    )


def test_creates_one_comment_with_marker_report_and_run_link(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    published = publish_to_fake(fake, tmp_path, sample_report())

    [comment] = fake.comments[7]
    assert comment.login == BOT_LOGIN
    assert comment.body.splitlines()[0] == MARKER
    assert "## hub-convert: models/tiny" in comment.body
    assert f"[workflow run]({RUN_URL})" in comment.body
    assert published.result.comment_action == "created"
    assert published.result.comment_url and published.result.comment_url.endswith(
        f"#issuecomment-{comment.id}"
    )
    assert published.outputs["comment-url"] == published.result.comment_url
    assert published.outputs["comment-body"] == comment.body
    [post] = fake.requests("POST", COMMENTS)
    assert post.headers["Authorization"].endswith(fake.token)
    assert "::group::Comment on pull request #7" in published.log


def test_updates_own_comment_in_place(fake: FakeGitHub, tmp_path: Path) -> None:
    old = fake.add_comment(7, f"{MARKER}\nold report")

    published = publish_to_fake(fake, tmp_path, sample_report(passed=False))

    assert [c.id for c in fake.comments[7]] == [old.id]
    assert "1 of 2 artifacts failed the policy" in fake.comments[7][0].body
    assert published.result.comment_action == "updated"
    assert not fake.requests("POST", COMMENTS)
    assert len(fake.requests("PATCH", rf"/issues/comments/{old.id}$")) == 1


def test_unchanged_body_is_not_written_again(fake: FakeGitHub, tmp_path: Path) -> None:
    publish_to_fake(fake, tmp_path, sample_report())
    second = publish_to_fake(fake, tmp_path, sample_report())

    assert second.result.comment_action == "unchanged"
    assert len(fake.comments[7]) == 1
    assert not fake.requests("PATCH", r"/issues/comments/")
    assert second.result.comment_url == f"{fake.comments[7][0].id}".join(
        ["https://github.example/octo/models/pull/1#issuecomment-", ""]
    )


def test_finds_marker_on_page_three_of_250_comments(fake: FakeGitHub, tmp_path: Path) -> None:
    for i in range(230):
        fake.add_comment(7, f"review comment {i}", login=f"reviewer{i % 5}")
    own = fake.add_comment(7, f"{MARKER}\nstale")
    for _ in range(19):
        fake.add_comment(7, "lgtm", login="maintainer")

    published = publish_to_fake(fake, tmp_path, sample_report())

    assert published.result.comment_action == "updated"
    assert len(fake.comments[7]) == 250
    assert own.body.startswith(MARKER) and "stale" not in own.body
    pages = [s.query.get("page", ["1"])[0] for s in fake.requests("GET", COMMENTS)]
    assert pages == ["1", "2", "3"]
    assert not fake.requests("POST", COMMENTS)


def test_another_users_comment_with_the_marker_is_left_alone(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    theirs = fake.add_comment(7, f"{MARKER}\nquoted by a human", login="mallory")

    published = publish_to_fake(fake, tmp_path, sample_report())

    assert published.result.comment_action == "created"
    assert theirs.body == f"{MARKER}\nquoted by a human"
    assert [c.login for c in fake.comments[7]] == ["mallory", BOT_LOGIN]


def test_personal_token_user_found_through_rest(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.rest_user_allowed = True
    fake.login = "octocat"
    fake.add_comment(7, f"{MARKER}\nby the default bot", login=BOT_LOGIN)
    mine = fake.add_comment(7, f"{MARKER}\nold", login="octocat")

    published = publish_to_fake(fake, tmp_path, sample_report())

    assert published.result.comment_action == "updated"
    assert mine.body != f"{MARKER}\nold"
    assert fake.comments[7][0].body == f"{MARKER}\nby the default bot"
    assert not fake.requests("POST", r"/graphql$")


def test_recreate_deletes_old_comment_and_posts_a_new_one(fake: FakeGitHub, tmp_path: Path) -> None:
    old = fake.add_comment(7, f"{MARKER}\nold")
    fake.add_comment(7, "a later review", login="maintainer")

    published = publish_to_fake(fake, tmp_path, sample_report(), comment="recreate")

    assert published.result.comment_action == "recreated"
    assert [c.login for c in fake.comments[7]] == ["maintainer", BOT_LOGIN]
    assert fake.comments[7][-1].id != old.id


def test_read_only_token_from_a_fork_is_a_warning_not_a_failure(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    fake.read_only = True

    published = publish_to_fake(fake, tmp_path, sample_report())

    assert published.result.ok
    assert published.result.comment_url is None
    assert 7 not in fake.comments
    warnings = [line for line in published.log.splitlines() if line.startswith("::warning")]
    assert len(warnings) == 1 and "read-only" in warnings[0] and "workflow_run" in warnings[0]
    assert "## hub-convert: models/tiny" in published.summary
    assert published.outputs["comment-body"].startswith(MARKER)
    assert published.outputs["comment-url"] == ""


def test_server_errors_twice_then_success(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.fail("POST", COMMENTS, 502, times=2)
    sleeps = Sleeps()

    published = publish_to_fake(fake, tmp_path, sample_report(), sleeps=sleeps)

    assert published.result.comment_action == "created"
    assert len(fake.comments[7]) == 1
    assert len(fake.requests("POST", COMMENTS)) == 3
    assert sleeps == [1.0, 2.0]  # exponential backoff, injected so the test does not wait


def test_rate_limit_waits_for_retry_after(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.fail(
        "GET",
        COMMENTS,
        403,
        body={"message": "You have exceeded a secondary rate limit."},
        headers={"Retry-After": "7"},
    )
    sleeps = Sleeps()

    published = publish_to_fake(fake, tmp_path, sample_report(), sleeps=sleeps)

    assert sleeps == [7.0]
    assert published.result.comment_action == "created"


def test_persistent_server_error_becomes_an_error_annotation(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    fake.fail("POST", COMMENTS, 503, times=100)

    published = publish_to_fake(fake, tmp_path, sample_report())

    assert not published.result.ok
    errors = [line for line in published.log.splitlines() if line.startswith("::error")]
    assert len(errors) == 1
    assert "after 4 attempts" in errors[0] and "HTTP 503" in errors[0]
    assert published.outputs["comment-body"].startswith(MARKER)
    assert (tmp_path / "out" / "tiny_float32.tflite").is_file()


def test_long_report_collapses_detail_tables_first(fake: FakeGitHub, tmp_path: Path) -> None:
    report = with_many_ops(sample_report(), 3000)
    assert len(render_report(report)) > COMMENT_LIMIT

    publish_to_fake(fake, tmp_path, report)

    [comment] = fake.comments[7]
    assert len(comment.body) <= COMMENT_LIMIT
    assert render_report(report, details=False).rstrip() in comment.body
    assert "### Op coverage" not in comment.body
    assert "truncated" not in comment.body


def test_report_too_long_even_without_details_is_truncated_with_links(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    report = with_many_outputs(sample_report(), 3000)

    published = publish_to_fake(fake, tmp_path, report)

    [comment] = fake.comments[7]
    assert COMMENT_LIMIT - 1000 < len(comment.body) <= COMMENT_LIMIT
    assert comment.body.startswith(MARKER)
    assert (
        "**Report truncated**" in comment.body and f"[the run summary]({RUN_URL})" in comment.body
    )
    assert comment.body.count("<details") == comment.body.count("</details>")
    assert "output_tensor_with_a_rather_long_name_02999" in published.summary


def test_body_refused_as_too_long_is_shortened_once(fake: FakeGitHub, tmp_path: Path) -> None:
    # GitHub may count characters differently; its 422 gets a body half the limit.
    fake.comment_limit = 40_000
    report = with_many_outputs(sample_report(), 900)

    published = publish_to_fake(fake, tmp_path, report)

    [comment] = fake.comments[7]
    assert len(comment.body) <= COMMENT_LIMIT // 2
    assert published.outputs["comment-body"] == comment.body
    statuses = [len(s.json()["body"]) > 40_000 for s in fake.requests("POST", COMMENTS)]
    assert statuses == [True, False]
