"""The token never reaches the worker processes that run model code."""

from __future__ import annotations

import os
import pickle
import struct
from pathlib import Path

import pytest
from pebble import ProcessPool

import worker_tasks
from hub_convert.action import SECRET_VARIABLES, withhold_secrets
from hub_convert.workers import WorkerPool


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
