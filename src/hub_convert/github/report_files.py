"""Find a report's converted files on disk, confined to the report's directory.

``hub-convert publish`` may read a ``report.json`` produced by an untrusted job. Its artifact
paths are therefore only looked up inside the directory holding the report: a path such as
``/etc/passwd`` or ``../../secret`` never leads to a file being uploaded or named in an output.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..report.artifact import Artifact


def locate_artifact_file(artifact: Artifact, report_dir: Path) -> Path | None:
    """The artifact's file inside ``report_dir`` (by its recorded path or its file name)."""
    if not artifact.path:
        return None
    root = report_dir.resolve()
    recorded = Path(artifact.path)
    candidates = [recorded if recorded.is_absolute() else report_dir / recorded]
    candidates.append(report_dir / recorded.name)
    for candidate in candidates:
        try:
            resolved = candidate.resolve()
        except (OSError, RuntimeError):
            continue
        if resolved.is_relative_to(root) and resolved.is_file():
            return resolved
    return None


def display_path(path: Path, base: Path | None = None) -> str:
    """``path`` relative to ``base`` (the working directory: the workspace in a job) if inside it.

    Later workflow steps run on the host, where the container's absolute paths do not exist
    but workspace-relative ones do.
    """
    base = (base or Path.cwd()).resolve()
    resolved = path.resolve()
    if resolved.is_relative_to(base):
        return os.path.relpath(resolved, base)
    return str(resolved)
