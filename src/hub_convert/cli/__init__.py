"""``hub-convert`` command line: ``convert`` a model, ``publish`` a report, ``plan`` a matrix.

This module imports nothing at module level on purpose. The console script imports it, and
multiprocessing's spawn re-runs the console script (the parent's main module) in every worker
process before the worker's first task: whatever this module imported, each worker would
import again (the parser, the report models and PyGithub cost ~0.5 CPU-s a worker).
``commands.py`` holds the command line itself.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """The ``hub-convert`` entry point; the exit code."""
    from .commands import run_command

    return run_command(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
