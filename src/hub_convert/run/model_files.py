"""Which files make a model, and one hash of them: what decides "unchanged" and keys the base
report cache. No TensorFlow.

A SavedModel or TF.js directory is all of its files; a TF.js ``model.json`` brings the shards
beside it, so its directory counts; a ``.keras`` / ``.h5`` file or an archive is itself.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_CHUNK = 1 << 20


def model_root(path: Path) -> Path:
    """The file or directory whose contents are the model at ``path``."""
    if path.is_file() and path.name.lower().endswith((".json", ".json.gz")):
        return path.parent
    return path


def content_hash(model: str) -> str | None:
    """sha256 over the model's files (relative names, kinds and contents); None when ``model``
    is not a local path (a handle URL)."""
    path = Path(model).expanduser()
    if not path.exists():
        return None
    root = model_root(path)
    digest = hashlib.sha256()
    if not root.is_dir():
        digest.update(b"file\0")
        digest.update(_file_hash(root).encode())
        return digest.hexdigest()
    digest.update(b"directory\0")
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            full = Path(directory) / name
            relative = full.relative_to(root).as_posix()
            if full.is_symlink():
                entry = f"link\0{relative}\0{os.readlink(full)}\0"
            else:
                entry = f"file\0{relative}\0{_file_hash(full)}\0"
            digest.update(entry.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
