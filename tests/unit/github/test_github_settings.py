"""Action inputs → PublishSettings, and the runner environment → GitHubContext."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from hub_convert.action.inputs import ActionInputs, parse_inputs
from hub_convert.errors import BadInputError
from hub_convert.github.context import GitHubContext
from hub_convert.github.settings import PublishSettings


def from_inputs(inputs: Mapping[str, str]) -> PublishSettings:
    """Settings as the Action builds them from its inputs (the runner's INPUT_* variables)."""
    env = {f"INPUT_{name.upper()}": value for name, value in inputs.items()}
    return parse_inputs(ActionInputs({"INPUT_MODEL": "m", **env})).settings


def test_inputs_become_typed_settings() -> None:
    settings = from_inputs(
        {
            "comment": "recreate",
            "comment-key": " classifier ",
            "pr-number": "12",
            "upload-artifact": "True",
            "artifact-name": "converted-models",
            "overwrite": "yes",
            "retention-days": "7",
            "release-tag": "",
            "github-token": "ghs_abc",
        }
    )

    assert settings.comment == "recreate"
    assert settings.comment_key == "classifier"
    assert settings.pr_number == 12
    assert settings.upload_artifact is True
    assert settings.artifact_name == "converted-models"
    assert settings.overwrite is True
    assert settings.retention_days == 7
    assert settings.release_tag is None
    assert settings.token == "ghs_abc"
    assert "ghs_abc" not in repr(settings)


def test_missing_inputs_take_action_yml_defaults() -> None:
    settings = from_inputs({})

    assert (settings.comment, settings.upload_artifact, settings.artifact_name) == (
        "auto",
        True,
        "",
    )
    assert settings.pr_number is None and settings.token is None and settings.write_summary
    assert settings.overwrite is False


@pytest.mark.parametrize("spelling", ["yes", "Yes", "on", "true", "TRUE", "1"])
def test_every_boolean_input_reads_the_same_spellings(spelling: str) -> None:
    # allow-flex, allow-unsafe, upload-artifact, summary and debug share one parser.
    off = {"allow-flex": "no", "upload-artifact": "off", "summary": "false", "debug": "0"}
    parsed = parse_inputs(ActionInputs({"INPUT_MODEL": "m", **_env(off)}))
    assert not parsed.config.allow_flex and not parsed.settings.upload_artifact
    assert not parsed.settings.write_summary and not parsed.debug
    on = dict.fromkeys(
        ["allow-flex", "allow-unsafe", "upload-artifact", "summary", "debug"], spelling
    )
    parsed = parse_inputs(ActionInputs({"INPUT_MODEL": "m", **_env(on)}))
    assert parsed.config.allow_flex and parsed.config.allow_unsafe and parsed.debug
    assert parsed.settings.upload_artifact and parsed.settings.write_summary


def _env(inputs: Mapping[str, str]) -> dict[str, str]:
    return {f"INPUT_{name.upper()}": value for name, value in inputs.items()}


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"comment": "sometimes"}, "input comment: unknown value 'sometimes'; choose from auto,"),
        ({"pr-number": "#12"}, "input pr-number: '#12' is not a whole number"),
        ({"pr-number": "0"}, "input pr-number: must be at least 1, got 0"),
        (
            {"upload-artifact": "maybe"},
            "input upload-artifact: expected true or false, got 'maybe'",
        ),
        ({"allow-flex": "maybe"}, "input allow-flex: expected true or false, got 'maybe'"),
        ({"retention-days": "1000"}, "input retention-days: must be at most 400, got 1000"),
        ({"artifact-name": "models/tiny"}, "input artifact-name: 'models/tiny' contains '/'"),
        ({"comment-key": "a\nb"}, "input comment-key: must be a single line"),
        ({"samples": "many"}, "input samples: 'many' is not a whole number"),
        ({"targets": "tflite,coreml"}, "input targets: unknown value 'coreml'"),
    ],
)
def test_bad_inputs_stop_with_one_line_naming_the_input(
    inputs: dict[str, str], message: str
) -> None:
    with pytest.raises(BadInputError) as caught:
        from_inputs(inputs)

    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


def context_for(tmp_path: Path, event_name: str, payload: Mapping[str, object]) -> GitHubContext:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload))
    return GitHubContext.from_env(
        {
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REPOSITORY": "octo/models",
            "GITHUB_RUN_ID": "99",
            "GITHUB_SERVER_URL": "https://ghes.example/",
            "GITHUB_API_URL": "https://ghes.example/api/v3/",
            "ACTIONS_RUNTIME_TOKEN": "jwt",
        }
    )


def test_pull_request_number_from_each_kind_of_event(tmp_path: Path) -> None:
    pr = context_for(tmp_path, "pull_request_target", {"pull_request": {"number": 5}})
    assert pr.pull_request_number(None) == 5
    assert pr.pull_request_number(99) == 5  # the event's own pull request wins

    listed = {"workflow_run": {"pull_requests": [{"number": 8}]}}
    run = context_for(tmp_path, "workflow_run", listed)
    assert run.pull_request_number(None) == 8

    fork_run = context_for(tmp_path, "workflow_run", {"workflow_run": {"pull_requests": []}})
    assert fork_run.pull_request_number(None) is None
    assert fork_run.pull_request_number(21) == 21

    issue_comment = context_for(
        tmp_path, "issue_comment", {"issue": {"number": 3, "pull_request": {"url": "x"}}}
    )
    assert issue_comment.pull_request_number(None) == 3

    push = context_for(tmp_path, "push", {"ref": "refs/heads/main"})
    assert push.pull_request_number(None) is None
    assert push.event_release_id() is None


def test_release_event_and_urls(tmp_path: Path) -> None:
    context = context_for(tmp_path, "release", {"release": {"id": 77, "tag_name": "v1"}})

    assert context.event_release_id() == 77
    assert context.api_url == "https://ghes.example/api/v3"
    assert context.run_url == "https://ghes.example/octo/models/actions/runs/99"
    assert context.artifact_url(5) == "https://ghes.example/octo/models/actions/runs/99/artifacts/5"
    assert "jwt" not in repr(context)


def test_local_run_has_no_event_and_no_run_url() -> None:
    context = GitHubContext.from_env({})

    assert context.api_url == "https://api.github.com"
    assert context.run_url is None
    assert context.pull_request_number(None) is None


def test_unreadable_event_payload_is_bad_input(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text("{not json")

    with pytest.raises(BadInputError, match="GITHUB_EVENT_PATH"):
        GitHubContext.from_env({"GITHUB_EVENT_PATH": str(event)})
