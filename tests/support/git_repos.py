"""Real git repositories for the Action's pull-request tests: git with a fixed identity and no
user configuration, and the depth-1 clone actions/checkout makes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd``; its stdout, stripped (CalledProcessError when it fails)."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(cwd),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    """Commit everything in ``repo``; the new commit's sha."""
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def checkout(origin: Path, where: Path) -> Path:
    """What actions/checkout does on a pull request: a depth-1 clone of the head."""
    git(where.parent, "clone", "--quiet", "--depth=1", f"file://{origin}", str(where))
    return where
