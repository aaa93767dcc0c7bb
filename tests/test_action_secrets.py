"""The Action's credentials stay out of reach of the worker processes that run model code.

Layers (src/hub_convert/isolation.py): the entrypoint re-executes itself without the
credentials in its initial environment; the process holding them is not dumpable; workers
and the pool talk over socket pairs.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from pebble import ProcessPool

import worker_tasks
from hub_convert.action import withhold_secrets
from hub_convert.isolation import SECRET_VARIABLES, SECRETS_FD_VARIABLE
from hub_convert.workers import WorkerPool

TESTS = Path(__file__).resolve().parent
SECRETS = {
    "INPUT_GITHUB-TOKEN": "ghs_secret_github_token_4f1c0ffee",
    "GITHUB_TOKEN": "ghs_secret_workflow_token_5e77a",
    "ACTIONS_RUNTIME_TOKEN": "eyJsecret.runtime.token",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "secret-id-token-request-9d1",
}
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: users and capabilities")


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
from hub_convert.isolation import take_secrets
from hub_convert.workers import WorkerPool
import worker_tasks

environ = take_secrets()
with open("/proc/self/environ", "rb") as initial:
    own = initial.read().decode()
with WorkerPool(1, 60) as pool:
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
    result = run_holder({}, container_root)
    seen = result["seen"]
    assert isinstance(seen, dict)
    assert seen["uid"] == [0, 0, 0]
    assert f"{SECRETS_FD_VARIABLE}=" in str(seen["environ"])
    assert seen["mem"] == "Permission denied"
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
