"""What ``hub-convert`` runs: the arguments parsed, the command dispatched, errors in one line.

Exit codes: 0 the policy passed · 1 the policy failed (or publishing failed) · 2 bad input.
Errors a user can cause print one line; ``--debug`` shows tracebacks and TensorFlow's output.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

from ..errors import HubConvertError, error_line
from .convert_command import config_from_args, run_convert
from .parser import build_parser


def run_command(argv: Sequence[str]) -> int:
    """Parse ``argv`` (without the program name), run its command; the exit code."""
    argv = list(argv)
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
        # PyGithub and the publishing code load only for the command that publishes.
        from .publish_command import run_publish

        return run_publish(args, os.environ)
    except HubConvertError as exc:
        if debug:
            traceback.print_exc()
        print(error_line(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("hub-convert: interrupted", file=sys.stderr)
        return 130
