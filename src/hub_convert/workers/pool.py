"""Run work in separate processes, so a crash or a hang costs one result, not the run.

pebble's ProcessPool gives per-task timeouts (the worker is killed and replaced) and
reports a worker that died as ``ProcessExpired``; workers are reused between tasks, so
TensorFlow is imported once per worker rather than once per conversion.

Workers run model code, so the pool treats them as untrusted (isolation.py): with ``run_as``
each becomes an unprivileged user before anything else, and the channels between the pool and
its workers are socket pairs rather than pipes. A worker can reopen any pipe it holds through
``/proc/self/fd/N`` (a graph's ``WriteFile`` op can), and what it wrote into the result pipe
the main process would unpickle; a socket cannot be opened that way (ENXIO).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext
from types import TracebackType
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessFuture, ProcessPool

from .isolation import WorkerUser, become

T = TypeVar("T")


class WorkerFailure(Exception):
    """The task did not return: it timed out or its process died."""

    def __init__(self, message: str, *, crashed: bool, exitcode: int | None = None) -> None:
        super().__init__(message)
        self.crashed = crashed  # the process died (a signal, an abort), rather than timed out
        self.exitcode = exitcode  # the dead process's (negative: the signal), when it died


class TaskError(Exception):
    """A task failed with something other than a HubConvertError, said in one line.

    Tasks raise this instead of the original exception so that the main process never
    unpickles an exception class of TensorFlow (which would import it here).
    """


def describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _memory_hint(exc: ProcessExpired) -> str:
    # Only SIGKILL says memory without more evidence: the kernel's OOM killer sends it (the
    # pool's own stops are timeouts). A SIGSEGV or SIGABRT is memory only when the worker's
    # output says an allocation failed (death.py reads it where a task keeps its output).
    if exc.exitcode == -signal.SIGKILL:
        return "; the kernel's OOM killer sends SIGKILL when the machine runs out of memory"
    return ""


class _SocketSpawnContext(SpawnContext):
    """spawn, with every ``Pipe`` a socket pair (pebble asks for one-way pipes)."""

    def Pipe(self, duplex: bool = True) -> tuple[Connection, Connection]:
        return super().Pipe(duplex=True)


def _start_worker(
    run_as: WorkerUser | None, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]
) -> None:
    """The first thing a worker does: become ``run_as``, then run the pool's initializer."""
    if run_as is not None:
        become(run_as)
    if initializer is not None:
        initializer(*initargs)


class WorkerPool:
    """A pool of spawned worker processes with a timeout per task, running as ``run_as``."""

    def __init__(
        self,
        workers: int,
        timeout: float,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[Any, ...] = (),
        run_as: WorkerUser | None = None,
        max_tasks: int = 0,
    ) -> None:
        """``max_tasks``: tasks a worker runs before a fresh one replaces it (0: no limit). A
        big model's conversion leaves gigabytes the allocator keeps, and ``RLIMIT_DATA`` counts
        them against the next task: each of its tasks gets a fresh worker instead."""
        self.timeout = timeout
        self.workers = workers
        # One BLAS thread per worker (read when a spawned worker loads numpy): the workers are
        # already one per core, and OpenBLAS's own threads, waiting for cores the other workers
        # hold, made each vector norm of the localization 4-25 ms instead of 0.02 ms on a loaded
        # machine (MobileNetV2's ONNX file: its per-layer measures 11-15 s, 1.0-1.3 s with one).
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        # spawn, not fork: TensorFlow's threads and locks do not survive a fork.
        self._pool = ProcessPool(
            max_workers=workers,
            max_tasks=max_tasks,
            initializer=_start_worker,
            initargs=(run_as, initializer, initargs),
            context=_SocketSpawnContext(),
        )

    def submit(self, function: Callable[..., T], *args: Any) -> ProcessFuture[T]:
        return self._pool.schedule(function, args=args, timeout=self.timeout)

    def result(self, future: ProcessFuture[T]) -> T:
        """The task's return value; its own exception re-raised; WorkerFailure otherwise."""
        try:
            return future.result()
        except FutureTimeout:
            raise WorkerFailure(
                f"timed out after {self.timeout:g} s and was stopped", crashed=False
            ) from None
        except ProcessExpired as exc:
            raise WorkerFailure(
                f"the worker process died ({describe_exit(exc.exitcode)}{_memory_hint(exc)})",
                crashed=True,
                exitcode=exc.exitcode,
            ) from None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self._pool.close()  # type: ignore[no-untyped-call]
        else:
            self._pool.stop()  # type: ignore[no-untyped-call]
        self._pool.join()
