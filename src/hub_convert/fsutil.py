"""File helpers: atomic writes and sizes. A failure never leaves a half-written file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory, then rename."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    produce_atomic(path, lambda tmp: tmp.write_bytes(payload))


def produce_atomic(path: Path, produce: Callable[[Path], object]) -> None:
    """Let ``produce`` write a temporary sibling of ``path``; rename it into place on success.

    Whatever ``produce`` raises, the temporary file is removed and ``path`` is untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        produce(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def tree_size(path: Path) -> int:
    """Bytes on disk of a file, or of every regular file under a directory."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
