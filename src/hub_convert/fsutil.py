"""File helpers: atomic writes and sizes. A failure never leaves a half-written file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import BadInputError


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory, then rename."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    produce_atomic(path, lambda tmp: tmp.write_bytes(payload))


def produce_atomic(path: Path, produce: Callable[[Path], object]) -> None:
    """Let ``produce`` write a temporary sibling of ``path``; rename it into place on success.

    Whatever ``produce`` raises, the temporary file is removed and ``path`` is untouched; a
    file system that refuses the write (read-only, full) is a one-line BadInputError.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    except OSError as exc:
        raise BadInputError(f"{path}: cannot write it ({exc.strerror})") from None
    os.close(fd)
    tmp = Path(name)
    try:
        produce(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise BadInputError(f"{path}: cannot write it ({exc.strerror})") from None
        raise


def check_writable_dir(path: Path, label: str) -> None:
    """Refuse, before any work starts, an output directory that cannot take our files: a file
    in its place, or a directory (or, if it does not exist yet, the nearest existing parent)
    where no file can be created. Creates nothing that stays."""
    if path.exists() and not path.is_dir():
        raise BadInputError(f"{label} {path}: exists and is not a directory; choose another")
    probe = path.absolute()
    while not probe.exists():
        probe = probe.parent
    try:
        if not probe.is_dir():
            raise NotADirectoryError(20, "a parent is not a directory")
        with tempfile.NamedTemporaryFile(prefix=".hub-convert-check.", dir=probe):
            pass
    except OSError as exc:
        raise BadInputError(
            f"{label} {path}: cannot write there ({exc.strerror}); choose a writable directory"
        ) from None


def tree_size(path: Path) -> int:
    """Bytes on disk of a file, or of every regular file under a directory."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
