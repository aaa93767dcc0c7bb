"""The Action end to end on a pull request: entrypoint.py as the runner starts it, a real
conversion, and GitHub played by an HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from support.github_fakes import FakeGitHub, run_scope, runtime_token
from support.runner_env import pull_request_event, run_action

pytestmark = pytest.mark.tf

MARKER = "<!-- hub-convert:models/classifier -->"


def test_second_run_updates_the_one_comment(
    tmp_path: Path, keras_model: Path, fake: FakeGitHub
) -> None:
    workspace = tmp_path / "workspace"
    shutil.copytree(keras_model, workspace / "models" / "classifier")
    env = {
        "GITHUB_API_URL": fake.base_url,
        "ACTIONS_RUNTIME_TOKEN": runtime_token(),
        "ACTIONS_RESULTS_URL": fake.base_url + "/",
    }
    inputs = {
        "model": "models/classifier",
        "tflite-variants": "float32",
        "latency-runs": "0",
        "github-token": fake.token,
    }
    first = run_action(
        workspace, inputs, event_name="pull_request", event=pull_request_event(7), extra_env=env
    )
    assert first.exit_code == 0, first.log
    (comment,) = fake.comments[7]
    assert comment.body.startswith(MARKER)
    assert "all 2 artifacts passed validation" in comment.body
    assert first.outputs["comment-url"].endswith(str(comment.id))
    assert first.outputs["comment-body"] == comment.body
    # The token never appears in the log (it is masked, and never echoed).
    assert fake.token not in first.log.replace(f"::add-mask::{fake.token}", "")
    # The output directory went up as a workflow artifact, checked by the fake service.
    (stored,) = fake.artifacts.values()  # one run so far
    assert "classifier_float32.tflite" in stored.zip_names()
    assert "report.json" in stored.zip_names()

    # A new push to the PR: a new workflow run (its own run id and runtime token) converting
    # another variant set. Still one comment, updated in place.
    fake.runtime_runs.append(("run-backend-second", "job-backend-second"))
    second_env = env | {
        "GITHUB_RUN_ID": "4243",
        "ACTIONS_RUNTIME_TOKEN": runtime_token(
            run_scope("run-backend-second", "job-backend-second")
        ),
    }
    second = run_action(
        workspace,
        inputs | {"tflite-variants": "float32,float16"},
        event_name="pull_request",
        event=pull_request_event(7),
        extra_env=second_env,
    )
    assert second.exit_code == 0, second.log
    (updated,) = fake.comments[7]
    assert updated.id == comment.id
    assert "all 3 artifacts passed validation" in updated.body
    assert len(fake.requests("POST", r"/repos/octo/models/issues/7/comments$")) == 1
    assert len(fake.requests("PATCH", r"/repos/octo/models/issues/comments/\d+$")) == 1
    assert "all 3 artifacts passed validation" in second.summary
    # Other settings, so another default name: hub-convert-models-classifier-convert-<hash>.
    name = second.outputs["artifact-name"]
    assert name.startswith("hub-convert-models-classifier-convert-")
    assert name != first.outputs["artifact-name"]
    assert "float16" in "".join(fake.artifacts[f"run-backend-second/{name}"].zip_names())
    artifacts = json.loads(second.outputs["artifacts"])
    assert [a["variant"] for a in artifacts] == ["float32", "float16", "float32"]


def test_read_only_token_from_a_fork_warns_and_still_passes(
    tmp_path: Path, keras_model: Path, fake: FakeGitHub
) -> None:
    fake.read_only = True
    workspace = tmp_path / "workspace"
    shutil.copytree(keras_model, workspace / "models" / "classifier")
    run = run_action(
        workspace,
        {
            "model": "models/classifier",
            "targets": "onnx",
            "latency-runs": "0",
            "github-token": fake.token,
        },
        event_name="pull_request",
        event=pull_request_event(9),
        extra_env={"GITHUB_API_URL": fake.base_url},
    )
    assert run.exit_code == 0, run.log
    assert fake.comments.get(9, []) == []
    assert "::warning" in run.log and "403" in run.log
    assert run.outputs["comment-url"] == ""
    assert run.outputs["comment-body"].startswith(MARKER)
    assert "all 1 artifacts passed validation" in run.summary
