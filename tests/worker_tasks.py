"""Real misbehaving tasks for the worker-pool tests (importable by spawned workers)."""

from __future__ import annotations

import os
import time


def answer(value: int) -> int:
    return value * 2


def abort() -> None:
    os.abort()  # what a C++ CHECK failure in a converter does


def hang() -> None:
    time.sleep(3600)


def raise_value_error() -> None:
    raise ValueError("converter said no")


def environment_variable(name: str) -> str | None:
    return os.environ.get(name)


def write_into_own_descriptors(payload: bytes) -> list[str]:
    """Write ``payload`` into every pipe and socket this worker holds, reopened through
    /proc/self/fd/N as a model's WriteFile op can (the resource tracker's pipe left alone:
    it reads text lines, and complains loudly about anything else)."""
    from multiprocessing import resource_tracker

    tracker = getattr(resource_tracker._resource_tracker, "_fd", None)
    done = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if fd < 3 or fd == tracker or not target.startswith(("pipe:", "socket:")):
            continue
        try:
            with open(f"/proc/self/fd/{fd}", "wb") as reopened:
                reopened.write(payload)
            done.append(f"{fd} {target}: written")
        except OSError as exc:
            done.append(f"{fd} {target}: {exc.strerror}")
    return done
