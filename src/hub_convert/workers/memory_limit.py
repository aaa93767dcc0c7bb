"""A memory limit per worker process (``--max-memory``): a model cannot exhaust the machine.

Each worker sets ``RLIMIT_DATA`` in its initializer, before TensorFlow is imported. Measured
with TensorFlow 2.21 on Linux: ``RLIMIT_AS`` counts TensorFlow's shared libraries and thread
stacks as well (1.4 GiB of address space before any tensor exists), and at a tight limit a
thread or a ``dlopen`` fails and the process aborts ("libgcc_s.so.1 must be installed for
unwinding to work"); ``RLIMIT_DATA`` counts the heap and private anonymous mappings (where
tensors and arrays live, 0.3 GiB after import), and an allocation over it fails cleanly:
numpy raises MemoryError, TensorFlow's allocator ResourceExhaustedError ("OOM when allocating
tensor"). C++ code that does not expect ``new`` to fail (the MLIR converter) may still abort;
the pool turns that into one failed artifact.

The default: three quarters of the machine's memory (or of the cgroup's limit, in a
container), shared by the workers; never below ``MINIMUM``, which TensorFlow needs to convert.
"""

from __future__ import annotations

import resource
from pathlib import Path

from ..units import GIB, human

MINIMUM = 2 * GIB
SHARE = 0.75
_CGROUP_LIMITS = (
    Path("/sys/fs/cgroup/memory.max"),  # cgroup v2
    Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),  # cgroup v1
)


def machine_memory() -> int | None:
    """Bytes of memory this process may use: MemTotal, or a smaller cgroup limit."""
    sizes = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                sizes.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    for path in _CGROUP_LIMITS:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            sizes.append(int(text))  # "max" (v2) or a huge number (v1) mean no limit
    return min(sizes) if sizes else None


def default_limit(workers: int) -> int | None:
    """The per-worker limit when ``--max-memory`` is not given (None: memory unknown)."""
    total = machine_memory()
    if total is None:
        return None
    return max(MINIMUM, int(total * SHARE) // max(1, workers))


def apply(limit: int | None) -> None:
    """Limit this process's data segment to ``limit`` bytes (None: leave it as it is)."""
    if not limit:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


def current() -> int | None:
    """This process's limit in bytes, or None when there is none."""
    soft, _ = resource.getrlimit(resource.RLIMIT_DATA)
    return None if soft == resource.RLIM_INFINITY else int(soft)


def exhausted(doing: str, needed: int | None = None) -> str:
    """The one-line reason for a worker that ran out of memory; ``needed``: the bytes of the
    one allocation that failed, when known."""
    limit = current()
    machine = machine_memory()
    if needed is not None and machine is not None and needed > machine:
        # No --max-memory helps: say what the model asked for, not to double a limit.
        return (
            f"{doing} ran out of memory: one tensor of {human(needed)} asked for, more than "
            f"this machine's {human(machine)}; feed smaller inputs (--input-shape, "
            "--representative-data) or fix the model's shapes"
        )
    if limit is None:
        return f"{doing} ran out of memory (no --max-memory limit was set: the machine's)"
    more = -(-2 * limit // GIB)  # twice the limit, in whole GiB
    return (
        f"{doing} ran out of memory within the worker's {human(limit)} limit; "
        f"raise it with --max-memory (e.g. --max-memory {more}G)"
    )


def looks_exhausted(exc: BaseException | str) -> bool:
    """Whether an error (or its text) says an allocation failed."""
    if isinstance(exc, MemoryError):
        return True
    if isinstance(exc, BaseException):
        names = {cls.__name__ for cls in type(exc).__mro__}
        if "ResourceExhaustedError" in names:
            return True
        exc = str(exc)
    return any(
        sign in exc
        for sign in ("MemoryError", "OOM when allocating", "std::bad_alloc", "ResourceExhausted")
    )
