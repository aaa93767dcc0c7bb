"""The GitHub runner's `docker run` of a Docker action, for the image tests.

The image is $HUB_CONVERT_IMAGE (`make image-test`); the container engine is
$CONTAINER_ENGINE, else $PODMAN (set by ../shared/container/setup.sh), else `docker`. The run
mirrors the runner's: the image's entrypoint as PID 1, `--workdir /github/workspace`, the
workspace (owned by the runner user, not root) and the runner's home, workflow and
file-command directories mounted at /github/..., the GITHUB_* and RUNNER_* variables and
every input as `INPUT_<NAME>`, ACTIONS_RUNTIME_TOKEN / ACTIONS_RESULTS_URL. GitHub's services
are the fake on 127.0.0.1, which the container reaches through `--network host`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from support.github_fakes import FakeGitHub, runtime_token
from support.paths import TESTS
from support.runner_env import input_env, workflow_env

IMAGE = os.environ.get("HUB_CONVERT_IMAGE", "")
ENGINE = shlex.split(os.environ.get("CONTAINER_ENGINE") or os.environ.get("PODMAN") or "docker")
# On GitHub-hosted runners the workspace belongs to the `runner` user (uid 1001), not root; the
# container runs as root and must hand back what it writes. uid and gid differ here on purpose.
RUNNER_UID, RUNNER_GID = 1001, 121
ID_TOKEN_REQUEST_TOKEN = "secret-id-token-request-9d1"


def engine(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the container engine with ``args``; its result, whatever the exit code."""
    return subprocess.run(
        [*ENGINE, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def build_in_subprocess(code: str, path: Path) -> None:
    """Build a test model with TensorFlow in a subprocess (``support`` importable): the test
    process itself stays free of TensorFlow."""
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=300, cwd=TESTS)


def commit_all(repo: Path) -> str:
    """``git init`` + one commit of everything in ``repo``; its sha."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(repo),
        "GIT_CONFIG_NOSYSTEM": "1",
        **{f"GIT_{who}_{what}": value for who in ("AUTHOR", "COMMITTER")
           for what, value in (("NAME", "t"), ("EMAIL", "t@example.invalid"))},
    }  # fmt: skip
    for args in (("init", "--quiet", "--initial-branch=main"), ("add", "--all"),
                 ("commit", "--quiet", "-m", "base")):  # fmt: skip
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    done = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def runner_layout(tmp_path: Path) -> tuple[dict[Path, str], Path, Path]:
    """The runner's directories and their mounts; the workspace and file-commands paths.
    Everything belongs to the runner user (here: handed to uid 1001 when root)."""
    temp = tmp_path / "_temp"
    mounts = {
        temp / "_github_home": "/github/home",
        temp / "_github_workflow": "/github/workflow",
        temp / "_runner_file_commands": "/github/file_commands",
        tmp_path / "octo" / "models": "/github/workspace",
    }
    for directory in mounts:
        directory.mkdir(parents=True)
    for name in ("set_output", "step_summary"):
        (temp / "_runner_file_commands" / name).write_text("")
    mounts[temp] = "/github/runner_temp"
    return mounts, tmp_path / "octo" / "models", temp / "_runner_file_commands"


def hand_to_runner(*tops: Path) -> tuple[int, int]:
    """Give ``tops`` and everything under them to the runner user when root; the owner."""
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    for top in tops:
        for path in (top, *top.rglob("*")):
            os.lchown(path, RUNNER_UID, RUNNER_GID)
    return RUNNER_UID, RUNNER_GID


def container_env(
    fake: FakeGitHub, event_name: str, output_name: str, summary_name: str
) -> dict[str, str]:
    """The variables the runner passes a Docker action's container (paths inside it, file
    commands named ``output_name`` and ``summary_name``), pointed at ``fake``."""
    return {
        "HOME": "/github/home",
        "CI": "true",
        **workflow_env(
            workspace="/github/workspace",
            event_name=event_name,
            event_path="/github/workflow/event.json",
            output_file=f"/github/file_commands/{output_name}",
            summary_file=f"/github/file_commands/{summary_name}",
            api_url=fake.base_url,
            server_url="https://github.example",
        ),
        "GITHUB_REPOSITORY_OWNER": "octo",
        "GITHUB_REF": "refs/pull/7/merge" if event_name == "pull_request" else "refs/heads/main",
        "GITHUB_SHA": "c" * 40,
        "GITHUB_ACTOR": "contributor",
        "RUNNER_OS": "Linux",
        "RUNNER_TEMP": "/github/runner_temp",
        "ACTIONS_RUNTIME_TOKEN": runtime_token(),
        "ACTIONS_RESULTS_URL": fake.base_url + "/",
        "ACTIONS_RUNTIME_URL": fake.base_url + "/",
    }


def step_env(fake: FakeGitHub, inputs: dict[str, str], event: str) -> dict[str, str]:
    """``container_env`` for runner_layout's file commands, with the OIDC token request
    variables (id-token: write) and ``inputs`` over the defaults and the fake's token."""
    return (
        container_env(fake, event, "set_output", "step_summary")
        | {
            "ACTIONS_ID_TOKEN_REQUEST_URL": fake.base_url + "/oidc",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": ID_TOKEN_REQUEST_TOKEN,
        }
        | input_env({"github-token": fake.token} | inputs)
    )


def container_command(name: str, mounts: dict[Path, str], env: dict[str, str]) -> list[str]:
    """The engine's `run` of the image as the runner runs it: ``mounts`` and ``env``."""
    return [
        *ENGINE, "run", "--rm", "--name", name, "--network", "host",
        "--workdir", "/github/workspace",
        *(arg for host, inside in mounts.items() for arg in ("-v", f"{host}:{inside}")),
        *(arg for item in env.items() for arg in ("-e", "=".join(item))),
        IMAGE,
    ]  # fmt: skip


def unmasked(log: str) -> str:
    """The log as the runner shows it: without its ``::add-mask::`` commands."""
    return "\n".join(line for line in log.split("\n") if not line.startswith("::add-mask::"))
