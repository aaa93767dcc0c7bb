"""The Action on a pull request that changes a model: a real git repository built here (real
``git``), the workspace a shallow clone of its head as actions/checkout makes it, the
entrypoint run as the runner runs it, GitHub played by an HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from support import models
from support.git_repos import checkout, commit_all, git
from support.github_fakes import FakeGitHub
from support.runner_env import pull_request_event, run_action

pytestmark = pytest.mark.tf

MODEL = "models/classifier"


def commit_model(repo: Path, build: object, message: str) -> str:
    target = repo / MODEL
    shutil.rmtree(target, ignore_errors=True)
    build(target)  # type: ignore[operator]
    return commit_all(repo, message)


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str, str]:
    """A bare "origin" shared by every test here: a first commit without any model, then the
    base with three models, then a head commit that changes ``models/classifier`` (the hidden
    layer wider, a Tanh added, the input's batch fixed to 1), keeps ``models/other`` and
    deletes ``models/old``. (origin, first, base, head)."""
    root = tmp_path_factory.mktemp("git")
    work = root / "work"
    work.mkdir()
    git(work, "init", "--quiet", "--initial-branch=main")
    (work / "README.md").write_text("models\n")
    first = commit_all(work, "readme")
    models.versioned_classifier(work / "models" / "other", hidden=8)
    shutil.copytree(work / "models" / "other", work / "models" / "old")
    base = commit_model(work, models.versioned_classifier, "classifier v1, other, old")
    shutil.rmtree(work / "models" / "old")
    head = commit_model(
        work,
        lambda p: models.versioned_classifier(p, hidden=48, tanh=True, batch=1),
        "classifier v2: wider, tanh, batch 1; old removed",
    )
    bare = root / "origin.git"
    git(root, "clone", "--quiet", "--bare", str(work), str(bare))
    return bare, first, base, head


def test_pull_request_comment_leads_with_the_changes_and_is_updated(
    tmp_path: Path, origin: tuple[Path, str, str, str], fake: FakeGitHub
) -> None:
    bare, _, base_sha, head_sha = origin
    workspace = checkout(bare, tmp_path / "workspace")
    event = pull_request_event(12)
    pull = event["pull_request"]
    assert isinstance(pull, dict)
    pull["base"]["sha"], pull["head"]["sha"] = base_sha, head_sha
    inputs = {
        "model": MODEL,
        "tflite-variants": "float32",
        "latency-runs": "2",
        "github-token": fake.token,
        "upload-artifact": "false",
    }
    env = {"GITHUB_API_URL": fake.base_url}

    first = run_action(workspace, inputs, event_name="pull_request", event=event, extra_env=env)

    assert first.exit_code == 0, first.log
    assert f"fetching the base commit {base_sha}" in first.log  # the clone was shallow
    (comment,) = fake.comments[12]
    body = comment.body
    assert body.startswith(f"<!-- hub-convert:{MODEL} -->\n## hub-convert: {MODEL}\n")
    assert f"### Changes from the base (`{MODEL} at main {base_sha[:12]}`)" in body, first.log
    assert body.index("### Changes from the base") < body.index("passed validation")
    assert "**Breaking change**: 1 input/output change(s)" in body
    assert (
        "| input `features` | shape | `features: float32 [?, 16]` | `features: float32 [1, 16]` "
        "| **yes**: shape \\[?, 16\\] → \\[1, 16\\]: axis 0 was dynamic, now only 1 |"
    ) in body
    tflite_row = next(line for line in body.splitlines() if line.startswith("| tflite float32 |"))
    assert "✅ passed → ✅ passed" in tflite_row and "+`TANH`" in tflite_row
    assert "(+" in tflite_row  # the wider layer: a bigger file
    assert "TensorFlow op types added: `Tanh`" in body
    assert "Behaviour: the base and head originals on the head's 8 validation inputs" in body
    # The base was fetched into a private repository, not into the workspace's.
    assert (workspace / ".git" / "shallow").is_file()
    with pytest.raises(subprocess.CalledProcessError):
        git(workspace, "cat-file", "-e", f"{base_sha}^{{commit}}")

    # A second run of the same pull request: the one comment is updated, the base report
    # comes from the cache under $HOME (which actions/cache can keep): no base conversion.
    second = run_action(workspace, inputs, event_name="pull_request", event=event, extra_env=env)
    assert second.exit_code == 0, second.log
    assert "base report from the cache" in second.log
    assert "[base]" not in second.log
    (updated,) = fake.comments[12]
    assert updated.id == comment.id
    assert "(from the cache)" in updated.body
    assert len(fake.requests("POST", r"/repos/octo/models/issues/12/comments$")) == 1
    assert len(fake.requests("PATCH", r"/repos/octo/models/issues/comments/\d+$")) == 1
    cache = tmp_path / "runner_temp" / ".cache" / "hub-convert" / "base-reports"
    assert len(list(cache.iterdir())) == 1


def test_model_absent_at_base_is_new(
    tmp_path: Path, origin: tuple[Path, str, str, str], fake: FakeGitHub
) -> None:
    bare, first_sha, _, head_sha = origin
    workspace = checkout(bare, tmp_path / "workspace")
    event = pull_request_event(13)
    pull = event["pull_request"]
    assert isinstance(pull, dict)
    pull["base"]["sha"], pull["head"]["sha"] = first_sha, head_sha
    run = run_action(
        workspace,
        {
            "model": MODEL,
            "targets": "onnx",
            "latency-runs": "0",
            "github-token": fake.token,
            "upload-artifact": "false",
        },
        event_name="pull_request",
        event=event,
        extra_env={"GITHUB_API_URL": fake.base_url},
    )
    assert run.exit_code == 0, run.log
    (comment,) = fake.comments[13]
    assert (
        f"**New in this change**: there is no model at this path in the base "
        f"(`{MODEL} at main {first_sha[:12]}`)."
    ) in comment.body
    assert "[base]" not in run.log


def test_several_models_one_comment_only_changed_ones_converted(
    tmp_path: Path, origin: tuple[Path, str, str, str], fake: FakeGitHub
) -> None:
    bare, _, base_sha, head_sha = origin
    workspace = checkout(bare, tmp_path / "workspace")
    event = pull_request_event(14)
    pull = event["pull_request"]
    assert isinstance(pull, dict)
    pull["base"]["sha"], pull["head"]["sha"] = base_sha, head_sha
    run = run_action(
        workspace,
        {
            "models": "models/*\nmodels/old\n",
            "targets": "tflite",
            "tflite-variants": "float32",
            "latency-runs": "0",
            "github-token": fake.token,
            "upload-artifact": "false",
        },
        event_name="pull_request",
        event=event,
        extra_env={"GITHUB_API_URL": fake.base_url},
    )

    assert run.exit_code == 0, run.log
    (comment,) = fake.comments[14]
    body = comment.body
    assert body.startswith("<!-- hub-convert:models -->\n")
    assert "## hub-convert: 3 models, 1 converted" in body
    assert "| `models/classifier` | ✅ passed · changed · **⚠️ breaking change** |" in body
    assert "| `models/other` | unchanged since the base" in body
    assert "| `models/old` | **deleted** in this change" in body
    # The breaking model's section is open, and leads with its changes.
    assert "### Changes from the base (`models/classifier at main" in body
    assert "**Breaking change**" in body
    # Only the changed model was converted; its files in its own directory.
    assert "[base] converting" in run.log or "converting the base model" in run.log
    assert "models/other: the same files as at" in run.log
    out = workspace / "hub-convert-out"
    assert sorted(p.name for p in out.iterdir()) == ["models_classifier", "report.md"]
    assert (out / "models_classifier" / "classifier_float32.tflite").is_file()
    reports = json.loads(run.outputs["reports"])
    assert [(r["model"], r["state"], r["breaking"]) for r in reports] == [
        ("models/classifier", "converted", True),
        ("models/other", "unchanged", False),
        ("models/old", "deleted", False),
    ]
    assert reports[0]["report-json"] == "hub-convert-out/models_classifier/report.json"
    assert run.outputs["passed"] == "true"
    assert run.outputs["comment-body"] == body


def test_base_commit_out_of_reach_is_a_notice_and_no_comparison(
    tmp_path: Path, origin: tuple[Path, str, str, str], fake: FakeGitHub
) -> None:
    bare, _, base_sha, head_sha = origin
    workspace = checkout(bare, tmp_path / "workspace")  # shallow: the base is not in it
    git(workspace, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    event = pull_request_event(15)
    pull = event["pull_request"]
    assert isinstance(pull, dict)
    pull["base"]["sha"], pull["head"]["sha"] = base_sha, head_sha
    run = run_action(
        workspace,
        {
            "model": MODEL,
            "targets": "onnx",
            "latency-runs": "0",
            "github-token": fake.token,
            "upload-artifact": "false",
        },
        event_name="pull_request",
        event=event,
        extra_env={"GITHUB_API_URL": fake.base_url},
    )
    assert run.exit_code == 0, run.log
    (notice,) = [line for line in run.log.splitlines() if line.startswith("::notice")]
    assert "not compared with the base" in notice and "fetch-depth: 2" in notice
    (comment,) = fake.comments[15]
    assert "**Not compared with the base**" in comment.body
    assert "fetch-depth: 2" in comment.body
