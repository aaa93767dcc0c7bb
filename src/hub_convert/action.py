"""The GitHub Action entry: runner environment in, outputs / summary / comment out.

The runner passes each input as ``INPUT_<NAME>`` upper-cased with dashes kept
(``INPUT_OUTPUT-DIR``), mounts the workspace at ``GITHUB_WORKSPACE`` and starts the
container there. Inputs are turned into the same ``convert`` arguments the CLI takes, so
the report's "reproduce" command is one a user can paste.
"""

from __future__ import annotations

import os
import shlex
import sys
import traceback
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import TextIO

from .cli import build_parser, config_from_args
from .config import ConvertConfig
from .errors import BadInputError, HubConvertError
from .github.context import GitHubContext
from .github.ownership import chown_like_workspace
from .github.report_outputs import annotate_report, report_outputs
from .github.workflow_commands import WorkflowCommands
from .publish import PublishSettings, publish

# Inputs mapped one-to-one onto ``hub-convert convert`` options.
CONVERT_OPTIONS = (
    "source-kind",
    "targets",
    "tflite-variants",
    "onnx-variants",
    "int8-io",
    "onnx-float16-io",
    "representative-data",
    "calibration-samples",
    "latency-runs",
    "policy",
    "signature",
    "tags",
    "samples",
    "seed",
    "opset",
    "max-drift",
    "fail-on",
    "timeout",
)


# Credentials the runner hands the container. The conversion runs model code in worker
# processes, which inherit this process's environment: they never need these.
SECRET_VARIABLES = (
    "INPUT_GITHUB-TOKEN",
    "GITHUB_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
)


def withhold_secrets(environ: MutableMapping[str, str]) -> None:
    """Remove credentials from ``environ`` (os.environ) before any worker is started."""
    for name in SECRET_VARIABLES:
        environ.pop(name, None)


def action_inputs(env: Mapping[str, str]) -> dict[str, str]:
    """All ``INPUT_*`` variables as kebab-case input names (the runner upper-cases them)."""
    return {
        key[len("INPUT_") :].lower(): value
        for key, value in env.items()
        if key.startswith("INPUT_")
    }


def _bad_input(name: str, problem: str) -> BadInputError:
    return BadInputError(f"input {name}: {problem}")


def convert_argv(inputs: Mapping[str, str]) -> list[str]:
    """The ``hub-convert convert`` arguments equivalent to the action inputs."""
    model = inputs.get("model", "").strip()
    if not model:
        raise _bad_input("model", "is required; set `with: model: path/to/saved_model`")
    argv = [
        "convert",
        model,
        "--output-dir",
        inputs.get("output-dir", "").strip() or "hub-convert-out",
    ]
    for name in CONVERT_OPTIONS:
        value = inputs.get(name, "")
        # tags: an explicit empty value is meaningless in YAML, so empty means "default".
        if value.strip():
            argv += [f"--{name}", value.strip()]
    for shape in inputs.get("input-shape", "").split():
        argv += ["--input-shape", shape]
    if not _boolean_input(inputs, "allow-flex", default=True):
        argv.append("--no-allow-flex")
    if _boolean_input(inputs, "allow-unsafe", default=False):
        argv.append("--allow-unsafe")
    return argv


def _boolean_input(inputs: Mapping[str, str], name: str, *, default: bool) -> bool:
    value = inputs.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    raise _bad_input(name, f"expected true or false, got {value!r}")


def parse_inputs(inputs: Mapping[str, str]) -> tuple[ConvertConfig, PublishSettings]:
    """Validate every input before any work starts (BadInputError on the first bad one)."""
    argv = convert_argv(inputs)
    config = config_from_args(build_parser().parse_args(argv), argv)
    return config, PublishSettings.from_inputs(inputs)


def main(env: Mapping[str, str], stream: TextIO | None = None) -> int:
    """Run the Action. Exit code: 0 passed, 1 policy or publishing failed, 2 bad input."""
    out = stream or sys.stdout
    env = dict(env)  # our copy keeps the token for publishing; os.environ loses it below
    withhold_secrets(os.environ)
    commands = WorkflowCommands.from_env(env, out)
    inputs = action_inputs(env)
    commands.add_mask(inputs.get("github-token"))
    debug = inputs.get("debug", "").strip().lower() == "true"
    workspace = Path(env.get("GITHUB_WORKSPACE") or os.getcwd())
    try:
        # Relative paths in inputs are relative to the workspace, as in any other step.
        os.chdir(workspace)
        # The runner mounts ${{ runner.temp }}/_github_home at $HOME (/github/home) in every
        # container action: a TF Hub cache there can be kept with actions/cache.
        os.environ.setdefault(
            "TFHUB_CACHE_DIR", str(Path(env.get("HOME") or "/github/home") / "tfhub_modules")
        )
        config, settings = parse_inputs(inputs)
        with commands.group(f"Convert {config.model}"):
            from .pipeline import run

            report = run(config, commands.info, debug=debug)
    except HubConvertError as exc:
        if debug:
            traceback.print_exc(file=out)
        commands.error(str(exc))
        return exc.exit_code
    try:
        annotate_report(report, commands)
        commands.set_outputs(report_outputs(report, config.output_dir))
        # publish() opens a log group per stage itself; GitHub does not nest groups.
        result = publish(report, config.output_dir, settings, GitHubContext.from_env(env), commands)
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
