"""The Action with mode: plan, run by the entrypoint as the runner runs it: the models of the
models input as the outputs matrix and count; on a pull request only those changed since its
base commit. Nothing converted, no TensorFlow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support.git_repos import commit_all, git
from support.runner_env import pull_request_event, run_action


def workspace_with_models(tmp_path: Path) -> tuple[Path, str]:
    workspace = tmp_path / "workspace"
    for name in ("classifier", "detector", "segmenter"):
        (workspace / "models" / name).mkdir(parents=True)
        (workspace / "models" / name / "saved_model.pb").write_text(name)
    git(workspace.parent, "init", "-q", str(workspace))
    return workspace, commit_all(workspace, "base")


def matrix(outputs: dict[str, str]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(outputs["matrix"])["include"]
    assert outputs["count"] == str(len(entries))
    return entries


def test_on_a_push_every_model_is_planned(tmp_path: Path) -> None:
    workspace, _ = workspace_with_models(tmp_path)
    run = run_action(workspace, {"mode": "plan", "models": "models/*"})
    assert run.exit_code == 0, run.log
    assert [e["name"] for e in matrix(run.outputs)] == [
        "models_classifier",
        "models_detector",
        "models_segmenter",
    ]
    assert set(run.outputs) == {"matrix", "count"}
    assert "Traceback" not in run.log


def test_on_a_pull_request_only_the_changed_models(tmp_path: Path) -> None:
    workspace, base = workspace_with_models(tmp_path)
    (workspace / "models/detector/saved_model.pb").write_text("retrained")
    commit_all(workspace, "retrain the detector")
    event = pull_request_event(7)
    event["pull_request"]["base"]["sha"] = base  # type: ignore[index]
    run = run_action(
        workspace,
        {"mode": "plan", "models": "models/*"},
        event_name="pull_request",
        event=event,
    )
    assert run.exit_code == 0, run.log
    assert matrix(run.outputs) == [{"model": "models/detector", "name": "models_detector"}]


def test_plan_needs_the_models_input(tmp_path: Path) -> None:
    workspace, _ = workspace_with_models(tmp_path)
    run = run_action(workspace, {"mode": "plan", "model": "models/classifier"})
    assert run.exit_code == 2
    assert "input mode: plan lists the models input's models; give models" in run.log
