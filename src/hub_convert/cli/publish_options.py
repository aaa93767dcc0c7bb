"""The options of ``hub-convert publish`` (the Action's input names), grouped."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class _ReportPaths(argparse.Action):
    """One positional listed once in the help, kept as the first report and the others."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        paths = list(values or [])
        namespace.report_json, namespace.more_reports = paths[0], paths[1:]


def add_publish_options(parser: argparse.ArgumentParser) -> None:
    """Options of ``hub-convert publish REPORT_JSON...``."""
    parser.add_argument(
        "reports",
        metavar="REPORT_JSON",
        type=Path,
        nargs="+",
        action=_ReportPaths,
        help="report.json written by 'hub-convert convert'; several (the Action's models "
        "input) are each published, with one combined comment",
    )
    comment = parser.add_argument_group("comment")
    comment.add_argument(
        "--comment",
        metavar="MODE",
        help="auto (pull request events), always, never or recreate (default: auto)",
    )
    comment.add_argument(
        "--comment-key",
        metavar="KEY",
        help="marker key of the comment (default: the model path; 'models' for several)",
    )
    comment.add_argument(
        "--pr-number",
        metavar="N",
        help="pull request to comment on when the event names none (workflow_run for a fork's "
        "pull request) (default: the event's)",
    )
    files = parser.add_argument_group("artifact and release")
    files.add_argument(
        "--upload-artifact",
        action="store_true",
        default=None,
        help="upload the report's directory as a workflow artifact (default: off)",
    )
    files.add_argument(
        "--artifact-name",
        metavar="NAME",
        help="workflow artifact name (default: hub-convert-<model>-<job>-<hash>)",
    )
    files.add_argument(
        "--overwrite",
        action="store_true",
        default=None,
        help="delete an artifact of the same name in the workflow run before uploading "
        "(default: off)",
    )
    files.add_argument(
        "--retention-days",
        metavar="DAYS",
        help="days to keep the workflow artifact (default: the repository's setting)",
    )
    files.add_argument(
        "--release-tag",
        metavar="TAG",
        help="upload the converted files and report as assets of this release (default: none)",
    )
    parser.add_argument(
        "--no-summary",
        dest="summary",
        action="store_false",
        default=None,
        help="do not write the report to the step summary (default: written)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
