"""Which process can see which secret: the Action's credentials out of reach of model code.

The Action holds a GitHub token (and the runner's runtime credentials) in its main process and
runs model code (SavedModel graphs, Keras and TF.js models from pull requests) in worker
processes. A graph can read any file the worker can (``ReadFile``), so four measures keep the
credentials out of that code's reach; each closes a path the others leave open:

- ``take_secrets``: the entrypoint re-executes itself with the credentials removed from its
  environment and receives them through an inherited pipe, read once and closed. A process's
  *initial* environment stays readable at ``/proc/<pid>/environ`` for its whole life, whatever
  it later removes from ``os.environ``; after ``execve`` that file shows the new environment.
- ``make_undumpable``: the process holding the credentials is not dumpable: its
  ``/proc/<pid>/mem`` is closed to processes without CAP_SYS_PTRACE, its ``environ`` and
  ``maps`` to those without CAP_SYS_PTRACE, CAP_SYS_ADMIN or CAP_PERFMON, root included (a
  container's default capabilities have none of them).
- ``worker_user`` / ``become``: when the main process runs as root and the image's unprivileged
  user exists, every worker becomes that user before it imports TensorFlow or sees a model.
  Another uid can open nothing of the main process's under ``/proc`` that matters (environ,
  mem, maps, fd), cannot signal it, and cannot write the files it runs or reads.

- pool.py: the workers and the main process talk over socket pairs, not pipes. A worker
  can reopen a pipe of its own through ``/proc/self/fd/N`` (``WriteFile`` can) and write into
  it what the main process then unpickles.
"""

from __future__ import annotations

import ctypes
import json
import os
import pwd
import stat
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from ..errors import BadInputError

# Credentials the runner hands the container. Model code needs none of them.
SECRET_VARIABLES = (
    "INPUT_GITHUB-TOKEN",
    "GITHUB_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
)
# Names the pipe the re-executed entrypoint reads the credentials from.
SECRETS_FD_VARIABLE = "HUB_CONVERT_SECRETS_FD"
# The user workers run as when the main process is root; the image creates it (Dockerfile).
WORKER_USER_VARIABLE = "HUB_CONVERT_WORKER_USER"
DEFAULT_WORKER_USER = "hubconvert"

_PR_SET_DUMPABLE = 4
_PR_SET_NO_NEW_PRIVS = 38


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


@dataclass(frozen=True)
class WorkerUser:
    """The unprivileged user worker processes run as."""

    name: str
    uid: int
    gid: int


def worker_user(environ: Mapping[str, str] | None = None) -> WorkerUser | None:
    """Who the workers run as: None unless this process is root; else the user named by
    ``HUB_CONVERT_WORKER_USER``, or ``hubconvert`` when it exists (the image's)."""
    env = os.environ if environ is None else environ
    if not _linux() or os.geteuid() != 0:
        return None
    named = env.get(WORKER_USER_VARIABLE, "")
    try:
        entry = pwd.getpwnam(named or DEFAULT_WORKER_USER)
    except KeyError:
        if named:
            raise BadInputError(
                f"{WORKER_USER_VARIABLE}={named}: no such user; name an existing user "
                "(not root) for the worker processes that run model code"
            ) from None
        return None
    if entry.pw_uid == 0 or entry.pw_gid == 0:
        raise BadInputError(
            f"{WORKER_USER_VARIABLE}={named}: the worker processes must not run as root "
            "or in group root; name an unprivileged user"
        )
    return WorkerUser(entry.pw_name, entry.pw_uid, entry.pw_gid)


def become(user: WorkerUser) -> None:
    """Switch this process (a worker, still root) to ``user`` for good: no supplementary
    groups, real/effective/saved ids all the user's, no capabilities, no way back. Raises
    if any of it did not hold, so that a worker never runs model code as root."""
    os.setgroups([])
    os.setresgid(user.gid, user.gid, user.gid)
    os.setresuid(user.uid, user.uid, user.uid)
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)  # and no setuid program gives it back
    if os.getresuid() != (user.uid,) * 3 or os.getresgid() != (user.gid,) * 3 or os.getgroups():
        raise PermissionError(f"could not switch to user {user.name}")
    try:
        os.setuid(0)
    except PermissionError:
        return
    raise PermissionError(f"user {user.name} can become root again")


def chown_tree(top: Path, uid: int, gid: int) -> None:
    """Give ``top`` and everything under it to ``uid``:``gid``; symbolic links are changed
    themselves, never followed. Only while no worker runs: a worker cannot race the walk."""
    os.lchown(top, uid, gid)
    if top.is_symlink() or not top.is_dir():
        return
    for root, dirs, files in os.walk(top):
        for name in (*dirs, *files):
            os.lchown(os.path.join(root, name), uid, gid)


@contextmanager
def lent_to(user: WorkerUser | None, work_dir: Path, shared: Iterable[Path]) -> Iterator[None]:
    """Hand ``work_dir`` (everything in it) to ``user`` for the run, and the ``shared``
    directories (the TF Hub cache) while the block runs: they are created if missing and
    given back, afterwards, to the owner of the directory they are in. Nothing without a
    user. Leave the block only after the workers have exited."""
    if user is None:
        yield
        return
    chown_tree(work_dir, user.uid, user.gid)
    lent = []
    for directory in shared:
        top = _topmost_missing(directory.absolute())
        directory.mkdir(parents=True, exist_ok=True)
        chown_tree(top, user.uid, user.gid)
        lent.append(top)
    try:
        yield
    finally:
        for top in lent:
            owner = top.parent.stat()
            chown_tree(top, owner.st_uid, owner.st_gid)


def _topmost_missing(path: Path) -> Path:
    """``path``, or its outermost ancestor that does not exist yet."""
    top = path
    for parent in path.parents:
        if parent.exists():
            break
        top = parent
    return top


def unreadable_by(user: WorkerUser, path: Path) -> Path | None:
    """The first of ``path``'s directories, ``path`` and everything under it that ``user``
    cannot read (files) or list and enter (directories) by the permission bits; None when
    it can read all of it, or ``path`` does not exist."""
    path = path.absolute()
    for directory in reversed(path.parents):
        if not _allows(user, directory, 0o1):
            return directory
    if not path.exists():
        return None
    if not path.is_dir():
        return None if _allows(user, path, 0o4) else path
    for root, dirs, files in os.walk(path):
        for name, need in ((".", 0o5), *((d, 0o5) for d in dirs), *((f, 0o4) for f in files)):
            entry = Path(root, name) if name != "." else Path(root)
            if not _allows(user, entry, need):
                return entry
    return None


def _allows(user: WorkerUser, path: Path, need: int) -> bool:
    try:
        info = path.stat()
    except OSError:
        return True  # gone or a dangling link: the worker's own error says it better
    if info.st_uid == user.uid:
        bits = info.st_mode >> 6
    elif info.st_gid == user.gid:
        bits = info.st_mode >> 3
    else:
        bits = info.st_mode
    return bits & need == need
