"""`hub-convert publish report.json`: the privileged workflow_run half of the fork pattern."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub_convert.cli.parser import build_parser
from hub_convert.cli.publish_command import settings_from_args
from hub_convert.errors import BadInputError
from hub_convert.github.publish_file import publish_report_file
from hub_convert.github.retry import RetryPolicy
from hub_convert.github.workflow_commands import WorkflowCommands
from support.github_fakes import (
    FakeGitHub,
    fast_retry,
    read_outputs,
    runner_env,
    write_report_dir,
)
from support.report_factory import sample_report

RUN_HEAD = "3" * 40
FORK_RUN = {
    "workflow_run": {"id": 17, "event": "pull_request", "pull_requests": [], "head_sha": RUN_HEAD}
}


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["publish", *argv])


def run_publish(
    args: argparse.Namespace,
    env: dict[str, str],
    *,
    commands: WorkflowCommands,
    retry: RetryPolicy | None = None,
) -> int:
    """What `hub-convert publish` does with its parsed arguments, with a fast retry policy."""
    settings = settings_from_args(args, env)
    settings.retry = retry or settings.retry
    return publish_report_file(args.report_json, settings, env, commands)


def test_publish_posts_the_fork_report_from_a_workflow_run_job(
    fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = write_report_dir(tmp_path, sample_report(passed=False))
    env = runner_env(fake, tmp_path, event_name="workflow_run", payload=FORK_RUN)
    fake.pull_heads[31] = RUN_HEAD
    log = io.StringIO()

    code = run_publish(
        parse(str(out / "report.json"), "--pr-number", "31"),
        env,
        retry=fast_retry(),
        commands=WorkflowCommands.from_env(env, stream=log),
    )

    assert code == 0
    [comment] = fake.comments[31]
    assert "1 of 2 artifacts failed the policy" in comment.body
    outputs = read_outputs(tmp_path / "github_output")
    assert outputs["passed"] == "false"
    assert outputs["report-json"] == "out/report.json"
    assert outputs["tflite-path"] == "out/tiny_float32.tflite"
    assert outputs["comment-url"].endswith(f"#issuecomment-{comment.id}")
    lines = log.getvalue().splitlines()
    assert lines[0] == f"::add-mask::{fake.token}"
    assert any(line.startswith("::error") and "Lgamma" in line for line in lines)
    assert not any(fake.token in line for line in lines[1:])


def test_publish_fails_with_exit_1_when_a_stage_fails(fake: FakeGitHub, tmp_path: Path) -> None:
    out = write_report_dir(tmp_path, sample_report())
    env = runner_env(fake, tmp_path)
    fake.fail("POST", r"/comments$", 500, times=100)

    code = run_publish(
        parse(str(out / "report.json")),
        env,
        retry=fast_retry(),
        commands=WorkflowCommands.from_env(env, stream=io.StringIO()),
    )

    assert code == 1


def test_publish_overwrite_option_replaces_a_taken_artifact_name(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    out = write_report_dir(tmp_path, sample_report())
    env = runner_env(fake, tmp_path, runtime=True)
    options = (str(out / "report.json"), "--upload-artifact", "--artifact-name", "converted")

    def publish(*extra: str) -> tuple[int, str]:
        log = io.StringIO()
        code = run_publish(
            parse(*options, "--comment", "never", *extra),
            env,
            retry=fast_retry(),
            commands=WorkflowCommands.from_env(env, stream=log),
        )
        return code, log.getvalue()

    assert publish()[0] == 0
    code, log = publish()
    assert code == 1
    [error] = [line for line in log.splitlines() if line.startswith("::error")]
    assert error.endswith("pass --overwrite to replace it, or choose another --artifact-name")
    code, log = publish("--overwrite")
    assert code == 0, log
    assert len(fake.deleted_artifacts) == 1 and "converted" in fake.artifacts


def test_publish_rejects_a_file_that_is_not_a_report(tmp_path: Path) -> None:
    bogus = tmp_path / "report.json"
    bogus.write_text(json.dumps({"schema_version": 1, "artifacts": "all of them"}))

    with pytest.raises(BadInputError, match="not a hub-convert report") as caught:
        run_publish(parse(str(bogus)), {}, commands=WorkflowCommands(io.StringIO()))
    assert caught.value.exit_code == 2


def test_publish_rejects_an_unknown_comment_mode(tmp_path: Path) -> None:
    out = write_report_dir(tmp_path, sample_report())

    with pytest.raises(BadInputError, match="--comment: unknown value 'sometimes'"):
        run_publish(
            parse(str(out / "report.json"), "--comment", "sometimes"),
            {},
            commands=WorkflowCommands(io.StringIO()),
        )


_NO_TF_SCRIPT = """
import json, sys
from hub_convert.cli import main
code = main(["publish", *sys.argv[1:]])
heavy = {"tensorflow", "tf_keras", "keras", "tensorflow_hub", "tf2onnx", "onnx", "onnxruntime",
         "ai_edge_litert"}
loaded = sorted(name for name in sys.modules if name.split(".")[0] in heavy)
print("RESULT " + json.dumps({"code": code, "loaded": loaded}))
"""


def test_publish_never_imports_tensorflow(fake: FakeGitHub, tmp_path: Path) -> None:
    out = write_report_dir(tmp_path, sample_report())
    env = runner_env(fake, tmp_path, event_name="workflow_run", payload=FORK_RUN)
    env = {**env, "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    fake.pull_heads[4] = RUN_HEAD

    done = subprocess.run(
        [sys.executable, "-c", _NO_TF_SCRIPT, str(out / "report.json"), "--pr-number", "4"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.split("RESULT ", 1)[1])
    assert result == {"code": 0, "loaded": []}
    assert len(fake.comments[4]) == 1
