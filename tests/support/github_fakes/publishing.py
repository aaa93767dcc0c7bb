"""Publishing against the fake as the Action does: an output directory, the runner's
environment pointed at the fake, retries that do not wait, and what publish() left behind."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub_convert.github.context import GitHubContext
from hub_convert.github.publish_result import PublishResult
from hub_convert.github.publisher import publish
from hub_convert.github.retry import RetryPolicy
from hub_convert.github.settings import PublishSettings
from hub_convert.github.workflow_commands import WorkflowCommands
from hub_convert.report.render import render_report
from hub_convert.report.schema import Report
from support.runner_env import workflow_env

from .records import runtime_token
from .server import FakeGitHub


class Sleeps(list[float]):
    """Records the delays a RetryPolicy asked for, instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def fast_retry(sleeps: Sleeps | None = None, attempts: int = 4) -> RetryPolicy:
    """Retries without waiting (delays recorded) and without PyGithub's write pacing."""
    return RetryPolicy(
        attempts=attempts,
        base_delay=1.0,
        jitter=0.0,
        write_interval=0.0,
        sleep=sleeps if sleeps is not None else Sleeps(),
    )


def write_report_dir(root: Path, report: Report, *, model_files: bool = True) -> Path:
    """An output directory as `hub-convert convert` leaves it: report.json plus model files."""
    out = root / "out"
    out.mkdir(parents=True, exist_ok=True)
    for artifact in report.artifacts:
        if model_files and artifact.path and artifact.status != "failed":
            (out / Path(artifact.path).name).write_bytes(
                f"{artifact.target}-{artifact.variant}-".encode() * 64
            )
    (out / "report.json").write_text(report.to_json(), encoding="utf-8")
    (out / "report.md").write_text(render_report(report), encoding="utf-8")
    return out


def runner_env(
    fake: FakeGitHub,
    root: Path,
    *,
    event_name: str = "pull_request",
    payload: dict[str, Any] | None = None,
    runtime: bool = False,
    extra_env: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment the runner gives a container action, pointed at the fake (the event
    payload written to ``root/event.json``)."""
    event = root / "event.json"
    if payload is None and event_name == "pull_request":
        payload = {"pull_request": {"number": 7}, "number": 7}
    event.write_text(json.dumps(payload or {}), encoding="utf-8")
    env = {
        **workflow_env(
            workspace=str(root),
            event_name=event_name,
            event_path=str(event),
            output_file=str(root / "github_output"),
            summary_file=str(root / "step_summary.md"),
            api_url=fake.base_url,
            server_url="https://github.example",
        ),
        "GITHUB_ACTION": "__org_hub-convert-action",
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": "X64",
        "GITHUB_TOKEN": fake.token,
    }
    if runtime:
        env["ACTIONS_RUNTIME_TOKEN"] = runtime_token()
        env["ACTIONS_RESULTS_URL"] = fake.base_url + "/"
    return env | (extra_env or {})


def read_outputs(path: Path) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT file written in the name<<DELIMITER form."""
    outputs: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines) and lines[i]:
        name, delimiter = lines[i].split("<<", 1)
        end = lines.index(delimiter, i + 1)
        outputs[name] = "\n".join(lines[i + 1 : end])
        i = end + 1
    return outputs


@dataclass
class Published:
    """What one publish() run left behind: its result, log, outputs and step summary."""

    result: PublishResult
    log: str
    outputs: dict[str, str]
    summary: str


def publish_to_fake(
    fake: FakeGitHub,
    root: Path,
    report: Report,
    *,
    sleeps: Sleeps | None = None,
    event_name: str = "pull_request",
    payload: dict[str, Any] | None = None,
    runtime: bool = False,
    model_files: bool = True,
    extra_env: dict[str, str] | None = None,
    **settings: Any,
) -> Published:
    """Run publish() for ``report`` as the action would, against ``fake``."""
    out = write_report_dir(root, report, model_files=model_files)
    env = runner_env(
        fake, root, event_name=event_name, payload=payload, runtime=runtime, extra_env=extra_env
    )
    log = io.StringIO()
    commands = WorkflowCommands.from_env(env, stream=log)
    options = PublishSettings(token=fake.token, retry=fast_retry(sleeps), **settings)
    result = publish(report, out, options, GitHubContext.from_env(env), commands)
    output_file, summary_file = Path(env["GITHUB_OUTPUT"]), Path(env["GITHUB_STEP_SUMMARY"])
    return Published(
        result,
        log.getvalue(),
        read_outputs(output_file) if output_file.exists() else {},
        summary_file.read_text(encoding="utf-8") if summary_file.exists() else "",
    )
