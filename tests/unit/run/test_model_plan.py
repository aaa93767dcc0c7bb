"""hub-convert plan: the models a matrix of convert jobs covers, changed ones only with a base."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from hub_convert.cli import main


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git(tmp_path, "init", "-q")
    for name in ("classifier", "detector", "mobilenet_v2"):
        (tmp_path / "models" / name).mkdir(parents=True)
        (tmp_path / "models" / name / "saved_model.pb").write_text(name)
    git(tmp_path, "add", ".")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "base")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def planned(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, str]]:
    assert main(["plan", *argv]) == 0
    matrix: dict[str, list[dict[str, str]]] = json.loads(capsys.readouterr().out)
    return matrix["include"]


def test_every_model_with_the_names_the_models_input_uses(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert planned(capsys, "--models", "models/*") == [
        {"model": "models/classifier", "name": "models_classifier"},
        {"model": "models/detector", "name": "models_detector"},
        {"model": "models/mobilenet_v2", "name": "models_mobilenet_v2"},
    ]


def test_with_a_base_only_changed_and_new_models_and_the_step_outputs(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "models/detector/saved_model.pb").write_text("changed")
    (repo / "models/new").mkdir()
    (repo / "models/new/model.keras").write_text("new, untracked")
    outputs = repo.parent / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    entries = planned(capsys, "--models", "models/*", "--base-ref", "HEAD")
    assert [e["model"] for e in entries] == ["models/detector", "models/new"]
    lines = outputs.read_text().splitlines()
    assert lines[0] == "matrix=" + json.dumps({"include": entries}, separators=(",", ":"))
    assert lines[1] == "count=2"


def test_a_bad_base_is_one_line_and_exit_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--models", "models/*", "--base-ref", "no-such-ref"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("hub-convert: error: --base-ref no-such-ref:")
