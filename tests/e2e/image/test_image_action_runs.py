"""The Action in its container image, run the way the GitHub runner runs a Docker action
(support/container_runner.py): a pull request's model converted, validated, reported on
the fake GitHub and uploaded as a workflow artifact; a hub handle cached in the runner's home.

`make image-test` builds the image from the unmodified Dockerfile and runs the tests in this
folder with HUB_CONVERT_IMAGE naming it; without that variable they are skipped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from support.container_runner import (
    IMAGE,
    build_in_subprocess,
    commit_all,
    container_command,
    container_env,
    engine,
    hand_to_runner,
    runner_layout,
    step_env,
)
from support.github_fakes import FakeGitHub
from support.paths import ROOT
from support.runner_env import input_env, parse_output_file, pull_request_event

MARKER = "<!-- hub-convert:models/classifier -->"

pytestmark = [
    pytest.mark.image,
    pytest.mark.skipif(not IMAGE, reason="HUB_CONVERT_IMAGE is not set (make image-test)"),
]


@pytest.fixture(scope="module")
def demo_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo model `make demo` converts, built by examples/make_demo_model.py."""
    path = tmp_path_factory.mktemp("demo") / "tiny_classifier"
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "make_demo_model.py"), str(path)],
        check=True,
        timeout=300,
    )
    return path


def test_action_in_its_image_on_a_pull_request(
    tmp_path: Path, demo_model: Path, fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    # The runner's directories: _temp (home, workflow, file commands) and the workspace.
    temp = tmp_path / "_temp"
    home, workflow, file_commands = (
        temp / d for d in ("_github_home", "_github_workflow", "_runner_file_commands")
    )
    workspace = tmp_path / "octo" / "models"
    for directory in (home, workflow, file_commands, workspace):
        directory.mkdir(parents=True)
    shutil.copytree(demo_model, workspace / "models" / "classifier")
    # The checkout: a git repository whose base commit holds the same model, so the action
    # reads it with git in the image from a workspace another user owns, finds it unchanged.
    base_sha = commit_all(workspace)
    event = pull_request_event(7)
    event["pull_request"]["base"]["sha"] = base_sha  # type: ignore[index]
    (workflow / "event.json").write_text(json.dumps(event))
    output_name, summary_name = f"set_output_{uuid.uuid4()}", f"step_summary_{uuid.uuid4()}"
    for name in (output_name, summary_name):
        (file_commands / name).write_text("")
    owner = hand_to_runner(tmp_path / "octo", temp)

    env = container_env(fake, "pull_request", output_name, summary_name) | {
        "GITHUB_GRAPHQL_URL": fake.base_url + "/graphql",
        "GITHUB_ACTION": "__org_hub-convert-action",
        "RUNNER_ARCH": "X64",
    }
    env |= input_env({"model": "models/classifier", "github-token": fake.token})
    name = f"hub-convert-image-test-{uuid.uuid4().hex[:8]}"
    mounts = {
        temp: "/github/runner_temp",
        home: "/github/home",
        workflow: "/github/workflow",
        file_commands: "/github/file_commands",
        workspace: "/github/workspace",
    }
    command = container_command(name, mounts, env)
    started = time.monotonic()
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=900,
        )
    except subprocess.TimeoutExpired:
        engine("rm", "--force", name)
        raise
    seconds = time.monotonic() - started
    log = done.stdout + done.stderr
    with capsys.disabled():
        print(f"\n[image] {IMAGE}: container start to exit {seconds:.1f} s")

    assert done.returncode == 0, log
    assert "PASSED: all 4 artifacts passed validation" in log

    # The report, as later steps of the job find it in the workspace.
    out = workspace / "hub-convert-out"
    report = json.loads((out / "report.json").read_text())
    assert report["verdict"]["passed"] is True
    statuses = {(a["target"], a["variant"]): a["status"] for a in report["artifacts"]}
    assert statuses == {
        ("tflite", "float32"): "passed",
        ("tflite", "dynamic"): "passed",
        ("tflite", "float16"): "passed",
        ("onnx", "float32"): "passed",
    }
    assert (out / "classifier_float32.tflite").stat().st_size > 0
    assert (out / "classifier_float32.onnx").stat().st_size > 0
    assert "passed validation" in (out / "report.md").read_text()

    # Step outputs: workspace-relative paths, usable by the next step on the host.
    outputs = parse_output_file((file_commands / output_name).read_text())
    assert outputs["passed"] == "true"
    assert outputs["report-path"] == "hub-convert-out/report.md"
    assert outputs["report-json"] == "hub-convert-out/report.json"
    assert outputs["tflite-path"] == "hub-convert-out/classifier_float32.tflite"
    assert outputs["onnx-path"] == "hub-convert-out/classifier_float32.onnx"
    listed = json.loads(outputs["artifacts"])
    assert [a["status"] for a in listed] == ["passed"] * 4
    assert all((workspace / a["path"]).is_file() for a in listed)
    summary = (file_commands / summary_name).read_text()
    assert "all 4 artifacts passed validation" in summary

    # The sticky comment on the stand-in API.
    (comment,) = fake.comments[7]
    assert comment.body.startswith(MARKER)
    assert "all 4 artifacts passed validation" in comment.body
    unchanged = f"**Unchanged** since the base (`models/classifier at main {base_sha[:12]}`)"
    assert unchanged in comment.body, log
    assert "::notice" not in log
    assert outputs["comment-url"].endswith(f"#issuecomment-{comment.id}")
    assert outputs["comment-body"] == comment.body

    # The output directory as a workflow artifact, size and digest checked by the service.
    assert outputs["artifact-name"].startswith("hub-convert-models-classifier-convert-")
    artifact = fake.artifacts[outputs["artifact-name"]]
    assert artifact.artifact_id is not None
    names = artifact.zip_names()
    assert {"report.json", "report.md", "classifier_float32.tflite"} <= set(names)
    assert "classifier_float32.onnx" in names

    # Everything the root container wrote in the workspace belongs to the workspace's owner.
    for path in (out, *out.rglob("*")):
        info = path.lstat()
        assert (info.st_uid, info.st_gid) == owner, path
    # The token never appears in the log (masked, never echoed).
    assert fake.token not in log.replace(f"::add-mask::{fake.token}", "")


