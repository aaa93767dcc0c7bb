"""A task that aborts or hangs costs one result; the pool keeps serving the others."""

from __future__ import annotations

import pytest

from hub_convert.workers.pool import WorkerFailure, WorkerPool
from support import worker_tasks


def test_abort_and_hang_become_failures_and_other_tasks_finish() -> None:
    with WorkerPool(workers=2, timeout=2.0) as pool:
        crashed = pool.submit(worker_tasks.abort)
        hung = pool.submit(worker_tasks.hang)
        fine = [pool.submit(worker_tasks.answer, n) for n in range(4)]
        with pytest.raises(WorkerFailure, match=r"died .*SIGABRT"):
            pool.result(crashed)
        with pytest.raises(WorkerFailure, match="timed out after 2 s"):
            pool.result(hung)
        assert [pool.result(f) for f in fine] == [0, 2, 4, 6]
        # The pool replaced its dead workers and still runs new work.
        assert pool.result(pool.submit(worker_tasks.answer, 21)) == 42


def test_task_exceptions_are_re_raised_as_themselves() -> None:
    with WorkerPool(workers=1, timeout=30) as pool, pytest.raises(ValueError, match="said no"):
        pool.result(pool.submit(worker_tasks.raise_value_error))
