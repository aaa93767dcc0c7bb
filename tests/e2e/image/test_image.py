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
from pytest_httpserver import HTTPServer

from support.github_fakes import FakeGitHub, runtime_token
from support.runner_env import action_defaults, parse_output_file

IMAGE = os.environ.get("HUB_CONVERT_IMAGE", "")
ENGINE = shlex.split(os.environ.get("CONTAINER_ENGINE") or os.environ.get("PODMAN") or "docker")
ROOT = Path(__file__).resolve().parents[3]
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


def test_image_has_what_hub_convert_uses_and_nothing_it_does_not() -> None:
    size = int(engine("image", "inspect", IMAGE, "--format", "{{.Size}}").stdout.strip())
    assert size <= MAX_IMAGE_BYTES, f"image is {size:,} bytes, budget {MAX_IMAGE_BYTES:,}"
    config = json.loads(engine("image", "inspect", IMAGE).stdout)[0]["Config"]
    assert config["Entrypoint"] == ["/opt/venv/bin/python", "/opt/hub-convert/entrypoint.py"]
    probe = (
        "import importlib.util, pathlib, tensorflow as tf\n"
        "import hub_convert.action.entry, hub_convert.run.pipeline\n"
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
    # The checkout: a git repository whose base commit holds the same model, so the action
    # reads it with git in the image from a workspace another user owns, finds it unchanged.
    base_sha = commit_all(workspace)
    event = pull_request_event(7)
    event["pull_request"]["base"]["sha"] = base_sha  # type: ignore[index]
    (workflow / "event.json").write_text(json.dumps(event))
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


# -- Secrets: model code run in the image finds no credential ---------------------------------
# The image's entrypoint re-executes itself without the credentials in its environment, holds
# them non-dumpable, and its workers run as the image's `hubconvert` user (README, "Which
# process can see which secret"). The same model outside a container: test_action_secrets.py.

WORKER_UID = 10001  # the image's `hubconvert` user (Dockerfile)
ID_TOKEN_REQUEST_TOKEN = "secret-id-token-request-9d1"
TESTS = ROOT / "tests"


def build_in_subprocess(code: str, path: Path) -> None:
    """Build a test model with TensorFlow in a subprocess (tests/ importable), like demo_model."""
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=300, cwd=TESTS)


@pytest.fixture(scope="module")
def thief_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/support/models.py's credential_thief, dropping what it finds in /probe."""
    path = tmp_path_factory.mktemp("thief") / "thief"
    build_in_subprocess(
        "import sys, pathlib, models\n"
        "models.credential_thief(pathlib.Path(sys.argv[1]), '/probe')\n",
        path,
    )
    return path


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
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    for top in tops:
        for path in (top, *top.rglob("*")):
            os.lchown(path, RUNNER_UID, RUNNER_GID)
    return RUNNER_UID, RUNNER_GID


def runner_env(fake: FakeGitHub, inputs: dict[str, str], event: str) -> dict[str, str]:
    env = {
        "HOME": "/github/home",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_OUTPUT": "/github/file_commands/set_output",
        "GITHUB_STEP_SUMMARY": "/github/file_commands/step_summary",
        "GITHUB_REPOSITORY": "octo/models",
        "GITHUB_REPOSITORY_OWNER": "octo",
        "GITHUB_REF": "refs/pull/7/merge" if event == "pull_request" else "refs/heads/main",
        "GITHUB_SHA": "c" * 40,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_API_URL": fake.base_url,
        "GITHUB_RUN_ID": "4242",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_JOB": "convert",
        "GITHUB_ACTOR": "contributor",
        "RUNNER_OS": "Linux",
        "RUNNER_TEMP": "/github/runner_temp",
        "ACTIONS_RUNTIME_TOKEN": runtime_token(),
        "ACTIONS_RESULTS_URL": fake.base_url + "/",
        "ACTIONS_RUNTIME_URL": fake.base_url + "/",
        "ACTIONS_ID_TOKEN_REQUEST_URL": fake.base_url + "/oidc",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": ID_TOKEN_REQUEST_TOKEN,
    }
    values = action_defaults() | {"github-token": fake.token} | inputs
    return env | {f"INPUT_{name.upper()}": value for name, value in values.items()}


def unmasked(log: str) -> str:
    """The log as the runner shows it: without its ``::add-mask::`` commands."""
    return "\n".join(line for line in log.split("\n") if not line.startswith("::add-mask::"))


def container_command(name: str, mounts: dict[Path, str], env: dict[str, str]) -> list[str]:
    return [
        *ENGINE, "run", "--rm", "--name", name, "--network", "host",
        "--workdir", "/github/workspace",
        *(arg for host, inside in mounts.items() for arg in ("-v", f"{host}:{inside}")),
        *(arg for item in env.items() for arg in ("-e", "=".join(item))),
        IMAGE,
    ]  # fmt: skip


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
    env = runner_env(fake, inputs, "pull_request")
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


def test_hub_handle_in_the_image_is_cached_in_the_runners_home(
    tmp_path: Path, fake: FakeGitHub, httpserver: HTTPServer
) -> None:
    """The workers (the `hubconvert` user) download into TFHUB_CACHE_DIR under /github/home,
    which belongs to the runner user: lent to them for the run, given back afterwards, so
    that actions/cache and later steps can use it."""
    build_in_subprocess(
        "import sys, pathlib\n"
        "from source_fixtures import tar_gz_of, tiny_saved_model\n"
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
            runner_env(fake, inputs, "push"),
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
