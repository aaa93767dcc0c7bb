"""``hub-convert publish``: its options validated into PublishSettings, each report published."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from ..github.publish_file import publish_report_file
from ..github.publish_several import publish_report_files
from ..github.settings import PUBLISH_OPTIONS, PublishSettings, token_from_env
from .convert_command import option_label, option_values
from .parser import report_paths


def settings_from_args(args: argparse.Namespace, env: Mapping[str, str]) -> PublishSettings:
    """Validate the parsed ``publish`` options; the token comes from the environment."""
    return PublishSettings.from_values(
        option_values(args, PUBLISH_OPTIONS),
        label=option_label,
        token=token_from_env(env),
        upload_artifact_default=False,
    )


def run_publish(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Publish the report.json files ``args`` names (one combined comment for several)."""
    reports = report_paths(args)
    if len(reports) > 1:
        return publish_report_files(reports, settings_from_args(args, env), env)
    return publish_report_file(reports[0], settings_from_args(args, env), env)
