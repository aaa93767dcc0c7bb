"""Which process can see which secret: the Action's credentials out of reach of model code.

The Action holds a GitHub token (and the runner's runtime credentials) in its main process and
runs model code (SavedModel graphs, Keras and TF.js models from pull requests) in worker
processes. A graph can read any file the worker can (``ReadFile``), so these measures keep the
credentials out of that code's reach; each closes a path the others leave open:

- ``take_secrets``: the entrypoint re-executes itself with the credentials removed from its
  environment and receives them through an inherited pipe, read once and closed. A process's
  *initial* environment stays readable at ``/proc/<pid>/environ`` for its whole life, whatever
  it later removes from ``os.environ``; after ``execve`` that file shows the new environment.
- ``make_undumpable``: the process holding the credentials is not dumpable: its
  ``/proc/<pid>/mem`` is closed to processes without CAP_SYS_PTRACE, its ``environ`` and
  ``maps`` to those without CAP_SYS_PTRACE, CAP_SYS_ADMIN or CAP_PERFMON, root included (a
  container's default capabilities have none of them).
- workers.py: the workers and the main process talk over socket pairs, not pipes. A worker
  can reopen a pipe of its own through ``/proc/self/fd/N`` (``WriteFile`` can) and write into
  it what the main process then unpickles.
"""

from __future__ import annotations

import ctypes
import json
import os
import stat
import sys
from collections.abc import Sequence
from typing import NoReturn

# Credentials the runner hands the container. Model code needs none of them.
SECRET_VARIABLES = (
    "INPUT_GITHUB-TOKEN",
    "GITHUB_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
)
# Names the pipe the re-executed entrypoint reads the credentials from.
SECRETS_FD_VARIABLE = "HUB_CONVERT_SECRETS_FD"

_PR_SET_DUMPABLE = 4


def _linux() -> bool:
    return sys.platform.startswith("linux")


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl({option}, {value}): {os.strerror(errno)}")


def make_undumpable() -> None:
    """Make this process non-dumpable (Linux): its ``/proc/<pid>`` files then belong to root,
    ``mem`` opens only for CAP_SYS_PTRACE, ``environ`` and ``maps`` only for CAP_SYS_PTRACE,
    CAP_SYS_ADMIN or CAP_PERFMON, and it writes no core dump. ``execve`` resets the flag."""
    if _linux():
        _prctl(_PR_SET_DUMPABLE, 0)


def take_secrets(names: Sequence[str] = SECRET_VARIABLES) -> dict[str, str]:
    """The process's environment, ``names`` included, with none of ``names`` in its initial one.

    The first call (``names`` in the environment) re-executes the interpreter with the same
    arguments, without ``names`` and with the values in a pipe; it does not return. The
    re-executed process makes itself non-dumpable, reads the pipe and returns the whole
    environment. ``os.environ`` keeps none of ``names``. Off Linux it returns ``os.environ``.
    """
    if not _linux():
        return dict(os.environ)
    fd = os.environ.pop(SECRETS_FD_VARIABLE, None)
    present = {name: os.environ[name] for name in names if name in os.environ}
    if present:
        _reexecute_without(present)
    make_undumpable()
    received = _receive(int(fd)) if fd is not None and fd.isdigit() else {}
    return dict(os.environ) | received


def _reexecute_without(secrets: dict[str, str]) -> NoReturn:
    payload = json.dumps(secrets).encode()
    read_end, write_end = os.pipe()  # both close on exec; the read end is made inheritable
    try:
        os.set_blocking(write_end, False)
        written = os.write(write_end, payload)  # the pipe holds 64 KiB; tokens are ~1 KiB
    except BlockingIOError:
        written = 0
    finally:
        os.close(write_end)
    if written != len(payload):
        raise RuntimeError(f"{len(payload)} bytes of credentials do not fit in a pipe")
    os.set_inheritable(read_end, True)
    environ = {key: value for key, value in os.environ.items() if key not in secrets}
    environ[SECRETS_FD_VARIABLE] = str(read_end)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, sys.orig_argv, environ)


def _receive(fd: int) -> dict[str, str]:
    """The credentials ``_reexecute_without`` left in the pipe ``fd``; closes it."""
    with open(fd, "rb") as pipe:
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            raise RuntimeError(f"{SECRETS_FD_VARIABLE}={fd} is not a pipe")
        values = json.loads(pipe.read())
    return {str(key): str(value) for key, value in values.items()}
