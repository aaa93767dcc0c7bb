"""The ``hub-convert`` console script run as a user runs it, and what one run left."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class CliRun:
    """One CLI run: exit code, output streams and the output directory it wrote."""

    exit_code: int
    stdout: str
    stderr: str
    output_dir: Path

    @property
    def report(self) -> dict[str, Any]:
        return json.loads((self.output_dir / "report.json").read_text())

    def artifact(self, target: str, variant: str) -> dict[str, Any]:
        for artifact in self.report["artifacts"]:
            if artifact["target"] == target and artifact["variant"] == variant:
                return artifact
        raise AssertionError(f"no {target} {variant} artifact in {self.output_dir}")


def run_cli(
    *args: str | Path,
    cwd: Path | None = None,
    timeout: float = 600,
    env: dict[str, str] | None = None,
) -> CliRun:
    """Run the installed ``hub-convert`` console script as a user would (``env``: more
    environment variables)."""
    argv = [str(a) for a in args]
    output_dir = Path(argv[argv.index("--output-dir") + 1]) if "--output-dir" in argv else Path()
    if cwd is not None and not output_dir.is_absolute():
        output_dir = cwd / output_dir
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **(env or {}))
    done = subprocess.run(
        [str(Path(sys.executable).with_name("hub-convert")), *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
    return CliRun(done.returncode, done.stdout, done.stderr, output_dir)