def test_hub_handle_in_the_image_is_cached_in_the_runners_home(
    tmp_path: Path, fake: FakeGitHub, httpserver: HTTPServer
) -> None:
    """The workers (the `hubconvert` user) download into TFHUB_CACHE_DIR under /github/home,
    which belongs to the runner user: lent to them for the run, given back afterwards, so
    that actions/cache and later steps can use it."""
    build_in_subprocess(
        "import sys, pathlib\n"
        "from support.source_fixtures import tar_gz_of, tiny_saved_model\n"
        "root = pathlib.Path(sys.argv[1])\n"
        "tar_gz_of(tiny_saved_model(root / 'tiny'), root / 'tiny.tar.gz')\n",
        tmp_path / "hub",
    )
    httpserver.expect_request(
        "/models/tiny/1", query_string={"tf-hub-format": "compressed"}
    ).respond_with_data((tmp_path / "hub" / "tiny.tar.gz").read_bytes())
    mounts, _, _ = runner_layout(tmp_path)
    (tmp_path / "_temp" / "_github_workflow" / "event.json").write_text("{}")
    owner = hand_to_runner(tmp_path / "octo", tmp_path / "_temp")
    inputs = {
        "model": httpserver.url_for("/models/tiny/1"),
        "tflite-variants": "float32",
        "latency-runs": "0",
        "upload-artifact": "false",
    }
    done = subprocess.run(
        container_command(
            f"hub-convert-image-hub-{uuid.uuid4().hex[:8]}",
            mounts,
            step_env(fake, inputs, "push"),
        ),
        capture_output=True,
        text=True,
        timeout=900,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert "downloaded to /github/home/tfhub_modules/" in log
    cache = tmp_path / "_temp" / "_github_home" / "tfhub_modules"
    assert any(cache.glob("*/saved_model.pb")), log
    for path in (cache, *cache.rglob("*")):
        info = path.lstat()
        assert (info.st_uid, info.st_gid) == owner, path
