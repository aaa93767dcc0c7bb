"""Which models a run covers: paths and globs expanded in the workspace, each model's
file-name-safe name, and (for a matrix of jobs) the ones whose files changed since a commit.

Light on purpose: no TensorFlow or numpy, so ``hub-convert plan`` runs in a publish-only install.
"""

from __future__ import annotations

import glob
import json
import re
import subprocess
from pathlib import Path

from ..errors import BadInputError
from ..names import unique_names

_GLOB = re.compile(r"[*?\[]")


def expand(patterns: tuple[str, ...]) -> list[str]:
    """Each path as given, each glob's matches (sorted), relative to the current directory;
    a glob that matches nothing is bad input (a path may be gone: deleted since the base)."""
    models: list[str] = []
    for pattern in patterns:
        if _GLOB.search(pattern):
            matches = sorted(glob.glob(pattern))
            if not matches:
                raise BadInputError(
                    f"input models: {pattern!r} matches nothing in the workspace; give paths "
                    "or globs relative to it, one per line"
                )
        else:
            matches = [pattern]
        models += [m.rstrip("/") for m in matches if m.rstrip("/") not in models]
    return models


def model_names(models: list[str]) -> dict[str, str]:
    """Each model path's file-name-safe name (its output directory, its artifact's suffix),
    distinct from every other's and from the combined report.md beside them."""
    return unique_names(models, taken={"report.md"})


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    # In the Action's container the workspace belongs to the runner's user, not to us.
    safe = f"safe.directory={Path.cwd()}"
    return subprocess.run(["git", "-c", safe, *args], capture_output=True, text=True, timeout=120)


def changed_since(model: str, base_ref: str) -> bool:
    """Whether the model's files differ from ``base_ref`` in the repository here: tracked
    changes, and files git does not track yet."""
    diff = _git("diff", "--quiet", base_ref, "--", model)
    if diff.returncode not in (0, 1):
        said = diff.stderr.strip().splitlines()[:1] or ["git diff failed"]
        raise BadInputError(
            f"--base-ref {base_ref}: {said[0]} (a shallow checkout lacks it: check out with "
            "fetch-depth: 0)"
        )
    if diff.returncode == 1:
        return True
    untracked = _git("ls-files", "--others", "--exclude-standard", "--", model)
    return bool(untracked.stdout.strip())


def plan(patterns: tuple[str, ...], base_ref: str | None = None) -> list[dict[str, str]]:
    """The models to convert, one matrix entry each (``model``: its path, ``name``: its
    file-name-safe name): all of them, or those changed since ``base_ref``. A model gone from
    the workspace has nothing to convert and is left out."""
    models = [m for m in expand(patterns) if Path(m).exists()]
    names = model_names(models)
    if base_ref:
        models = [m for m in models if changed_since(m, base_ref)]
    return [{"model": m, "name": names[m]} for m in models]


def matrix_json(entries: list[dict[str, str]]) -> str:
    """The ``strategy.matrix`` value for ``fromJSON``: ``{"include": [...]}`` on one line."""
    return json.dumps({"include": entries}, separators=(",", ":"))
