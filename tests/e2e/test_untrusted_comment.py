"""Publishing a hostile report.json against the fake GitHub: nothing live in the comment or
the step summary, and no other model's sticky comment touched, whatever the report's text
says (the marker is the body's first line only, and its key comes from the settings)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from hub_convert.github.comment_body import truncate_markdown
from hub_convert.github.publish_file import publish_report_file
from hub_convert.github.settings import PublishSettings
from hub_convert.github.workflow_commands import WorkflowCommands
from support.crafted_report import INJECTED, OTHER_MARKER, crafted_report_json
from support.github_fakes import BOT_LOGIN, FakeGitHub, fast_retry, publish_to_fake, runner_env
from support.markdown_html import assert_nothing_live
from support.report_factory import sample_report

RUN_URL = "https://github.example/octo/models/actions/runs/4242"
MARKER = "<!-- hub-convert:models/tiny -->"


def publish_file(
    fake: FakeGitHub, root: Path, report_json: Path, **settings: Any
) -> tuple[int, str, str]:
    """`hub-convert publish report.json` on a pull_request run: exit code, log, step summary."""
    env = runner_env(fake, root)
    log = io.StringIO()
    options = PublishSettings(token=fake.token, retry=fast_retry(), **settings)
    code = publish_report_file(report_json, options, env, WorkflowCommands.from_env(env, log))
    return code, log.getvalue(), Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")


def test_hostile_report_is_published_with_nothing_live(fake: FakeGitHub, tmp_path: Path) -> None:
    report_json = crafted_report_json(tmp_path / "report.json")

    code, log, summary = publish_file(fake, tmp_path, report_json, comment_key="models/tiny")

    assert code == 0
    [comment] = fake.comments[7]
    first, rest = comment.body.split("\n", 1)
    assert first == MARKER
    assert_nothing_live(rest, links=(RUN_URL,))
    assert_nothing_live(summary)
    # The payload's line breaks are escaped in annotations: it starts no command of its own.
    assert INJECTED in log
    assert not any(line.startswith(INJECTED) for line in log.splitlines())


def test_report_text_with_another_models_marker_leaves_that_comment_alone(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    other = fake.add_comment(7, f"{OTHER_MARKER}\nthe other model's report")
    report_json = crafted_report_json(tmp_path / "report.json")

    publish_file(fake, tmp_path, report_json, comment_key="models/tiny")
    publish_file(fake, tmp_path, report_json, comment_key="models/tiny")  # finds its own again

    assert other.body == f"{OTHER_MARKER}\nthe other model's report"
    assert not fake.requests("PATCH", rf"/issues/comments/{other.id}$")
    assert not fake.requests("DELETE", rf"/issues/comments/{other.id}$")
    [ours] = [c for c in fake.comments[7] if c.id != other.id]
    assert ours.body.startswith(MARKER + "\n") and ours.body.count("<!--") == 1

    # The other model's next run finds its own comment, not the one quoting its marker.
    (tmp_path / "other").mkdir()
    publish_to_fake(fake, tmp_path / "other", sample_report(), comment_key="other-model")
    assert [c.id for c in fake.comments[7]] == [other.id, ours.id]
    assert "## hub-convert: models/tiny" in other.body
    assert ours.body.startswith(MARKER)


def test_a_marker_below_the_first_line_is_not_the_comments_marker(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    # What a report could leave before markers were matched on the first line only.
    hijacked = fake.add_comment(7, f"{MARKER}\nreport text\n{OTHER_MARKER}\nmore")

    publish_to_fake(fake, tmp_path, sample_report(), comment_key="other-model")

    assert hijacked.body == f"{MARKER}\nreport text\n{OTHER_MARKER}\nmore"
    assert [c.body.split("\n", 1)[0] for c in fake.comments[7]] == [MARKER, OTHER_MARKER]
    assert all(c.login == BOT_LOGIN for c in fake.comments[7])


def test_the_comment_key_setting_outranks_the_reports_model_path(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    other = fake.add_comment(7, f"{OTHER_MARKER}\nthe other model's report")
    forged = sample_report(model_path="other-model")  # the report claims another model
    (tmp_path / "out").mkdir()
    report_json = tmp_path / "out" / "report.json"
    report_json.write_text(forged.to_json(), encoding="utf-8")

    publish_file(fake, tmp_path, report_json, comment_key="models/tiny")

    assert other.body == f"{OTHER_MARKER}\nthe other model's report"
    assert [c.body.split("\n", 1)[0] for c in fake.comments[7]] == [OTHER_MARKER, MARKER]


def test_workflow_run_without_a_comment_key_gets_a_notice(fake: FakeGitHub, tmp_path: Path) -> None:
    report_json = crafted_report_json(tmp_path / "report.json")
    payload = {"workflow_run": {"id": 1, "pull_requests": [{"number": 9}]}}
    env = runner_env(fake, tmp_path, event_name="workflow_run", payload=payload)
    log = io.StringIO()
    options = PublishSettings(token=fake.token, retry=fast_retry())

    publish_report_file(report_json, options, env, WorkflowCommands.from_env(env, log))

    assert any(
        line.startswith("::notice") and "pass --comment-key" in line
        for line in log.getvalue().splitlines()
    )


def test_truncation_closes_a_long_fence_with_the_same_fence() -> None:
    text = "intro\n<details><summary>x</summary>\n\n``````sh\n" + "```\n" * 500 + "``````\n"

    cut = truncate_markdown(text, 600)

    assert len(cut) <= 600
    assert cut.endswith("``````\n\n</details>\n")
