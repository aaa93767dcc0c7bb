"""`hub-convert publish A/report.json B/report.json`: several models' reports (the Action's
``models`` input, fork workflow), one combined comment, against the fake GitHub."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hub_convert.cli.parser import build_parser
from hub_convert.cli.publish_command import settings_from_args
from hub_convert.errors import BadInputError
from hub_convert.github.publish_several import publish_report_files
from hub_convert.github.workflow_commands import WorkflowCommands
from support.github_fakes import FakeGitHub, fast_retry, runner_env, write_report_dir
from support.report_factory import sample_report


def publish(fake: FakeGitHub, root: Path, *paths: Path) -> int:
    env = runner_env(fake, root)
    args = build_parser().parse_args(["publish", *map(str, paths)])
    assert [args.report_json, *args.more_reports] == list(paths)
    settings = settings_from_args(args, env)
    settings.retry = fast_retry()
    commands = WorkflowCommands.from_env(env, stream=io.StringIO())
    return publish_report_files([args.report_json, *args.more_reports], settings, env, commands)


def test_several_reports_one_comment_updated_in_place(fake: FakeGitHub, tmp_path: Path) -> None:
    good = write_report_dir(tmp_path / "a", sample_report(model_path="models/good"))
    bad = write_report_dir(tmp_path / "b", sample_report(passed=False, model_path="models/failing"))

    assert publish(fake, tmp_path, good / "report.json", bad / "report.json") == 0
    (comment,) = fake.comments[7]
    assert comment.body.startswith("<!-- hub-convert:models -->\n## hub-convert: 2 models")
    assert "<details><summary>models/good: passed</summary>" in comment.body
    assert "| `models/failing` | ❌ failed |" in comment.body

    assert publish(fake, tmp_path, good / "report.json", bad / "report.json") == 0
    (again,) = fake.comments[7]
    assert again.id == comment.id


def test_one_invalid_report_stops_before_anything_is_posted(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    good = write_report_dir(tmp_path / "a", sample_report(model_path="models/good"))
    forged = tmp_path / "forged.json"
    forged.write_text('{"schema_version": 2}')
    with pytest.raises(BadInputError, match="not a hub-convert report"):
        publish(fake, tmp_path, good / "report.json", forged)
    assert fake.comments.get(7, []) == []
