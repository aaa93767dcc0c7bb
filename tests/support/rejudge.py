"""A conversion's report judged again with more command-line options, the way the CLI judges
a run: a test that only changes ``--fail-on`` or ``--targets`` needs no second conversion
(the verdict depends on nothing else the run measured)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from hub_convert.cli.convert_command import config_from_args
from hub_convert.cli.parser import build_parser
from hub_convert.policy.verdict import decide
from hub_convert.report.render import render_report
from hub_convert.report.schema import Report
from hub_convert.run.config import ConvertConfig


@dataclass(frozen=True)
class Rejudged:
    config: ConvertConfig
    report: Report
    markdown: str

    @property
    def exit_code(self) -> int:
        """The exit code ``hub-convert convert`` gives this verdict."""
        return 0 if self.report.verdict.passed else 1


def rejudge(report_json: Path, *more_args: str) -> Rejudged:
    """The report in ``report_json`` as the CLI would have judged it had its command had
    ``more_args`` too: the options parsed by the CLI's own parser (later ones win), only the
    artifacts the options still ask for, their verdict decided under the resulting fail-on and
    require rules."""
    report = Report.model_validate_json(report_json.read_text())
    argv = [*shlex.split(report.command)[1:], *more_args]
    config = config_from_args(build_parser().parse_args(argv), argv)
    wanted = set(config.jobs_wanted())
    artifacts = [a for a in report.artifacts if (a.target, a.variant) in wanted]
    fail_on = list(config.fail_on)
    judged = report.model_copy(
        update={
            "command": config.command,
            "fail_on": fail_on,
            "require": list(config.require),
            "artifacts": artifacts,
            "verdict": decide(artifacts, fail_on, config.require),
        }
    )
    return Rejudged(config=config, report=judged, markdown=render_report(judged))
