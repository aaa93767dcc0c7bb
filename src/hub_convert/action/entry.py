"""The GitHub Action entry: runner environment in, outputs / summary / comment out.

The runner passes each input as ``INPUT_<NAME>`` upper-cased with dashes kept
(``INPUT_OUTPUT-DIR``), mounts the workspace at ``GITHUB_WORKSPACE`` and starts the
container there. Inputs are read and validated in inputs.py; several models (the ``models``
input) are several_models.py; every conversion goes through the one run spine
(run/execute.py).
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from ..errors import HubConvertError
from ..github.context import GitHubContext
from ..github.ownership import chown_like_workspace
from ..github.publisher import publish
from ..github.step_outputs import annotate_report, report_outputs
from ..github.workflow_commands import WorkflowCommands
from ..report.schema import Report
from .inputs import (
    ActionInputs,
    ActionRun,
    check_inside_workspace,
    debug_requested,
    parse_inputs,
    withhold_secrets,
)


def _convert(
    parsed: ActionRun,
    context: GitHubContext,
    workspace: Path,
    env: Mapping[str, str],
    commands: WorkflowCommands,
) -> Report:
    """The conversion; on a pull request (``compare: auto``) with the base commit's model too."""
    from ..run.base_run import default_cache
    from ..run.execute import execute
    from ..run.git_base import pull_request_base

    config, debug = parsed.config, parsed.debug
    if parsed.compare == "never":
        return execute(config, commands.info, debug=debug)
    with tempfile.TemporaryDirectory(prefix="hub-convert-base-") as scratch:
        base = pull_request_base(context, workspace, config.model, Path(scratch), commands.info)
        if base is not None and base.reason:
            commands.notice(f"not compared with the base: {base.reason}")
        cache = default_cache(env)
        return execute(
            config, commands.info, base=base, cache=cache, debug=debug, notice=commands.notice
        )


def main(env: Mapping[str, str], stream: TextIO | None = None) -> int:
    """Run the Action. Exit code: 0 passed, 1 policy or publishing failed, 2 bad input."""
    out = stream or sys.stdout
    env = dict(env)  # our copy keeps the token for publishing; os.environ loses it below
    withhold_secrets(os.environ)
    commands = WorkflowCommands.from_env(env, out)
    inputs = ActionInputs(env)
    commands.add_mask(inputs.get("github-token"))
    debug = debug_requested(inputs)
    workspace = Path(env.get("GITHUB_WORKSPACE") or os.getcwd())
    try:
        # Relative paths in inputs are relative to the workspace, as in any other step.
        os.chdir(workspace)
        # The runner mounts ${{ runner.temp }}/_github_home at $HOME (/github/home) in every
        # container action: a TF Hub cache there can be kept with actions/cache.
        os.environ.setdefault(
            "TFHUB_CACHE_DIR", str(Path(env.get("HOME") or "/github/home") / "tfhub_modules")
        )
        parsed = parse_inputs(inputs)
        config, settings = parsed.config, parsed.settings
        context = GitHubContext.from_env(env)
        if parsed.mode == "plan":
            from .plan_mode import run_plan_mode

            return run_plan_mode(parsed, context, workspace, commands)
        if parsed.models:
            from .several_models import run_models

            return run_models(parsed, context, workspace, env, commands)
        check_inside_workspace(config.model, workspace, "model")
        with commands.group(f"Convert {config.model}"):
            report = _convert(parsed, context, workspace, env, commands)
    except HubConvertError as exc:
        if debug:
            traceback.print_exc(file=out)
        commands.error(str(exc))
        return exc.exit_code
    try:
        annotate_report(report, commands)
        commands.set_outputs(report_outputs(report, config.output_dir))
        # publish() opens a log group per stage itself; GitHub does not nest groups.
        result = publish(report, config.output_dir, settings, context, commands)
    finally:
        chown_like_workspace([config.output_dir], workspace)
    from ..run.execute import verdict_line

    commands.info(verdict_line(report) + f" (reproduce: {shlex.quote(config.command)})")
    if not report.verdict.passed:
        return 1
    return 0 if result.ok else 1
