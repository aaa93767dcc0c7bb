"""action.yml is the Action's contract: the code reads exactly its inputs, writes exactly its
outputs, uses its defaults, and the documentation's tables list the same names. No TensorFlow."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from hub_convert.action.inputs import ActionInputs, parse_inputs
from hub_convert.github.step_outputs import report_outputs
from support.github_fakes import FakeGitHub, publish_to_fake
from support.report_factory import sample_report

ROOT = Path(__file__).resolve().parents[2]


def action_spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
    return spec


def readme_table_names(heading: str) -> set[str]:
    """The backticked names in the first column of the table under ``## heading`` in the
    Action's documentation (docs/action.md; the README points there)."""
    text = (ROOT / "docs/action.md").read_text()
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n#", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([a-z0-9-]+)`", line.split("|")[1]))
    return names


def test_the_code_reads_every_declared_input_and_nothing_else() -> None:
    declared = set(action_spec()["inputs"])
    inputs = ActionInputs({"INPUT_MODEL": "model"})

    parse_inputs(inputs)

    assert inputs.read - declared == set(), "read but not declared in action.yml"
    assert declared - inputs.read == set(), "declared in action.yml but never read"


def test_action_yml_defaults_mean_what_no_input_means() -> None:
    # The runner passes every declared default; the code's own defaults must agree with them,
    # or a local run and a workflow run of the same inputs would differ.
    defaults = {
        f"INPUT_{name.upper()}": str(meta["default"])
        for name, meta in action_spec()["inputs"].items()
        if "default" in meta and not str(meta["default"]).startswith("${{")
    }
    with_defaults = parse_inputs(ActionInputs({"INPUT_MODEL": "model", **defaults}))
    without = parse_inputs(ActionInputs({"INPUT_MODEL": "model"}))

    assert with_defaults.config == without.config
    assert with_defaults.settings == without.settings
    assert with_defaults.debug == without.debug


def test_the_action_writes_every_declared_output_and_nothing_else(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    # What action.main writes: the report's outputs, then publish()'s.
    report = sample_report()
    published = publish_to_fake(fake, tmp_path, report)
    written = set(published.outputs) | set(report_outputs(report, tmp_path / "out"))

    # mode: plan writes only these two (tests/unit/action/test_plan_mode.py).
    assert written | {"matrix", "count"} == set(action_spec()["outputs"])


@pytest.mark.parametrize(("heading", "key"), [("Inputs", "inputs"), ("Outputs", "outputs")])
def test_readme_tables_list_the_declared_names(heading: str, key: str) -> None:
    assert readme_table_names(heading) == set(action_spec()[key])
