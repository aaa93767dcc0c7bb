"""Model code run in the Action's image finds no credential.

The image's entrypoint re-executes itself without the credentials in its environment, holds
them non-dumpable, and its workers run as the image's `hubconvert` user (docs/security.md, "Which
process can see which secret"). The same model outside a container: test_action_secrets.py.
The run is the runner's (support/container_runner.py); without HUB_CONVERT_IMAGE (`make
image-test`) these tests are skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from support.container_runner import (
    ID_TOKEN_REQUEST_TOKEN,
    IMAGE,
    build_in_subprocess,
    container_command,
    engine,
    hand_to_runner,
    runner_layout,
    step_env,
    unmasked,
)
from support.github_fakes import FakeGitHub
from support.runner_env import pull_request_event

pytestmark = [
    pytest.mark.image,
    pytest.mark.skipif(not IMAGE, reason="HUB_CONVERT_IMAGE is not set (make image-test)"),
]

WORKER_UID = 10001  # the image's `hubconvert` user (Dockerfile)


@pytest.fixture(scope="module")
def thief_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """support.models.credential_thief, dropping what it finds in /probe."""
    path = tmp_path_factory.mktemp("thief") / "thief"
    build_in_subprocess(
        "import sys, pathlib\n"
        "from support import models\n"
        "models.credential_thief(pathlib.Path(sys.argv[1]), '/probe')\n",
        path,
    )
    return path


# Run inside the running container (`exec`): what its PID 1, the entrypoint, shows.
PID1_PROBE = """
import json
seen = {}
for name in ("environ", "mem"):
    try:
        with open(f"/proc/1/{name}", "rb") as file:
            seen[name] = "opened" if name == "mem" else file.read().decode(errors="replace")
    except OSError as exc:
        seen[name] = exc.strerror
print(json.dumps(seen))
"""


# Who looks: the container's root with its default capabilities (Docker's and podman's: no
# CAP_SYS_PTRACE, CAP_SYS_ADMIN or CAP_PERFMON), the worker user, and a privileged exec.
LOOKERS = {
    "root": ("--user", "root"),
    "worker": ("--user", str(WORKER_UID)),
    "privileged": ("--privileged",),
}


def watch_pid1(name: str, running: subprocess.Popen[str]) -> dict[str, dict[str, str]]:
    """Look at PID 1 from inside the running container, once it is the re-executed
    entrypoint (a privileged look finds the credentials' pipe named in its environment)."""
    seen: dict[str, dict[str, str]] = {}
    while running.poll() is None and len(seen) < len(LOOKERS):
        time.sleep(0.5)
        for who in ("privileged", "root", "worker"):
            done = engine("exec", *LOOKERS[who], name, "python", "-c", PID1_PROBE, timeout=60)
            if done.returncode != 0:
                break  # not started yet, or already gone
            look = json.loads(done.stdout)
            if who == "privileged" and "HUB_CONVERT_SECRETS_FD=" not in look["environ"]:
                break  # still the first entrypoint process, before any worker exists
            seen[who] = look
    return seen


def test_model_code_in_the_image_finds_no_credential(
    tmp_path: Path, thief_model: Path, fake: FakeGitHub
) -> None:
    """A pull request's SavedModel whose graph reads /proc/1/environ and its parent's environ,
    cmdline and maps, run by the image as the runner runs it, with every credential the runner
    hands a Docker action: none of them reaches the model, the log, the outputs, the report,
    the comment, the workflow artifact or any file."""
    mounts, workspace, file_commands = runner_layout(tmp_path)
    shutil.copytree(thief_model, workspace / "models" / "thief")
    (tmp_path / "_temp" / "_github_workflow" / "event.json").write_text(
        json.dumps(pull_request_event(7))
    )
    drop = tmp_path / "probe"  # where the model drops what it found (the test's window)
    drop.mkdir()
    os.chmod(drop, 0o1777)
    mounts[drop] = "/probe"
    hand_to_runner(tmp_path / "octo", tmp_path / "_temp")
    inputs = {
        "model": "models/thief",
        "allow-unsafe-ops": "true",  # the graph reads files on purpose
        "tflite-variants": "float32",
        "latency-runs": "0",
    }
    env = step_env(fake, inputs, "pull_request")
    secrets = {
        "github-token": fake.token,
        "ACTIONS_RUNTIME_TOKEN": env["ACTIONS_RUNTIME_TOKEN"],
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": ID_TOKEN_REQUEST_TOKEN,
    }
    name = f"hub-convert-image-secrets-{uuid.uuid4().hex[:8]}"
    with subprocess.Popen(
        container_command(name, mounts, env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as running:
        try:
            pid1 = watch_pid1(name, running)
            log, _ = running.communicate(timeout=900)
        except BaseException:
            engine("rm", "--force", name)
            raise

    def assert_no_secret(text: str, where: str) -> None:
        for secret, value in secrets.items():
            assert value not in text, f"{secret} in {where}"

    assert running.returncode in (0, 1), log  # the converters may refuse it: it completed
    assert (workspace / "hub-convert-out" / "report.json").is_file(), log
    found = [path.read_bytes().decode(errors="replace") for path in drop.glob("found-*.txt")]
    assert found, f"the model's graph did not run\n{log}"
    outputs = (file_commands / "set_output").read_text()
    comments = [comment.body for comment in fake.comments.get(7, [])]
    # The default name is unique per job and settings: hub-convert-<model>-<job>-<hash>.
    [artifact] = [
        a for name, a in fake.artifacts.items() if name.startswith("hub-convert-models-thief-")
    ]
    packed = [artifact.zip_read(n).decode(errors="replace") for n in artifact.zip_names()]
    assert packed, "no workflow artifact uploaded"
    for text, where in (
        *((text, "what the model found") for text in found),
        (unmasked(log), "the log"),
        (outputs, "the step outputs"),
        ((file_commands / "step_summary").read_text(), "the step summary"),
        *((body, "the PR comment") for body in comments),
        *((text, "the workflow artifact") for text in packed),
        *((json.dumps(look), f"PID 1 seen as {user}") for user, look in pid1.items()),
    ):
        assert_no_secret(text, where)
    for path in tmp_path.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert_no_secret(path.read_bytes().decode(errors="replace"), str(path))

    # Why: the graph ran as the worker user, and /proc/1 (its parent) was closed to it.
    for text in found:
        assert f"Uid:\t{WORKER_UID}\t{WORKER_UID}\t{WORKER_UID}\t{WORKER_UID}" in text, text
        assert "PPid:\t1\n" in text
        assert "<<< /proc/1/cmdline\n" in text  # readable by anyone, and clean
        for closed in ("environ", "maps"):
            assert f"<<< /proc/1/{closed}\n" not in text, text
    # PID 1 from inside: closed to the container's root and to the worker user (it is not
    # dumpable); with every capability, its environment is readable and clean (re-executed),
    # and its memory could be read: nothing in the job has CAP_SYS_PTRACE.
    assert set(pid1) == set(LOOKERS), pid1
    assert pid1["root"] == {"environ": "Permission denied", "mem": "Permission denied"}
    assert pid1["worker"] == {"environ": "Permission denied", "mem": "Permission denied"}
    assert "INPUT_MODEL=models/thief" in pid1["privileged"]["environ"]
    assert pid1["privileged"]["mem"] == "opened"
