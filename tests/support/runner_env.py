"""The environment the GitHub runner gives the Action's step, and entrypoint.py started in it.

One place for the runner's variables: ``workflow_env`` (the GITHUB_* variables every step of
the job sees), ``input_env`` (each input of action.yml as ``INPUT_<NAME>``, defaults
included), ``pull_request_event`` (the event payload) and ``parse_output_file`` (how the runner
reads GITHUB_OUTPUT back). The fake GitHub's publishing helper and the image tests build on them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from support.paths import ROOT

REPOSITORY = "octo/models"


# Defaults from action.yml: the runner passes every declared input, defaults included.
def action_defaults() -> dict[str, str]:
    """action.yml's input defaults, except those the runner fills from expressions."""
    import yaml

    spec = yaml.safe_load((ROOT / "action.yml").read_text())
    return {
        name: str(meta.get("default", ""))
        for name, meta in spec["inputs"].items()
        if not str(meta.get("default", "")).startswith("${{")
    }


def input_env(inputs: dict[str, str]) -> dict[str, str]:
    """``inputs`` over action.yml's defaults, as the runner passes them: ``INPUT_<NAME>``,
    upper-cased, dashes kept (``INPUT_OUTPUT-DIR``)."""
    merged = action_defaults() | inputs
    return {f"INPUT_{name.upper()}": value for name, value in merged.items()}


def workflow_env(
    *,
    workspace: str,
    event_name: str,
    event_path: str,
    output_file: str,
    summary_file: str,
    api_url: str,
    server_url: str,
) -> dict[str, str]:
    """The GITHUB_* variables the runner sets for every step of run 4242's job ``convert`` in
    octo/models (paths as the step sees them: on the host, or mounted in a container)."""
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": workspace,
        "GITHUB_OUTPUT": output_file,
        "GITHUB_STEP_SUMMARY": summary_file,
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": event_path,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_SERVER_URL": server_url,
        "GITHUB_API_URL": api_url,
        "GITHUB_RUN_ID": "4242",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_JOB": "convert",
    }


@dataclass
class ActionRun:
    """What one run of the Action's step left: exit code, log, step outputs, step summary."""

    exit_code: int
    log: str
    outputs: dict[str, str]
    summary: str


def parse_output_file(text: str) -> dict[str, str]:
    """Read GITHUB_OUTPUT as the runner does: ``name<<DELIM`` blocks and ``name=value`` lines."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        heredoc = re.match(r"^([^=<]+)<<(.+)$", line)
        if heredoc:
            name, delimiter = heredoc.groups()
            end = lines.index(delimiter, i + 1)
            outputs[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
            continue
        if "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
        i += 1
    return outputs


def run_action(
    workspace: Path,
    inputs: dict[str, str],
    *,
    event_name: str = "push",
    event: dict[str, object] | None = None,
    extra_env: dict[str, str] | None = None,
) -> ActionRun:
    """Run entrypoint.py in ``workspace`` as the runner runs the Action's step, with
    ``inputs`` over action.yml's defaults (GITHUB_API_URL is api.github.com unless
    ``extra_env`` says otherwise)."""
    runner_temp = workspace.parent / "runner_temp"
    runner_temp.mkdir(exist_ok=True)
    output_file = runner_temp / "output.txt"
    summary_file = runner_temp / "summary.md"
    event_file = runner_temp / "event.json"
    for path in (output_file, summary_file):
        path.write_text("")
    event_file.write_text(json.dumps(event or {}))
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(runner_temp),
        "CI": "true",
        **workflow_env(
            workspace=str(workspace),
            event_name=event_name,
            event_path=str(event_file),
            output_file=str(output_file),
            summary_file=str(summary_file),
            api_url="https://api.github.com",
            server_url="https://github.com",
        ),
        "GITHUB_ACTION": "__org_hub-convert-action",
        "RUNNER_TEMP": str(runner_temp),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        **input_env(inputs),
    }
    env.update(extra_env or {})
    done = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py")],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return ActionRun(
        exit_code=done.returncode,
        log=done.stdout + done.stderr,
        outputs=parse_output_file(output_file.read_text()),
        summary=summary_file.read_text(),
    )


def pull_request_event(number: int) -> dict[str, object]:
    """The shape of a real `pull_request` (synchronize) webhook payload, trimmed."""
    repo = {
        "id": 1,
        "name": "models",
        "full_name": "octo/models",
        "private": False,
        "owner": {"login": "octo", "type": "Organization"},
    }
    return {
        "action": "synchronize",
        "number": number,
        "pull_request": {
            "number": number,
            "state": "open",
            "title": "Retrain classifier",
            "user": {"login": "contributor"},
            "head": {"ref": "retrain", "sha": "a" * 40, "repo": repo},
            "base": {"ref": "main", "sha": "b" * 40, "repo": repo},
            "html_url": f"https://github.com/octo/models/pull/{number}",
        },
        "repository": repo,
        "sender": {"login": "contributor"},
    }
