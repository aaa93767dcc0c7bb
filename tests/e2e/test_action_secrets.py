"""The Action's credentials stay out of reach of the worker processes that run model code.

Four layers (src/hub_convert/isolation.py; docs/security.md, "Which process can see which secret"):
the entrypoint re-executes itself without the credentials in its initial environment; the
process holding them is not dumpable; when it is root and the worker user exists, workers
run as that unprivileged user; workers and the pool talk over socket pairs. The credential
thief, run in the Action's image as the runner runs it, is in tests/e2e/image/test_image.py.
"""

from __future__ import annotations

import json
import os
import pickle
import pwd
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pebble import ProcessPool

from hub_convert.action.inputs import withhold_secrets
from hub_convert.errors import BadInputError
from hub_convert.workers.isolation import (
    SECRET_VARIABLES,
    SECRETS_FD_VARIABLE,
    WORKER_USER_VARIABLE,
    WorkerUser,
    lent_to,
    unreadable_by,
    worker_user,
)
from hub_convert.workers.pool import WorkerPool
from support import models, worker_tasks
from support.runner_env import run_action

TESTS = Path(__file__).resolve().parents[1]
SECRETS = {
    "INPUT_GITHUB-TOKEN": "ghs_secret_github_token_4f1c0ffee",
    "GITHUB_TOKEN": "ghs_secret_workflow_token_5e77a",
    "ACTIONS_RUNTIME_TOKEN": "eyJsecret.runtime.token",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "secret-id-token-request-9d1",
}
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: users and capabilities")


def nobody() -> WorkerUser:
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user `nobody` here")
    return WorkerUser(entry.pw_name, entry.pw_uid, entry.pw_gid)


def unmasked(log: str) -> str:
    """The log without its ``::add-mask::`` commands (the runner takes them out)."""
    return "\n".join(line for line in log.split("\n") if not line.startswith("::add-mask::"))


def assert_no_secret(text: str, where: str) -> None:
    for name, value in SECRETS.items():
        assert value not in text, f"{name} in {where}"


def test_workers_started_after_withholding_see_no_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in SECRET_VARIABLES:
        monkeypatch.setenv(name, "s3cr3t")
    monkeypatch.setenv("INPUT_MODEL", "models/x")
    withhold_secrets(os.environ)
    with WorkerPool(workers=1, timeout=60) as pool:
        for name in SECRET_VARIABLES:
            assert pool.result(pool.submit(worker_tasks.environment_variable, name)) is None
        # Everything else is inherited as usual.
        assert (
            pool.result(pool.submit(worker_tasks.environment_variable, "INPUT_MODEL")) == "models/x"
        )


# A process that takes the credentials as the entrypoint does, then lets one worker look at
# it through /proc. It prints what it holds and what the worker saw.
HOLDER = """
import json, os, sys
from hub_convert.workers.isolation import take_secrets, worker_user
from hub_convert.workers.pool import WorkerPool
from support import worker_tasks

environ = take_secrets()
with open("/proc/self/environ", "rb") as initial:
    own = initial.read().decode()
with WorkerPool(1, 60, run_as=worker_user()) as pool:
    seen = pool.result(pool.submit(worker_tasks.look_at_parent))
held = {name: environ.get(name) for name in sys.argv[1:]}
print(json.dumps({"pid": os.getpid(), "held": held, "own": own, "seen": seen,
                  "in_os_environ": [n for n in sys.argv[1:] if n in os.environ]}))
"""


