"""execute.py, the run spine: the report files written once, by it, after the comparison is
added; the pipeline itself stands in (no TensorFlow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub_convert.report.render import render_report
from hub_convert.report.schema import Report
from hub_convert.run import execute as spine
from hub_convert.run.base_run import Base
from hub_convert.run.config import ConvertConfig, build_config
from support.report_factory import sample_report


def _config(tmp_path: Path) -> ConvertConfig:
    model = tmp_path / "model"
    model.mkdir()
    (model / "saved_model.pb").write_bytes(b"head")
    values = {"model": str(model), "output-dir": str(tmp_path / "out")}
    return build_config(values, label=lambda name: f"--{name}", command="")


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[ConvertConfig]:
    """The pipeline replaced by one that returns a sample report; the configs it ran."""
    seen: list[ConvertConfig] = []

    def run(config: ConvertConfig, log: object, **_: object) -> Report:
        seen.append(config)
        config.output_dir.mkdir(parents=True, exist_ok=True)
        return sample_report()

    monkeypatch.setattr(spine, "run", run)
    return seen


def test_without_a_base_the_report_files_are_the_runs_report(
    tmp_path: Path, runs: list[ConvertConfig]
) -> None:
    config = _config(tmp_path)
    report = spine.execute(config, lambda line: None)
    assert runs == [config]
    assert (config.output_dir / "report.json").read_text() == report.to_json()
    assert (config.output_dir / "report.md").read_text() == render_report(report)
    assert report.comparison is None


@pytest.mark.parametrize(
    ("base", "status", "reason"),
    [
        (Base(model=None, label="main"), "new", None),
        (Base(model=None, label="main", reason="no git"), "not-compared", "no git"),
    ],
)
def test_with_a_base_the_written_report_carries_the_comparison(
    tmp_path: Path, runs: list[ConvertConfig], base: Base, status: str, reason: str | None
) -> None:
    config = _config(tmp_path)
    report = spine.execute(config, lambda line: None, base=base)
    written = json.loads((config.output_dir / "report.json").read_text())
    assert written == json.loads(report.to_json())
    assert written["comparison"]["status"] == status
    assert written["comparison"].get("reason") == reason
    assert written["comparison"]["base"] == "main"


def test_a_base_with_the_same_files_is_not_converted(
    tmp_path: Path, runs: list[ConvertConfig]
) -> None:
    config = _config(tmp_path)
    lines: list[str] = []
    base = Base(model=config.model, label="main")
    report = spine.execute(config, lines.append, base=base)
    assert runs == [config]  # the head only
    assert report.comparison is not None and report.comparison.status == "unchanged"
    assert lines == ["the model's files are the same as at main: not converting the base"]


def test_verdict_line() -> None:
    assert spine.verdict_line(sample_report()).startswith("PASSED: ")
    assert spine.verdict_line(sample_report(passed=False)).startswith("FAILED: ")
