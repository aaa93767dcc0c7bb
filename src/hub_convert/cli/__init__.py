"""``hub-convert`` command line: ``convert`` a model, ``publish`` a report.

Exit codes: 0 the policy passed · 1 the policy failed (or publishing failed) · 2 bad input.
Errors a user can cause print one line; ``--debug`` shows tracebacks and TensorFlow's output.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Mapping, Sequence

from ..errors import HubConvertError, error_line
from ..github.settings import PUBLISH_OPTIONS, PublishSettings, token_from_env
from .convert_command import (
    check_base,
    config_from_args,
    option_label,
    option_values,
    require_converters,
    run_convert,
)
from .parser import build_parser, report_paths

__all__ = [
    "build_parser",
    "check_base",
    "config_from_args",
    "main",
    "require_converters",
    "run_convert",
    "settings_from_args",
]


def settings_from_args(args: argparse.Namespace, env: Mapping[str, str]) -> PublishSettings:
    """Validate the parsed ``publish`` options; the token comes from the environment."""
    return PublishSettings.from_values(
        option_values(args, PUBLISH_OPTIONS),
        label=option_label,
        token=token_from_env(env),
        upload_artifact_default=False,
    )


def _publish(args: argparse.Namespace) -> int:
    from ..github.publish_file import publish_report_file

    reports = report_paths(args)
    if len(reports) > 1:
        from ..github.publish_several import publish_report_files

        return publish_report_files(reports, settings_from_args(args, os.environ), os.environ)
    return publish_report_file(reports[0], settings_from_args(args, os.environ), os.environ)


def main(argv: Sequence[str] | None = None) -> int:
    """The ``hub-convert`` entry point; the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        if args.command == "convert":
            return run_convert(
                config_from_args(args, argv),
                debug=debug,
                base=args.base,
                base_cache=args.base_cache,
            )
        if args.command == "plan":
            from .plan_command import run_plan

            return run_plan(args, os.environ)
        return _publish(args)
    except HubConvertError as exc:
        if debug:
            traceback.print_exc()
        print(error_line(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("hub-convert: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