def run_holder(extra_env: dict[str, str], prefix: tuple[str, ...] = ()) -> dict[str, object]:
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(TESTS),
        "INPUT_MODEL": "models/classifier",
        **SECRETS,
        **extra_env,
    }
    done = subprocess.run(
        [*prefix, sys.executable, "-c", HOLDER, *SECRETS],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_entrypoint_holds_the_credentials_but_its_initial_environment_does_not() -> None:
    result = run_holder({})
    assert result["held"] == SECRETS  # received through the pipe
    assert result["in_os_environ"] == []  # and not put back where workers would inherit them
    own = str(result["own"])
    assert f"{SECRETS_FD_VARIABLE}=" in own, "not the re-executed process"
    assert "INPUT_MODEL=models/classifier" in own
    assert_no_secret(own, "/proc/self/environ after the re-execution")
    seen = result["seen"]
    assert isinstance(seen, dict) and seen["parent"] == result["pid"]
    assert_no_secret(json.dumps(seen), "what a worker sees of its parent")


@as_root
def test_root_without_cap_sys_ptrace_cannot_open_the_holders_memory() -> None:
    """A container's root: no CAP_SYS_PTRACE, for the holder and its workers alike. The
    holder's environ is readable (and clean), its memory is not: it is not dumpable."""
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is not installed")
    container_root = ("setpriv", "--bounding-set", "-sys_ptrace", "--inh-caps", "-all")
    result = run_holder({WORKER_USER_VARIABLE: ""}, container_root)
    seen = result["seen"]
    assert isinstance(seen, dict)
    assert seen["uid"] == [0, 0, 0], "no worker user here: the workers stay root"
    assert f"{SECRETS_FD_VARIABLE}=" in str(seen["environ"])
    assert seen["mem"] == "Permission denied"
    assert_no_secret(json.dumps(seen), "what a worker sees of its parent")


@as_root
def test_workers_as_another_user_cannot_open_anything_of_the_holder() -> None:
    user = nobody()
    result = run_holder({WORKER_USER_VARIABLE: user.name})
    seen = result["seen"]
    assert isinstance(seen, dict)
    assert seen["uid"] == [user.uid] * 3 and seen["gid"] == [user.gid] * 3
    assert seen["groups"] == [] and int(str(seen["CapEff"]), 16) == 0
    for name in ("environ", "maps", "mem"):
        assert seen[name] == "Permission denied", name
    assert_no_secret(json.dumps(seen), "what a worker sees of its parent")


def bomb(canary: Path) -> bytes:
    """A multiprocessing message whose unpickling appends the unpickler's pid to ``canary``."""

    class Bomb:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            code = f"open({str(canary)!r}, 'a').write(f'{{__import__(\"os\").getpid()}} ')"
            return (exec, (code,))

    payload = pickle.dumps(Bomb())
    return struct.pack("!i", len(payload)) + payload


def test_a_worker_cannot_make_the_pool_unpickle_what_it_writes(tmp_path: Path) -> None:
    canary = tmp_path / "unpickled-by"
    with WorkerPool(workers=1, timeout=60) as pool:
        attempts = pool.result(pool.submit(worker_tasks.write_into_own_descriptors, bomb(canary)))
        assert pool.result(pool.submit(worker_tasks.answer, 21)) == 42  # still in order
    channels = [line for line in attempts if "socket:" in line]
    assert len(channels) >= 2 and all(
        line.endswith("No such device or address") for line in channels
    )
    assert not canary.exists(), f"unpickled by pid {canary.read_text()}"


def test_the_same_attack_on_pebbles_pipes_runs_code_in_the_main_process(tmp_path: Path) -> None:
    """What the socket pairs prevent: with pebble's own one-way pipes the main process
    unpickles what the worker wrote into its result pipe."""
    import multiprocessing

    canary = tmp_path / "unpickled-by"
    pool = ProcessPool(max_workers=1, context=multiprocessing.get_context("spawn"))
    try:
        pool.schedule(worker_tasks.write_into_own_descriptors, args=(bomb(canary),)).result(60)
    except Exception:  # the bomb may reach the worker's own task pipe first
        pass
    finally:
        pool.stop()
        pool.join()
    assert str(os.getpid()) in canary.read_text().split()


@as_root
def test_worker_user_is_named_or_the_images(monkeypatch: pytest.MonkeyPatch) -> None:
    user = nobody()
    assert worker_user({WORKER_USER_VARIABLE: user.name}) == user
    for wrong in ("root", "no-such-user-hub-convert"):
        with pytest.raises(BadInputError, match=WORKER_USER_VARIABLE):
            worker_user({WORKER_USER_VARIABLE: wrong})
    try:
        pwd.getpwnam("hubconvert")
    except KeyError:  # outside the image: no worker user, workers stay this process's
        assert worker_user({}) is None


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A directory every user can enter (pytest's own base directory is private)."""
    path = Path(tempfile.mkdtemp(prefix="hub-convert-test-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path)


def test_only_models_the_worker_user_can_read_pass(shared_tmp: Path, tmp_path: Path) -> None:
    user = WorkerUser("someone", 4242, 4242)
    model = shared_tmp / "model"
    (model / "variables").mkdir(parents=True, mode=0o755)
    for name in ("saved_model.pb", "variables/variables.index"):
        (model / name).write_bytes(b"")
        os.chmod(model / name, 0o644)  # the runner's checkout: 644 files, 755 directories
    os.chmod(model, 0o755)
    os.chmod(model / "variables", 0o755)
    assert unreadable_by(user, model) is None
    assert unreadable_by(user, model / "saved_model.pb") is None
    os.chmod(model / "variables" / "variables.index", 0o640)
    assert unreadable_by(user, model) == model / "variables" / "variables.index"
    os.chmod(model / "variables", 0o750)
    assert unreadable_by(user, model) == model / "variables"
    os.chmod(shared_tmp, 0o700)
    assert unreadable_by(user, model / "saved_model.pb") == shared_tmp
    os.chown(shared_tmp, user.uid, user.gid)  # the user's own directory
    assert unreadable_by(user, model / "saved_model.pb") is None


@as_root
def test_a_model_the_worker_user_cannot_read_is_bad_input(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir(mode=0o700)
    (model / "saved_model.pb").write_bytes(b"")
    hub_convert = str(Path(sys.executable).with_name("hub-convert"))
    done = subprocess.run(
        [hub_convert, "convert", str(model), "--output-dir", str(tmp_path / "out")],
        env=dict(os.environ, **{WORKER_USER_VARIABLE: nobody().name}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "is not readable by user nobody" in done.stderr
    assert "Traceback" not in done.stderr


@as_root
def test_the_hub_cache_is_lent_to_the_worker_user_and_given_back(tmp_path: Path) -> None:
    user = nobody()
    home = tmp_path / "github_home"
    home.mkdir()
    os.chown(home, 1001, 121)  # the runner user's, as /github/home is
    work_dir = tmp_path / "work"
    work_dir.mkdir(mode=0o700)
    (work_dir / "archive").mkdir()
    cache = home / "tfhub_modules"
    with lent_to(user, work_dir, [cache]):
        for path in (work_dir, work_dir / "archive", cache):
            assert (path.stat().st_uid, path.stat().st_gid) == (user.uid, user.gid), path
        (cache / "0123abcd").mkdir()  # what the download adds
        os.chown(cache / "0123abcd", user.uid, user.gid)
    for path in (cache, cache / "0123abcd"):
        assert (path.stat().st_uid, path.stat().st_gid) == (1001, 121), path
    assert work_dir.stat().st_uid == user.uid  # the run's own: removed with the run


@pytest.mark.tf
def test_model_code_run_by_the_entrypoint_finds_no_credential(tmp_path: Path) -> None:
    """The runner's way (runner_env): a SavedModel whose graph reads its parent's (the
    entrypoint's) environ, cmdline and maps and writes what it got where the test finds it.
    No worker user here: the worker can read the entrypoint's environ, which must be clean."""
    drop = tmp_path / "drop"
    drop.mkdir(mode=0o777)
    workspace = tmp_path / "workspace"
    models.credential_thief(workspace / "models" / "thief", str(drop))
    inputs = {
        "model": "models/thief",
        "github-token": SECRETS["INPUT_GITHUB-TOKEN"],
        "allow-unsafe-ops": "true",  # the graph reads files, on purpose
        "tflite-variants": "float32",
        "latency-runs": "0",
        "upload-artifact": "false",
    }
    env = {name: value for name, value in SECRETS.items() if name != "INPUT_GITHUB-TOKEN"}
    run = run_action(workspace, inputs, extra_env=env)
    assert run.exit_code in (0, 1), run.log  # converters may refuse this graph: completed
    assert (workspace / "hub-convert-out" / "report.json").is_file(), run.log

    found = [path.read_bytes().decode(errors="replace") for path in drop.glob("found-*.txt")]
    assert found, "the model's graph did not run"
    for text, where in (
        *((text, "what the model found") for text in found),
        (unmasked(run.log), "the log"),
        (json.dumps(run.outputs), "the step outputs"),
        (run.summary, "the step summary"),
    ):
        assert_no_secret(text, where)
    for path in tmp_path.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert_no_secret(path.read_bytes().decode(errors="replace"), str(path))
    # ... and not for want of trying: it read the re-executed entrypoint's environment.
    for text in found:
        assert f"/environ\n{SECRETS_FD_VARIABLE}=" in text or f"\0{SECRETS_FD_VARIABLE}=" in text
        assert "INPUT_MODEL=models/thief" in text
