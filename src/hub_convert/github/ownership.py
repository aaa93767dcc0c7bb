"""Give files written by the (root) container to the workspace's owner.

Docker actions run as root, but later steps run as the runner user: root-owned files in the
workspace make ``actions/checkout`` cleanup, ``rm`` or a cache step fail with EACCES.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def _walk(path: Path) -> Iterable[Path]:
    yield path
    if path.is_dir() and not path.is_symlink():
        for root, dirs, files in os.walk(path):
            for name in (*dirs, *files):
                yield Path(root) / name


def chown_like_workspace(paths: Iterable[Path], workspace: Path) -> int:
    """Give ``paths`` (recursively) the uid/gid of ``workspace``; return how many changed.

    A no-op when not running as root, or when the workspace is root's too. Paths outside the
    workspace are left alone, and symlinks are changed themselves, never their targets.
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return 0
    try:
        owner = workspace.stat()
    except OSError:
        return 0
    if (owner.st_uid, owner.st_gid) == (0, 0):
        return 0
    root = workspace.resolve()
    changed = 0
    for top in paths:
        if not top.absolute().resolve().is_relative_to(root) or not os.path.lexists(top):
            continue
        for path in _walk(top):
            try:
                info = path.lstat()
                if (info.st_uid, info.st_gid) != (owner.st_uid, owner.st_gid):
                    os.lchown(path, owner.st_uid, owner.st_gid)
                    changed += 1
            except OSError:
                continue  # vanished or not ours to change: leave it, never fail the run
    return changed
