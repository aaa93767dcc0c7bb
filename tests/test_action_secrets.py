"""The token never reaches the worker processes that run model code."""

from __future__ import annotations

import os

import pytest

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
