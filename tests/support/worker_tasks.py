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


def look_at_parent() -> dict[str, object]:
    """What this worker can get of its parent (the process holding the credentials) through
    /proc, and who it is: what a model's ReadFile op could do in its place."""
    parent = os.getppid()
    seen: dict[str, object] = {
        "parent": parent,
        "uid": os.getresuid(),
        "gid": os.getresgid(),
        "groups": os.getgroups(),
    }
    with open("/proc/self/status") as status:
        seen["CapEff"] = next(line.split()[1] for line in status if line.startswith("CapEff:"))
    for name in ("environ", "cmdline", "maps", "mem"):
        try:
            with open(f"/proc/{parent}/{name}", "rb") as file:
                seen[name] = "opened" if name == "mem" else file.read().decode(errors="replace")
        except OSError as exc:
            seen[name] = exc.strerror
    return seen


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


def onednn_enabled() -> bool:
    """Whether this worker's TensorFlow runs its oneDNN kernels (read at run time)."""
    from tensorflow.python.util import _pywrap_util_port

    return bool(_pywrap_util_port.IsMklEnabled())


def busy(seconds: float) -> float:
    """A conversion stand-in that keeps a worker's CPU busy; returns when it ended."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        pass
    return time.time()
