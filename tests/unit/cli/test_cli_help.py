"""hub-convert's help: grouped options, each with help and its default, readable metavars,
one error prefix, and a publish-only install told which extra to install."""

from __future__ import annotations

import argparse
import importlib.util
import re
from importlib.machinery import ModuleSpec

import pytest

from hub_convert.cli import main
from hub_convert.cli.convert_command import require_converters
from hub_convert.cli.parser import build_parser
from hub_convert.errors import BadInputError

# Options whose help needs no default: flags of argparse itself (required ones say so).
NO_DEFAULT = {"-h", "--version", "--debug"}


def command(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    chosen: argparse.ArgumentParser = commands.choices[name]
    return chosen


def options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings]


@pytest.mark.parametrize("name", ["convert", "publish", "plan"])
def test_every_option_has_help_with_its_default_and_a_readable_metavar(name: str) -> None:
    parser = command(name)
    for action in options(parser):
        flag = action.option_strings[0]
        assert action.help, f"{flag} has no help"
        if not (NO_DEFAULT & set(action.option_strings) or action.required):
            assert "default" in action.help, f"{flag}: help says no default"
        metavar = action.metavar or ""
        assert "_" not in str(metavar), f"{flag}: metavar {metavar}"
        assert action.metavar is not None or action.nargs == 0 or action.choices, flag
    text = parser.format_help()
    assert "`" not in text, "raw backticks in the help"


def test_convert_options_are_grouped_by_concern() -> None:
    titles = [group.title for group in command("convert")._action_groups]
    for title in (
        "input",
        "outputs and variants",
        "validation and policy",
        "resources",
        "comparison",
        "safety",
    ):
        assert title in titles
    grouped = {
        action.dest
        for group in command("convert")._action_groups
        if group.title not in ("options", "positional arguments")
        for action in group._group_actions
    }
    loose = {a.dest for a in options(command("convert"))} - grouped
    assert loose <= {"help", "debug"}, loose


def test_help_ends_with_exit_codes_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["convert", "--help"], ["publish", "--help"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(argv)
        text = capsys.readouterr().out
        assert "exit codes:" in text and "2  bad input" in text
        if argv != ["--help"]:
            assert "examples:\n  hub-convert " + argv[0] in text


def test_publish_names_report_json_once(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["publish", "--help"])
    text = capsys.readouterr().out
    positional = text.split("positional arguments:")[1].split("\n\n")[0]
    assert positional.count("REPORT_JSON") == 1


def test_a_usage_error_has_one_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "model"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("hub-convert: error: ")
    assert line.count("hub-convert") == 2, line  # the prefix, and `hub-convert convert --help`
    assert re.search(r"--output-dir.*\(see hub-convert convert --help\)$", line)


def test_convert_without_the_converters_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def without_tensorflow(name: str, package: str | None = None) -> ModuleSpec | None:
        return None if name == "tensorflow" else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", without_tensorflow)
    with pytest.raises(BadInputError) as raised:
        require_converters()
    assert 'pip install "hub-convert[convert]"' in str(raised.value)
    assert "tensorflow" in str(raised.value)
