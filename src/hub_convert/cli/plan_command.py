"""``hub-convert plan``: the models a matrix of convert jobs covers, as a JSON matrix."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from ..run.model_plan import matrix_json, plan


def add_plan_options(parser: argparse.ArgumentParser) -> None:
    """Options of ``hub-convert plan``."""
    parser.add_argument(
        "--models",
        action="append",
        required=True,
        metavar="GLOB",
        help="a model path or glob relative to the current directory (repeatable; required)",
    )
    parser.add_argument(
        "--base-ref",
        metavar="REF",
        help="keep only the models whose files changed since this commit, e.g. a pull "
        "request's base sha (default: every model)",
    )


def run_plan(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Print the matrix; in a workflow step also set the outputs ``matrix`` and ``count``."""
    entries = plan(tuple(args.models), args.base_ref)
    matrix = matrix_json(entries)
    print(matrix)
    output = env.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as outputs:
            outputs.write(f"matrix={matrix}\ncount={len(entries)}\n")
    return 0
