"""Independent CLI runs started together: each run spends most of its time in one worker
process importing TensorFlow and converting, so two at once keep a 2-core machine busy where
one after the other leaves a core idle."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from support.cli import CliRun, run_cli

Key = TypeVar("Key", bound=Hashable)

AT_ONCE = 2


def run_cli_batch(
    commands: Mapping[Key, Sequence[str | Path]], *, at_once: int = AT_ONCE
) -> dict[Key, CliRun]:
    """Each command's ``run_cli(*command)``, ``at_once`` of them running at a time; the runs
    must not depend on each other (no shared output directory that one of them writes)."""
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        futures = {key: pool.submit(run_cli, *command) for key, command in commands.items()}
        return {key: future.result() for key, future in futures.items()}
