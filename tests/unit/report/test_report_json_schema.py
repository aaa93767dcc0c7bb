"""report.schema.json: committed, equal to what the models generate, and true of real reports."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from hub_convert.report.json_schema import report_json_schema, schema_text
from support.crafted_report import crafted_report_json
from support.report_factory import sample_report

ROOT = Path(__file__).resolve().parents[3]


def test_the_committed_schema_is_the_generated_one() -> None:
    committed = (ROOT / "report.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "report.schema.json is stale: run `make schema`"


def test_reports_this_version_writes_validate_against_it(tmp_path: Path) -> None:
    schema = report_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for passed in (True, False):
        validator.validate(json.loads(sample_report(passed=passed).model_dump_json()))
    # The richest report the tests build: every optional section filled.
    validator.validate(json.loads(crafted_report_json(tmp_path / "report.json").read_text()))


def test_an_unknown_field_is_refused_as_the_models_refuse_it() -> None:
    validator = jsonschema.Draft202012Validator(report_json_schema())
    document = json.loads(sample_report().model_dump_json())
    document["surprise"] = 1
    assert not validator.is_valid(document)
