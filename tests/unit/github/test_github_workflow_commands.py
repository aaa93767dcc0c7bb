"""Workflow commands as the runner parses them: escaping, outputs, masks, the step summary."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hub_convert.errors import BadInputError, error_line
from hub_convert.github.workflow_commands import SUMMARY_LIMIT_BYTES, WorkflowCommands
from hub_convert.log_text import inert_lines
from support.github_fakes import read_outputs


def commands_for(tmp_path: Path, **kwargs: int) -> tuple[WorkflowCommands, io.StringIO]:
    log = io.StringIO()
    env = {
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    commands = WorkflowCommands.from_env(env, stream=log)
    for name, value in kwargs.items():
        setattr(commands, name, value)
    return commands, log


def test_annotation_data_and_properties_are_escaped(tmp_path: Path) -> None:
    commands, log = commands_for(tmp_path)

    commands.error("50% done\r\nnext", file="dir/a:b,c.py", title="t, 1")

    assert log.getvalue() == "::error file=dir/a%3Ab%2Cc.py,title=t%2C 1::50%25 done%0D%0Anext\n"


def test_untrusted_text_cannot_start_a_command_of_its_own(tmp_path: Path) -> None:
    commands, log = commands_for(tmp_path)

    commands.warning("op name\n::add-mask::x")
    commands.info("model path\n::error::fake")

    lines = log.getvalue().splitlines()
    assert lines == ["::warning::op name%0A::add-mask::x", "model path ::error::fake"]


def test_untrusted_text_cannot_carry_a_legacy_command_or_lead_with_one(tmp_path: Path) -> None:
    """The runner also reads ``##[name]data`` anywhere in a line (its legacy form, for every
    registered command) and ``::`` after leading blanks: a model's node name can hold either."""
    commands, log = commands_for(tmp_path)

    commands.info("layer ##[set-output name=verdict;]passed")
    commands.info("  ::add-mask::everything")
    commands.info("ok:: fine ::x")

    assert log.getvalue().splitlines() == [
        "layer ## [set-output name=verdict;]passed",
        "  : :add-mask::everything",
        "ok:: fine ::x",
    ]


def test_a_printed_error_and_a_cli_log_message_are_inert() -> None:
    message = "m.pb: node ##[error]x\n::error::y\u2028 reads nothing"

    assert error_line(BadInputError(message)) == (
        "hub-convert: error: m.pb: node ## [error]x ::error::y  reads nothing"
    )
    assert inert_lines("first\n::warning::second\n ##[debug]third") == (
        "first\n: :warning::second\n ## [debug]third"
    )


def test_group_is_closed_even_when_the_block_fails(tmp_path: Path) -> None:
    commands, log = commands_for(tmp_path)

    with pytest.raises(RuntimeError), commands.group("Upload: stage 1"):
        raise RuntimeError("boom")

    assert log.getvalue().splitlines() == ["::group::Upload: stage 1", "::endgroup::"]


def test_mask_registers_each_line_of_a_secret(tmp_path: Path) -> None:
    commands, log = commands_for(tmp_path)

    commands.add_mask("ghs_secret")
    commands.add_mask(None)
    commands.add_mask("line1\nline2")

    assert log.getvalue().splitlines() == [
        "::add-mask::ghs_secret",
        "::add-mask::line1",
        "::add-mask::line2",
    ]


def test_outputs_use_random_heredoc_delimiters(tmp_path: Path) -> None:
    commands, _ = commands_for(tmp_path)

    commands.set_output("comment-body", "line 1\nEOF\nline 3")
    commands.set_output("passed", "true")

    text = (tmp_path / "output").read_text()
    first, second = (line for line in text.splitlines() if "<<" in line)
    assert first.startswith("comment-body<<ghadelimiter_")
    assert first.split("<<")[1] != second.split("<<")[1]
    assert read_outputs(tmp_path / "output") == {
        "comment-body": "line 1\nEOF\nline 3",
        "passed": "true",
    }


def test_outputs_without_a_runner_file_stay_in_memory() -> None:
    commands = WorkflowCommands(io.StringIO())

    commands.set_output("passed", "false")

    assert commands.outputs == {"passed": "false"}


def test_summary_is_truncated_at_a_line_under_the_limit(tmp_path: Path) -> None:
    commands, _ = commands_for(tmp_path, summary_limit=2_000)
    (tmp_path / "summary.md").write_text("x" * 499 + "\n")
    table = "".join(f"| row {i:04d} | value |\n" for i in range(400))

    complete = commands.append_summary(table)

    text = (tmp_path / "summary.md").read_text()
    assert not complete
    assert len(text.encode()) < 2_000
    assert "Summary truncated" in text
    body = text.split("\n\n> [!WARNING]")[0]
    assert body.rstrip("\n").endswith("| value |")


def test_summary_stays_under_one_mebibyte(tmp_path: Path) -> None:
    commands, _ = commands_for(tmp_path)
    huge = "| ✅ passed | a long table row that repeats |\n" * 40_000  # ~2 MiB

    assert commands.append_summary("## first\n")
    assert not commands.append_summary(huge)

    assert (tmp_path / "summary.md").stat().st_size < SUMMARY_LIMIT_BYTES
    (tmp_path / "summary.md").read_text(encoding="utf-8")  # still valid UTF-8
