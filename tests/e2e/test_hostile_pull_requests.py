"""What a hostile pull request can put in the workspace, tried as the runner runs the Action:
model paths that collide once made file-name-safe, a directory name TensorFlow would read as a
glob, paths and globs that leave the workspace, and a forged base report in the cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from support import models
from support.git_repos import checkout, commit_all, git
from support.github_fakes import FakeGitHub
from support.runner_env import pull_request_event, run_action

MODEL = "models/classifier"


def _inputs(fake: FakeGitHub, **more: str) -> dict[str, str]:
    return {
        "targets": "tflite",
        "tflite-variants": "float32",
        "latency-runs": "0",
        "github-token": fake.token,
        "upload-artifact": "false",
        **more,
    }


@pytest.mark.tf
def test_models_whose_names_collide_or_glob_each_get_their_own_output(
    tmp_path: Path, fake: FakeGitHub
) -> None:
    workspace = tmp_path / "workspace"
    for hidden, name in [(8, "cls"), (12, "cls."), (16, "cls[1]")]:
        models.versioned_classifier(workspace / "models" / name, hidden=hidden)

    run = run_action(
        workspace,
        _inputs(fake, models="models/*"),
        extra_env={"GITHUB_API_URL": fake.base_url},
    )

    assert run.exit_code == 0, run.log
    out = workspace / "hub-convert-out"
    folders = sorted(p for p in out.iterdir() if p.is_dir())
    assert len(folders) == 3, run.log
    # An ordinary path keeps today's plain name.
    assert out / "models_cls" in folders
    written = {json.loads((f / "report.json").read_text())["source"]["path"] for f in folders}
    assert written == {"models/cls", "models/cls.", "models/cls[1]"}
    for folder in folders:
        assert any(folder.glob("*_float32.tflite")), folder
    entries = json.loads(run.outputs["reports"])
    assert sorted(e["state"] for e in entries) == ["converted"] * 3
    assert len({e["report-json"] for e in entries}) == 3


@pytest.mark.parametrize(
    ("name", "value"),
    [("model", "../outside"), ("models", "../outside*"), ("models", "models/link")],
)
def test_a_model_path_outside_the_workspace_is_refused(
    tmp_path: Path, fake: FakeGitHub, name: str, value: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "saved_model.pb").write_bytes(b"not read")
    workspace = tmp_path / "workspace"
    (workspace / "models").mkdir(parents=True)
    (workspace / "models" / "link").symlink_to(outside)

    run = run_action(
        workspace,
        {name: value, "github-token": fake.token, "upload-artifact": "false"},
        extra_env={"GITHUB_API_URL": fake.base_url},
    )

    assert run.exit_code == 2, run.log
    (error,) = [line for line in run.log.splitlines() if line.startswith("::error")]
    assert f"input {name}:" in error and "outside the workspace" in error, error
    assert not (workspace / "hub-convert-out" / "report.json").exists()


@pytest.fixture(scope="module")
def changed_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """An origin whose head commit fixes the classifier's batch to 1: (origin, base, head)."""
    root = tmp_path_factory.mktemp("git")
    work = root / "work"
    work.mkdir()
    git(work, "init", "--quiet", "--initial-branch=main")
    models.versioned_classifier(work / MODEL)
    base = commit_all(work, "classifier v1")
    shutil.rmtree(work / MODEL)
    models.versioned_classifier(work / MODEL, batch=1)
    head = commit_all(work, "classifier v2: batch 1")
    bare = root / "origin.git"
    git(root, "clone", "--quiet", "--bare", str(work), str(bare))
    return bare, base, head


def _forge(entry: Path) -> None:
    """Rename the base's input in a cached base report, as someone who knows the cache's
    format would: the report's own checksum recomputed when the entry has one."""
    data = json.loads(entry.read_text())
    report = json.loads(data["report"]) if "report" in data else data
    for tensor in report["source"]["inputs"]:
        tensor["name"] = "pixels"
    if "report" not in data:
        entry.write_text(json.dumps(report))
        return
    import hashlib

    data["report"] = json.dumps(report)
    data["report_sha256"] = hashlib.sha256(data["report"].encode()).hexdigest()
    entry.write_text(json.dumps(data))


@pytest.mark.tf
def test_a_forged_cached_base_report_is_not_believed(
    tmp_path: Path, changed_model: tuple[Path, str, str], fake: FakeGitHub
) -> None:
    bare, base_sha, head_sha = changed_model
    workspace = checkout(bare, tmp_path / "workspace")
    event = pull_request_event(21)
    pull = event["pull_request"]
    assert isinstance(pull, dict)
    pull["base"]["sha"], pull["head"]["sha"] = base_sha, head_sha
    inputs = _inputs(fake, model=MODEL, targets="onnx")
    env = {"GITHUB_API_URL": fake.base_url}
    first = run_action(workspace, inputs, event_name="pull_request", event=event, extra_env=env)
    assert first.exit_code == 0, first.log
    cache = tmp_path / "runner_temp" / ".cache" / "hub-convert" / "base-reports"
    (entry,) = cache.iterdir()
    _forge(entry)

    second = run_action(workspace, inputs, event_name="pull_request", event=event, extra_env=env)

    assert second.exit_code == 0, second.log
    notices = [line for line in second.log.splitlines() if line.startswith("::notice")]
    assert any("cached base report" in line for line in notices), second.log
    assert "[base]" in second.log  # converted again
    (comment,) = fake.comments[21]
    assert "pixels" not in comment.body
    assert "(from the cache)" not in comment.body
    assert "| input `features` | shape |" in comment.body
