"""``hub-convert convert``: its arguments validated, the converters checked, the run and verdict."""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import BadInputError
from ..log_text import inert_lines
from ..run.config import CONVERT_OPTIONS, ConvertConfig, build_config

if TYPE_CHECKING:
    from ..run.base_run import Base

# What `pip install "hub-convert[convert]"` adds to a publish-only install, by import name:
# without one of them a conversion could only end in a traceback.
CONVERTER_MODULES = ("numpy", "pebble", "tensorflow", "tf2onnx", "onnx", "onnxruntime")


def option_values(args: argparse.Namespace, names: Sequence[str]) -> dict[str, Any]:
    """argparse's values by option name (``--pr-number`` is ``args.pr_number``)."""
    return {name: getattr(args, name.replace("-", "_")) for name in names}


def option_label(name: str) -> str:
    """How a message names an option: ``MODEL`` or ``--NAME``."""
    return "MODEL" if name == "model" else f"--{name}"


def config_from_args(args: argparse.Namespace, argv: Sequence[str]) -> ConvertConfig:
    """Validate the parsed ``convert`` arguments into a ConvertConfig (BadInputError if not)."""
    return build_config(
        option_values(args, CONVERT_OPTIONS),
        label=option_label,
        command=shlex.join(["hub-convert", *argv]),
    )


def require_converters() -> None:
    """BadInputError naming the extra to install when the converter stack is missing."""
    missing = [name for name in CONVERTER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise BadInputError(
            "convert needs the converters, which this install lacks "
            f'({", ".join(missing)}): pip install "hub-convert[convert]"'
        )


def check_base(base: str) -> Base:
    """``--base``, checked before anything is written: a path that exists, or a handle."""
    from ..run.base_run import Base
    from ..sources.hub import is_handle

    if not base.strip():
        raise BadInputError("--base: empty; pass the model as it was before the change")
    if not is_handle(base) and not Path(base).expanduser().exists():
        raise BadInputError(
            f"--base {base}: no such file or directory; pass the model as it was before the "
            "change (e.g. extracted with `git archive`)"
        )
    return Base(model=base, label=base)


def _log(message: str) -> None:
    # The CLI runs in workflows too: a model's names in a log line must not be commands.
    print(inert_lines(message), file=sys.stderr, flush=True)


def run_convert(
    config: ConvertConfig,
    *,
    debug: bool,
    base: str | None = None,
    base_cache: str | None = None,
) -> int:
    """Convert (compared with ``base`` when given), print the verdict; the exit code."""
    checked = check_base(base) if base is not None else None
    require_converters()
    from ..run.base_run import default_cache
    from ..run.execute import execute, verdict_line

    cache = None
    if checked is not None:
        cache = Path(base_cache) if base_cache else default_cache(os.environ)
    report = execute(config, _log, base=checked, cache=cache, debug=debug)
    verdict = report.verdict
    print(verdict_line(report))
    for failure in verdict.failures:
        print(f"  - {failure}")
    print(f"report: {config.output_dir / 'report.md'}")
    return 0 if verdict.passed else 1
