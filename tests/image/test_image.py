"""The Action's container image, run the way the GitHub runner runs a Docker action.

`make image-test` builds the image from the unmodified Dockerfile (../shared/container: podman
and buildah, a local stand-in base) and runs these tests with HUB_CONVERT_IMAGE naming it.
Without that variable they are skipped. The container engine is $CONTAINER_ENGINE, else
$PODMAN (set by ../shared/container/setup.sh), else `docker`.

The run mirrors the runner's `docker run` for a Docker action: the image's entrypoint as PID 1,
`--workdir /github/workspace`, the workspace (owned by the runner user, not root) and the
runner's home, workflow and file-command directories mounted at /github/..., every input of
action.yml as `INPUT_<NAME>` (upper-cased, dashes kept, defaults included), the GITHUB_* and
RUNNER_* variables, a `pull_request` event payload, and ACTIONS_RUNTIME_TOKEN /
ACTIONS_RESULTS_URL. GitHub's REST API and the artifact results service are the stand-in server
on 127.0.0.1, which the container reaches through `--network host`.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from github_fakes import FakeGitHub, runtime_token
from runner_env import action_defaults, parse_output_file

IMAGE = os.environ.get("HUB_CONVERT_IMAGE", "")
ENGINE = shlex.split(os.environ.get("CONTAINER_ENGINE") or os.environ.get("PODMAN") or "docker")
ROOT = Path(__file__).resolve().parents[2]
# On GitHub-hosted runners the workspace belongs to the `runner` user (uid 1001), not root; the
# container runs as root and must hand back what it writes. uid and gid differ here on purpose.
RUNNER_UID, RUNNER_GID = 1001, 121
MAX_IMAGE_BYTES = 1_300_000_000
MARKER = "<!-- hub-convert:models/classifier -->"

pytestmark = [
    pytest.mark.image,
    pytest.mark.skipif(not IMAGE, reason="HUB_CONVERT_IMAGE is not set (make image-test)"),
]


def engine(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ENGINE, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


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


def pull_request_event(number: int) -> dict[str, object]:
    """A `pull_request` (synchronize) webhook payload, trimmed to what the action reads."""
    repo = {"id": 1, "name": "models", "full_name": "octo/models", "private": False}
    return {
        "action": "synchronize",
        "number": number,
        "pull_request": {
            "number": number,
            "state": "open",
            "head": {"ref": "retrain", "sha": "a" * 40, "repo": repo},
            "base": {"ref": "main", "sha": "b" * 40, "repo": repo},
        },
        "repository": repo,
        "sender": {"login": "contributor"},
    }


def test_image_has_what_hub_convert_uses_and_nothing_it_does_not() -> None:
    size = int(engine("image", "inspect", IMAGE, "--format", "{{.Size}}").stdout.strip())
    assert size <= MAX_IMAGE_BYTES, f"image is {size:,} bytes, budget {MAX_IMAGE_BYTES:,}"
    config = json.loads(engine("image", "inspect", IMAGE).stdout)[0]["Config"]
    assert config["Entrypoint"] == ["/opt/venv/bin/python", "/opt/hub-convert/entrypoint.py"]
    probe = (
        "import importlib.util, pathlib, tensorflow as tf\n"
        "import hub_convert.action, hub_convert.pipeline\n"
        "site = pathlib.Path(tf.__file__).parent.parent\n"
        "print(importlib.util.find_spec('clang') is None,"
        " (site / 'tensorflow' / 'include').exists(),"
        " importlib.util.find_spec('pip') is None,"
        " (site / 'tensorflow' / '__pycache__').is_dir())\n"
    )
    run = engine("run", "--rm", "--network", "none", "--entrypoint", "python", IMAGE, "-c", probe)
    assert run.returncode == 0, run.stderr
    no_clang, headers, no_pip, bytecode = run.stdout.split()
    assert (no_clang, headers, no_pip) == ("True", "False", "True")
    assert bytecode == "True", "the imported modules' bytecode is missing"


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
    (workflow / "event.json").write_text(json.dumps(pull_request_event(7)))
    output_name, summary_name = f"set_output_{uuid.uuid4()}", f"step_summary_{uuid.uuid4()}"
    for name in (output_name, summary_name):
        (file_commands / name).write_text("")
    if os.geteuid() == 0:  # here: hand the runner's directories to the "runner" user
        owner = (RUNNER_UID, RUNNER_GID)
        for path in (tmp_path / "octo", *tmp_path.joinpath("octo").rglob("*"), temp,
                     *temp.rglob("*")):  # fmt: skip
            os.lchown(path, *owner)
    else:  # on a GitHub runner: they are already the (non-root) runner user's
        owner = (os.getuid(), os.getgid())

    env = {
        "HOME": "/github/home",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_OUTPUT": f"/github/file_commands/{output_name}",
        "GITHUB_STEP_SUMMARY": f"/github/file_commands/{summary_name}",
        "GITHUB_REPOSITORY": "octo/models",
        "GITHUB_REPOSITORY_OWNER": "octo",
        "GITHUB_REF": "refs/pull/7/merge",
        "GITHUB_SHA": "c" * 40,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_API_URL": fake.base_url,
        "GITHUB_GRAPHQL_URL": fake.base_url + "/graphql",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_JOB": "convert",
        "GITHUB_ACTION": "__org_hub-convert-action",
        "GITHUB_ACTOR": "contributor",
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": "X64",
        "RUNNER_TEMP": "/github/runner_temp",
        "ACTIONS_RUNTIME_TOKEN": runtime_token(),
        "ACTIONS_RESULTS_URL": fake.base_url + "/",
        "ACTIONS_RUNTIME_URL": fake.base_url + "/",
    }
    inputs = action_defaults() | {"model": "models/classifier", "github-token": fake.token}
    env |= {f"INPUT_{name.upper()}": value for name, value in inputs.items()}
    name = f"hub-convert-image-test-{uuid.uuid4().hex[:8]}"
    command = [
        *ENGINE, "run", "--rm", "--name", name, "--network", "host",
        "--workdir", "/github/workspace",
        "-v", f"{temp}:/github/runner_temp",
        "-v", f"{home}:/github/home",
        "-v", f"{workflow}:/github/workflow",
        "-v", f"{file_commands}:/github/file_commands",
        "-v", f"{workspace}:/github/workspace",
        *(arg for item in env.items() for arg in ("-e", "=".join(item))),
        IMAGE,
    ]  # fmt: skip
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
