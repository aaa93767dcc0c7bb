"""The GitHub Action entry: runner environment in, outputs / summary / comment out.

The runner passes each input as ``INPUT_<NAME>`` upper-cased with dashes kept
(``INPUT_OUTPUT-DIR``), mounts the workspace at ``GITHUB_WORKSPACE`` and starts the
container there. Inputs go through the same parsers as the CLI's options (config.py,
github/settings.py) straight into a ConvertConfig and PublishSettings; the report's
"reproduce" command is the CLI command with the same meaning.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
import traceback
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from ..errors import BadInputError, HubConvertError
from ..github.context import GitHubContext
from ..github.ownership import chown_like_workspace
from ..github.publisher import publish
from ..github.settings import PUBLISH_OPTIONS, PublishSettings
from ..github.step_outputs import annotate_report, report_outputs
from ..github.workflow_commands import WorkflowCommands
from ..parsing import parse_bool, parse_choice
from ..report.schema import Report
from ..run.config import CONVERT_OPTIONS, ConvertConfig, build_config
from ..workers.isolation import SECRET_VARIABLES


def withhold_secrets(environ: MutableMapping[str, str]) -> None:
    """Remove credentials from ``environ`` (os.environ) before any worker is started: workers
    inherit this process's environment. (entrypoint.py keeps them out of the initial
    environment too, isolation.take_secrets.)"""
    for name in SECRET_VARIABLES:
        environ.pop(name, None)


class ActionInputs:
    """The runner's ``INPUT_*`` variables by kebab-case input name; remembers what was read,
    so a test can hold the code to action.yml's declared inputs."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._values = {
            key[len("INPUT_") :].lower(): value
            for key, value in env.items()
            if key.startswith("INPUT_")
        }
        self.read: set[str] = set()

    def get(self, name: str) -> str | None:
        self.read.add(name)
        value = self._values.get(name, "").strip()
        return value or None


def _label(name: str) -> str:
    return f"input {name}"


# Inputs naming files: given means given, even when the file says what the default says.
_PATH_INPUTS = frozenset({"policy", "representative-data"})


def equivalent_command(values: Mapping[str, str | None]) -> str:
    """The shortest ``hub-convert convert`` command line that means what the inputs mean.

    The runner passes every input, defaults included; an input whose value means the
    default is left out, so the report's "reproduce" line shows only what was chosen.
    """
    model = values.get("model") or ""
    baseline = build_config({"model": model}, label=_label, command="")
    argv = ["hub-convert", "convert", model, "--output-dir", str(baseline.output_dir)]
    for name in CONVERT_OPTIONS:
        value = values.get(name)
        if name == "model" or value is None:
            continue
        if name not in _PATH_INPUTS:
            alone = build_config({"model": model, name: value}, label=_label, command="")
            if alone == baseline:
                continue
        if name == "output-dir":
            argv[-1] = value
        elif name in ("allow-flex", "allow-unsafe", "allow-unsafe-ops"):
            wanted = parse_bool(value, _label(name), default=False)
            argv.append(f"--{name}" if wanted else f"--no-{name}")
        elif name == "input-shape":
            for shape in value.split():
                argv += ["--input-shape", shape]
        else:
            argv += [f"--{name}", value]
    return shlex.join(argv)


COMPARE_MODES = ("auto", "never")


@dataclass(frozen=True)
class ActionRun:
    """Every input, validated."""

    config: ConvertConfig
    settings: PublishSettings
    debug: bool
    compare: str = "auto"
    models: tuple[str, ...] = ()
    """The ``models`` input's paths and globs; empty: the single ``model``."""
    values: Mapping[str, str | None] = field(default_factory=dict)
    """The convert inputs as given, for each model's own reproduce command."""


def parse_inputs(inputs: ActionInputs) -> ActionRun:
    """Validate every input before any work starts (BadInputError on the first bad one)."""
    convert_values = {name: inputs.get(name) for name in CONVERT_OPTIONS}
    models = tuple(
        line.strip() for line in (inputs.get("models") or "").splitlines() if line.strip()
    )
    if models and convert_values["model"]:
        raise BadInputError(
            "input models: give either model (one model) or models (several), not both"
        )
    if models:  # every other input is checked with the first model standing in
        convert_values["model"] = models[0]
    config = build_config(convert_values, label=_label, command=equivalent_command(convert_values))
    settings = PublishSettings.from_values(
        {name: inputs.get(name) for name in PUBLISH_OPTIONS},
        label=_label,
        token=inputs.get("github-token"),
        upload_artifact_default=True,
    )
    debug = parse_bool(inputs.get("debug"), _label("debug"), default=False)
    compare = parse_choice(inputs.get("compare"), COMPARE_MODES, _label("compare"), default="auto")
    return ActionRun(config, settings, debug, compare, models, convert_values)


def _convert(
    parsed: ActionRun,
    context: GitHubContext,
    workspace: Path,
    env: Mapping[str, str],
    commands: WorkflowCommands,
) -> Report:
    """The conversion; on a pull request (``compare: auto``) with the base commit's model too."""
    from ..run.pipeline import run

    config, debug = parsed.config, parsed.debug
    if parsed.compare == "never":
        return run(config, commands.info, debug=debug)
    from ..run.base_run import default_cache, run_with_base
    from ..run.git_base import pull_request_base

    with tempfile.TemporaryDirectory(prefix="hub-convert-base-") as scratch:
        base = pull_request_base(context, workspace, config.model, Path(scratch), commands.info)
        if base is None:
            return run(config, commands.info, debug=debug)
        if base.reason:
            commands.notice(f"not compared with the base: {base.reason}")
        cache = default_cache(env)
        return run_with_base(config, base, commands.info, cache=cache, debug=debug)


def main(env: Mapping[str, str], stream: TextIO | None = None) -> int:
    """Run the Action. Exit code: 0 passed, 1 policy or publishing failed, 2 bad input."""
    out = stream or sys.stdout
    env = dict(env)  # our copy keeps the token for publishing; os.environ loses it below
    withhold_secrets(os.environ)
    commands = WorkflowCommands.from_env(env, out)
    inputs = ActionInputs(env)
    commands.add_mask(inputs.get("github-token"))
    # Read on its own first, so that --debug shows a traceback even for a bad input.
    debug = (inputs.get("debug") or "").lower() in ("true", "yes", "on", "1")
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
        if parsed.models:
            from .several_models import run_models

            return run_models(parsed, context, workspace, env, commands)
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
    commands.info(
        ("PASSED: " if report.verdict.passed else "FAILED: ")
        + report.verdict.line
        + f" (reproduce: {shlex.quote(config.command)})"
    )
    if not report.verdict.passed:
        return 1
    return 0 if result.ok else 1
