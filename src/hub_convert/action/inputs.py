"""The Action's inputs: the runner's ``INPUT_*`` variables read, validated into a ConvertConfig
and PublishSettings through the same parsers as the CLI's options (config.py,
github/settings.py), and the CLI command that means the same (the report's "reproduce" line).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BadInputError
from ..github.settings import PUBLISH_OPTIONS, PublishSettings
from ..parsing import parse_bool, parse_choice
from ..run.config import CONVERT_OPTIONS, ConvertConfig, build_config
from ..sources.hub import is_handle
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
        """The input's stripped value, or None when it is blank or not given."""
        self.read.add(name)
        value = self._values.get(name, "").strip()
        return value or None


def label(name: str) -> str:
    """How messages name an input: ``input samples``."""
    return f"input {name}"


def check_inside_workspace(model: str, workspace: Path, name: str) -> None:
    """Refuse a model path that leaves the workspace, by ``..`` or through a symbolic link
    (BadInputError naming input ``name``): in the Action the workspace is what the pull
    request brought, and nothing outside it is the pull request's to convert or publish.
    A Hub handle is not a path."""
    if is_handle(model):
        return
    root = workspace.resolve()
    where = (workspace / model).resolve()
    if not where.is_relative_to(root):
        raise BadInputError(
            f"{label(name)}: {model} resolves to {where}, outside the workspace {root}; give "
            "a path inside it"
        )


def debug_requested(inputs: ActionInputs) -> bool:
    """The ``debug`` input, read before the others and never refused, so that a traceback is
    shown even when another input (or this one) is bad."""
    try:
        return parse_bool(inputs.get("debug"), label("debug"), default=False)
    except BadInputError:
        return False


# Inputs naming files: given means given, even when the file says what the default says.
_PATH_INPUTS = frozenset({"policy", "representative-data"})


def equivalent_command(values: Mapping[str, str | None]) -> str:
    """The shortest ``hub-convert convert`` command line that means what the inputs mean.

    The runner passes every input, defaults included; an input whose value means the
    default is left out, so the report's "reproduce" line shows only what was chosen.
    """
    model = values.get("model") or ""
    baseline = build_config({"model": model}, label=label, command="")
    argv = ["hub-convert", "convert", model, "--output-dir", str(baseline.output_dir)]
    for name in CONVERT_OPTIONS:
        value = values.get(name)
        if name == "model" or value is None:
            continue
        if name not in _PATH_INPUTS:
            alone = build_config({"model": model, name: value}, label=label, command="")
            if alone == baseline:
                continue
        if name == "output-dir":
            argv[-1] = value
        elif name in ("allow-flex", "allow-unsafe", "allow-unsafe-ops", "explain"):
            wanted = parse_bool(value, label(name), default=False)
            argv.append(f"--{name}" if wanted else f"--no-{name}")
        elif name == "input-shape":
            for shape in value.split():
                argv += ["--input-shape", shape]
        else:
            argv += [f"--{name}", value]
    return shlex.join(argv)


def model_config(values: Mapping[str, str | None]) -> ConvertConfig:
    """The ConvertConfig of the convert inputs ``values``, reproduced by their equivalent
    command (BadInputError on the first bad one)."""
    return build_config(values, label=label, command=equivalent_command(values))


COMPARE_MODES = ("auto", "never")
# plan: only list the models a matrix of convert jobs covers (action/plan_mode.py).
ACTION_MODES = ("convert", "plan")


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
    mode: str = "convert"


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
    config = model_config(convert_values)
    settings = PublishSettings.from_values(
        {name: inputs.get(name) for name in PUBLISH_OPTIONS},
        label=label,
        token=inputs.get("github-token"),
        upload_artifact_default=True,
    )
    debug = parse_bool(inputs.get("debug"), label("debug"), default=False)
    compare = parse_choice(inputs.get("compare"), COMPARE_MODES, label("compare"), default="auto")
    mode = parse_choice(inputs.get("mode"), ACTION_MODES, label("mode"), default="convert")
    if mode == "plan" and not models:
        raise BadInputError("input mode: plan lists the models input's models; give models")
    return ActionRun(config, settings, debug, compare, models, convert_values, mode)
