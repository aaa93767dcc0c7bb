"""The Action in its image on a pull request with the `models` input, run the way the GitHub
runner runs it (support/container_runner.py), over a real git repository built here: the base
commit holds `models/cls`, the head changes it and adds `models/cls.`, whose plain directory
name would be the same. Each gets its own output, `models/cls` is compared with its base, a
second run with the same runner home takes the base report from the cache, and a cache entry
made unreadable is a notice and the base converted again. The same cases outside the image:
test_hostile_pull_requests.py and test_action_compare.py. Without HUB_CONVERT_IMAGE (`make
image-test`) these tests are skipped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from support.container_runner import (
    IMAGE,
    build_in_subprocess,
    container_command,
    engine,
    hand_to_runner,
    runner_layout,
    step_env,
)
from support.git_repos import commit_all, git
from support.github_fakes import FakeGitHub
from support.runner_env import parse_output_file, pull_request_event

pytestmark = [
    pytest.mark.image,
    pytest.mark.skipif(not IMAGE, reason="HUB_CONVERT_IMAGE is not set (make image-test)"),
]

MODELS = ("models/cls", "models/cls.")


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """support.models.versioned_classifier in three versions: `base` (models/cls at the base
    commit), `head` (it changed: wider, a Tanh) and `dot` (models/cls., new in the head)."""
    root = tmp_path_factory.mktemp("versions")
    build_in_subprocess(
        "import sys, pathlib\n"
        "from support import models\n"
        "root = pathlib.Path(sys.argv[1])\n"
        "models.versioned_classifier(root / 'base', hidden=8)\n"
        "models.versioned_classifier(root / 'head', hidden=16, tanh=True)\n"
        "models.versioned_classifier(root / 'dot', hidden=12)\n",
        root,
    )
    return root


def _run(
    mounts: dict[Path, str], env: dict[str, str], file_commands: Path
) -> tuple[int, str, dict[str, str]]:
    """One container run of the step: exit code, log and step outputs."""
    for name in ("set_output", "step_summary"):
        (file_commands / name).write_text("")  # each run's own outputs
    name = f"hub-convert-image-models-{uuid.uuid4().hex[:8]}"
    try:
        done = subprocess.run(
            container_command(name, mounts, env), capture_output=True, text=True, timeout=900
        )
    except subprocess.TimeoutExpired:
        engine("rm", "--force", name)
        raise
    outputs = parse_output_file((file_commands / "set_output").read_text())
    return done.returncode, done.stdout + done.stderr, outputs


def _reports(workspace: Path, outputs: dict[str, str], log: str) -> dict[str, dict]:
    """Each model's report.json by its source path; every one in its own directory."""
    out = workspace / "hub-convert-out"
    folders = sorted(p for p in out.iterdir() if p.is_dir())
    assert len(folders) == 2, log
    assert out / "models_cls" in folders  # the ordinary path keeps its plain name
    reports = {}
    for folder in folders:
        report = json.loads((folder / "report.json").read_text())
        reports[report["source"]["path"]] = report
        assert any(folder.glob("*_float32.tflite")), folder
    assert sorted(reports) == sorted(MODELS), log  # neither overwrote the other
    entries = json.loads(outputs["reports"])
    assert [(e["model"], e["state"]) for e in entries] == [(m, "converted") for m in MODELS]
    assert len({e["report-json"] for e in entries}) == 2
    return reports


def test_several_models_in_the_image_compared_cached_and_recovered(
    tmp_path: Path, versions: Path, fake: FakeGitHub
) -> None:
    mounts, workspace, file_commands = runner_layout(tmp_path)
    # The checkout: a full clone's history (the image's git does not fetch), base then head.
    git(workspace, "init", "--quiet", "--initial-branch=main")
    shutil.copytree(versions / "base", workspace / "models" / "cls")
    base_sha = commit_all(workspace, "cls v1")
    shutil.rmtree(workspace / "models" / "cls")
    shutil.copytree(versions / "head", workspace / "models" / "cls")
    shutil.copytree(versions / "dot", workspace / "models" / "cls.")
    head_sha = commit_all(workspace, "cls v2, cls. added")
    event = pull_request_event(7)
    pull = event["pull_request"]
    assert isinstance(pull, dict)
    pull["base"]["sha"], pull["head"]["sha"] = base_sha, head_sha
    (tmp_path / "_temp" / "_github_workflow" / "event.json").write_text(json.dumps(event))
    hand_to_runner(tmp_path / "octo", tmp_path / "_temp")
    inputs = {
        "models": "\n".join(MODELS) + "\n",
        "targets": "tflite",
        "tflite-variants": "float32",
        "latency-runs": "0",
        "upload-artifact": "false",
    }
    env = step_env(fake, inputs, "pull_request")
    cache = tmp_path / "_temp" / "_github_home" / ".cache" / "hub-convert" / "base-reports"

    # 1. No cache: both heads converted, each into its own directory; the base of models/cls
    # converted too and compared, its report cached in the runner's home.
    uncached, log, outputs = _run(mounts, env, file_commands)
    assert uncached == 0, log
    reports = _reports(workspace, outputs, log)
    comparison = reports["models/cls"]["comparison"]
    assert comparison["status"] == "changed", log
    assert comparison["base_commit"] == base_sha
    assert comparison["base_report_cached"] is False
    assert reports["models/cls."]["comparison"]["status"] == "new"
    assert "converting the base model" in log
    assert "::notice" not in log
    (entry,) = cache.iterdir()
    (comment,) = fake.comments[7]
    assert "### Changes from the base (`models/cls at main" in comment.body
    assert "(from the cache)" not in comment.body

    # 2. The same pull request again, the same runner home: the base report from the cache.
    shutil.rmtree(workspace / "hub-convert-out")
    code, log, outputs = _run(mounts, env, file_commands)
    assert code == 0, log
    reports = _reports(workspace, outputs, log)
    comparison = reports["models/cls"]["comparison"]
    assert comparison["status"] == "changed", log
    assert comparison["base_report_cached"] is True
    assert (
        f"base report from the cache: /github/home/.cache/hub-convert/base-reports/{entry.name}"
        in log
    )
    assert "[base]" not in log and "converting the base model" not in log
    assert "::notice" not in log
    (updated,) = fake.comments[7]
    assert updated.id == comment.id
    assert "(from the cache)" in updated.body

    # 3. The entry made unreadable (not UTF-8): a notice, the base converted again, the same
    # exit code as without a cache, and a good entry written in its place.
    entry.write_bytes(b'{"format": "\xff\xfe not text"}\n')
    shutil.rmtree(workspace / "hub-convert-out")
    code, log, outputs = _run(mounts, env, file_commands)
    assert code == uncached, log
    notices = [line for line in log.splitlines() if line.startswith("::notice")]
    assert len(notices) == 1, log
    assert "ignoring the cached base report" in notices[0] and entry.name in notices[0]
    assert "not UTF-8" in notices[0]
    assert "converting the base model" in log and "base report from the cache" not in log
    reports = _reports(workspace, outputs, log)
    comparison = reports["models/cls"]["comparison"]
    assert comparison["status"] == "changed", log
    assert comparison["base_report_cached"] is False
    assert "(from the cache)" not in fake.comments[7][0].body
    json.loads(entry.read_text())  # rewritten whole
