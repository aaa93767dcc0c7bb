"""docs/matrix.md's three-job workflow end to end, against the stand-in GitHub services.

plan: the Action with ``mode: plan`` in a pull request's checkout lists the three changed models
(a fourth is unchanged). convert: one job per matrix entry, each the Action's entrypoint in its
own process and its own clone, converting its model and uploading its output directory as the
artifact ``hub-convert-<name>`` with that job's runtime token. publish: the real
``@actions/artifact`` client from npm (as actions/download-artifact uses it) reads the artifacts
back into ``reports/<name>/``, and ``hub-convert publish reports/*/report.json`` posts one
comment holding every model.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from support.git_repos import commit_all, git
from support.github_fakes import FakeGitHub, runner_env
from support.runner_env import ActionRun, pull_request_event, run_action

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "tests/support/actions_artifact"
CHANGED = ("classifier", "detector", "segmenter")
PULL = 21


@pytest.fixture(scope="module")
def artifact_client() -> Path:
    """@actions/artifact as package-lock.json pins it, installed once per lock file."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("node and npm are needed for the real @actions/artifact client")
    lock = (CLIENT / "package-lock.json").read_bytes()
    where = Path.home() / ".cache/hub-convert-tests" / hashlib.sha256(lock).hexdigest()[:16]
    if not (where / "node_modules/@actions/artifact").is_dir():
        where.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json", "download.mjs"):
            shutil.copy(CLIENT / name, where / name)
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    shutil.copy(CLIENT / "download.mjs", where / "download.mjs")
    return where


@pytest.fixture(scope="module")
def pull_request(keras_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A repository whose head changes three of its four models since the base."""
    repo = tmp_path_factory.mktemp("matrix") / "origin"
    for name in (*CHANGED, "unchanged"):
        shutil.copytree(keras_model, repo / "models" / name)
    git(repo.parent, "init", "-q", str(repo))
    base = commit_all(repo, "four models")
    for name in CHANGED:
        (repo / "models" / name / "notes.txt").write_text(f"{name} retrained\n")
    commit_all(repo, "retrain three")
    (repo.parent / "base").write_text(base)
    yield repo


def event(repo: Path) -> dict[str, object]:
    payload = pull_request_event(PULL)
    payload["pull_request"]["base"]["sha"] = (repo.parent / "base").read_text()  # type: ignore[index]
    return payload


def convert_job(
    fake: FakeGitHub, repo: Path, entry: dict[str, str], index: int, root: Path
) -> ActionRun:
    """One matrix job: its own clone, its own runtime token, the Action's entrypoint."""
    workspace = root / f"job-{index}" / "workspace"
    workspace.parent.mkdir(parents=True)
    git(workspace.parent, "clone", "-q", str(repo), str(workspace))
    return run_action(
        workspace,
        {
            "model": entry["model"],
            "comment": "never",
            "artifact-name": f"hub-convert-{entry['name']}",
            "compare": "never",
            "targets": "tflite",
            "tflite-variants": "float32",
            "latency-runs": "0",
            "samples": "2",
            "github-token": fake.token,
        },
        event_name="pull_request",
        event=event(repo),
        extra_env={
            "GITHUB_API_URL": fake.base_url,
            "ACTIONS_RESULTS_URL": fake.base_url + "/",
            **fake.job_env(f"convert-{index}"),
        },
    )


def test_plan_convert_in_parallel_jobs_publish_one_comment(
    fake: FakeGitHub, pull_request: Path, artifact_client: Path, tmp_path: Path
) -> None:
    # plan
    plan_workspace = tmp_path / "plan" / "workspace"
    plan_workspace.parent.mkdir()
    git(plan_workspace.parent, "clone", "-q", str(pull_request), str(plan_workspace))
    planned = run_action(
        plan_workspace,
        {"mode": "plan", "models": "models/*"},
        event_name="pull_request",
        event=event(pull_request),
    )
    assert planned.exit_code == 0, planned.log
    matrix = json.loads(planned.outputs["matrix"])
    assert [e["model"] for e in matrix["include"]] == [f"models/{n}" for n in CHANGED]
    assert planned.outputs["count"] == "3"

    # convert: three jobs, two at a time (two cores), each a separate process and workspace
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = list(
            pool.map(
                lambda args: convert_job(fake, pull_request, *args, tmp_path),
                [(entry, i) for i, entry in enumerate(matrix["include"])],
            )
        )
    for job in jobs:
        assert job.exit_code == 0, job.log
    assert sorted(fake.artifacts) == [f"hub-convert-models_{n}" for n in CHANGED]
    assert PULL not in fake.comments  # comment: never in the convert jobs

    # publish: the real client downloads, hub-convert publish posts one comment
    publish_root = tmp_path / "publish"
    publish_root.mkdir()
    env = runner_env(fake, publish_root, payload=event(pull_request), runtime=True)
    env.update(fake.job_env("publish"), GITHUB_SERVER_URL="https://github.com")
    download = subprocess.run(
        ["node", str(artifact_client / "download.mjs"), "hub-convert-", "reports"],
        cwd=publish_root,
        env={"PATH": os.environ["PATH"], "HOME": str(publish_root), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert download.returncode == 0, download.stdout + download.stderr
    reports = sorted(publish_root.glob("reports/*/report.json"))
    assert [p.parent.name for p in reports] == [f"hub-convert-models_{n}" for n in CHANGED]
    hub_convert = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "hub-convert"
    if not hub_convert.exists():
        hub_convert = ROOT / ".venv/bin/hub-convert"
    publish = subprocess.run(
        [str(hub_convert), "publish", *map(str, reports), "--comment-key", "models"],
        cwd=publish_root,
        env={"PATH": os.environ["PATH"], "HOME": str(publish_root), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert publish.returncode == 0, publish.stdout + publish.stderr
    (comment,) = fake.comments[PULL]
    assert comment.body.startswith("<!-- hub-convert:models -->")
    for name in CHANGED:
        assert f"`models/{name}`" in comment.body
    assert "models/unchanged" not in comment.body


def test_the_documented_workflow_is_the_one_tested() -> None:
    text = (ROOT / "docs/matrix.md").read_text()
    (block,) = [b for b in text.split("```yaml\n")[1:] if "convert-matrix.yml" in b]
    workflow = yaml.safe_load(block.split("```")[0])
    plan, convert, publish = (workflow["jobs"][j] for j in ("plan", "convert", "publish"))
    plan_step = next(s for s in plan["steps"] if s.get("id") == "plan")
    assert plan_step["with"] == {"mode": "plan", "models": "models/*"}
    assert convert["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    convert_with = next(s for s in convert["steps"] if "hub-convert-action" in s.get("uses", ""))
    assert convert_with["with"]["artifact-name"] == "hub-convert-${{ matrix.name }}"
    assert convert_with["with"]["comment"] == "never"
    download = next(s for s in publish["steps"] if "download-artifact" in s.get("uses", ""))
    assert download["with"] == {"pattern": "hub-convert-*", "path": "reports"}
    assert any(
        "hub-convert publish reports/*/report.json" in s.get("run", "") for s in publish["steps"]
    )
