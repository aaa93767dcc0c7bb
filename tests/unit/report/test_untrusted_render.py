"""A hostile report.json renders to Markdown with nothing live, checked by a real GFM renderer.

Every string field of the crafted report carries backticks, fences, raw HTML, another model's
sticky marker, mentions, references and links (crafted_report.py). The Markdown is rendered to
HTML by markdown-it-py (markdown_html.py) and must contain: no element or attribute Markdown
did not make itself, no link, no mention / reference / URL in text, every code value in one
whole code span, every text value readable as it was, no ``<!--``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub_convert.errors import BadInputError
from hub_convert.report.artifact import Artifact, Tolerance
from hub_convert.report.limits import MAX_NAME, MAX_TEXT
from hub_convert.report.markdown_safety import (
    ZWJ,
    fenced_block,
    html_text,
    markdown_code,
    markdown_table_code,
    markdown_text,
    one_line,
)
from hub_convert.report.render import render_report
from hub_convert.report.schema import Report
from support.crafted_report import (
    OTHER_MARKER,
    code_values,
    crafted_report_json,
    hostile,
    text_values,
)
from support.markdown_html import LINKIFY, Page, assert_nothing_live, to_html
from support.report_factory import sample_report


@pytest.mark.parametrize("synthetic", [True, False], ids=["synthetic-inputs", "data-file"])
@pytest.mark.parametrize("details", [True, False], ids=["full", "short"])
def test_hostile_report_renders_nothing_live(
    tmp_path: Path, synthetic: bool, details: bool
) -> None:
    report = Report.load(crafted_report_json(tmp_path / "report.json", synthetic=synthetic))

    markdown = render_report(report, details=details)

    page = assert_nothing_live(markdown)
    code = page.code_texts()
    for value in code_values(report, details=details):
        assert one_line(value) in code, f"code span broken for {value[:12]!r}"
    # The reproduce command is one fenced block, its lines intact.
    assert report.command + "\n" in code
    visible = page.visible_text()
    for value in text_values(report, details=details):
        assert one_line(value) in visible, f"text changed for {value[:12]!r}"
    failed = report.artifact("onnx", "float32")
    assert failed is not None and failed.reason is not None
    assert one_line(failed.reason)[:100] in visible  # truncated to 160 characters in the table


def test_a_normal_report_reads_as_before() -> None:
    markdown = render_report(sample_report(passed=False))

    assert "## hub-convert: models/tiny" in markdown
    assert "| `tiny_float32.tflite` (tflite float32) | ✅ passed | 1.00 KiB |" in markdown
    assert "tf2onnx could not convert: Lgamma" in markdown
    assert "Source: **saved\\_model** `models/tiny`, 4.00 KiB on disk" in markdown
    assert "| `x` | float32 | [?, 4] | [1, 4] |" in markdown
    assert "```sh\nhub-convert convert models/tiny --output-dir out\n```" in markdown
    assert ZWJ not in markdown
    assert_nothing_live(markdown)


@pytest.mark.parametrize(
    "value",
    ["`", "``", "a`b", "`a`", " a ", "a ``` b", "x|y", "x\\|y", "\\", "a\\", "<!-- k -->", ""],
)
def test_code_spans_hold_any_value(value: str) -> None:
    inline = Page.of(f"before {markdown_code(value)} after")
    cell = Page.of(f"| h | i |\n|---|---|\n| {markdown_table_code(value)} | after |")

    assert inline.code_texts() == [value or " "]
    assert cell.code_texts() == [value or " "]
    assert "after" in inline.visible_text() and "after" in cell.visible_text()
    assert [tag for tag, _ in cell.tags].count("td") == 2  # the row keeps its two cells


def test_fenced_block_outlasts_fences_in_its_content() -> None:
    content = "run ```\n````\n~~~~~\n```sh\n</details>\n\n" + OTHER_MARKER + "\nend"

    block = fenced_block(content, "sh")

    assert block.startswith("``````sh\n")
    page = Page.of(f"{block}\n\nafter")
    assert page.code_texts() == [content + "\n"]
    assert "after" in page.visible_text() and page.comments == []
    with pytest.raises(ValueError):
        fenced_block("x", "sh`")


def test_summary_text_is_plain_html_text() -> None:
    value = hostile(1)
    markdown = f"<details><summary>{html_text(value)}</summary>\n\nbody\n\n</details>\n"

    page = assert_nothing_live(markdown)

    assert one_line(value) in page.visible_text()
    assert [tag for tag, _ in page.tags] == ["details", "summary", "p"]


@pytest.mark.parametrize(
    "value",
    ["# h", "- item", "+ item", "1. one", "2) two", "> quote", "=====", "---", "    indented"],
)
def test_text_at_a_line_start_opens_no_block(value: str) -> None:
    page = Page.of(f"- {markdown_text(value)}\n\n> {markdown_text(value)}\n")

    nested = [tag for tag, _ in page.tags if tag not in ("ul", "li", "p", "blockquote")]
    assert nested == [] or value.startswith(" ")  # indented: a code block, shown literally
    assert value.strip() in page.visible_text() or value.startswith(" ")


def test_linkify_is_active_in_these_tests() -> None:
    if not LINKIFY:
        pytest.skip("linkify-it-py is not installed: bare URLs are not checked")
    assert "<a href" in to_html("see https://example.org and www.example.org")


def test_vocabulary_outside_the_schema_is_refused(tmp_path: Path) -> None:
    data = json.loads(sample_report().to_json())
    data["artifacts"][0]["variant"] = "<img src=x onerror=alert(1)>"
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data))

    with pytest.raises(BadInputError, match=r"artifacts\.0\.variant"):
        Report.load(path)


def _load_with(tmp_path: Path, change: dict[str, object]) -> Report:
    data = json.loads(sample_report().to_json())
    for where, value in change.items():
        *parents, last = where.split(".")
        node = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[last] = value
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data))
    return Report.load(path)


_LAYER = {
    "node": "n",
    "op": "CONV_2D",
    "relative_error": 0.1,
    "introduced": 0.1,
    "max_abs": 1.0,
    "cosine": 0.9,
    "within_tolerance": False,
}


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("source.path", "p" * 5000, "source.path: Value error, text longer than 4,096"),
        ("artifacts.1.reason", "r" * (MAX_TEXT + 1), "artifacts.1.reason"),
        ("source.inputs.0.name", "n" * (MAX_NAME + 1), "source.inputs.0.name"),
        ("command", "c" * 70_000, "command"),
        ("source.op_counts", {f"Op{i}": 1 for i in range(100_001)}, "source.op_counts"),
        ("validation.warnings", ["w"] * 1001, "validation.warnings"),
        ("artifacts.0.latency_ms", float("inf"), "finite number"),
        ("artifacts.0.size_bytes", -1, "artifacts.0.size_bytes"),
        ("artifacts.0.drift.0.top1_agreement", 3.0, "top1_agreement"),
        ("source.inputs.0.shape", [1] * 65, "source.inputs.0.shape"),
        ("source.extra", "x", "Extra inputs are not permitted"),
        (
            "validation.nondeterminism",
            {"outputs": [{"output": "y", "max_abs": float("nan")}]},
            "nondeterminism.outputs.0.max_abs: Input should be a finite number",
        ),
        (
            "validation.nondeterminism",
            {"outputs": [{"output": "y"}], "random_ops": ["r" * 100_000]},
            "nondeterminism.random_ops.0",
        ),
        ("artifacts.1.device", {"checked_on": ["a.onnx"]}, "device.checked_on"),
        (
            "artifacts.0.mixed_precision",
            {"kept": [_LAYER] * 1000, "tried": 1, "int8_size_bytes": 1},
            "mixed_precision.kept: List should have at most 5 items",
        ),
        ("source.provenance", {"frozen_graph_fixed": {"a": 1}}, "frozen_graph_fixed"),
    ],
)
def test_report_json_limits(tmp_path: Path, where: str, value: object, message: str) -> None:
    with pytest.raises(BadInputError, match="not a hub-convert report") as caught:
        _load_with(tmp_path, {where: value})
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_deeply_nested_json_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(
        sample_report().to_json()[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    )

    with pytest.raises(BadInputError, match="not a hub-convert report") as caught:
        Report.load(path)
    assert "\n" not in str(caught.value)


def test_limits_are_generous_for_real_reports(tmp_path: Path) -> None:
    ops = {f"Namespace/SomeVeryLongCustomOperation{i:05d}": i for i in range(20_000)}
    nodes = [f"model/block_{i}/conv/Conv2D" for i in range(50_000)]
    report = _load_with(
        tmp_path,
        {
            "source.op_counts": ops,
            "artifacts.1.reason": "error line\n" * 1400,
            "artifacts.1.coverage.unsupported_ops": [{"op": "Lgamma", "nodes": nodes}],
        },
    )

    assert len(report.source.op_counts) == 20_000


def test_the_producer_cuts_long_texts_instead_of_failing() -> None:
    artifact = Artifact(
        target="onnx",
        variant="float32",
        status="failed",
        reason="tf2onnx failed: " + "x" * 100_000,
        tolerance=Tolerance(),
    )

    assert artifact.reason is not None and len(artifact.reason) == MAX_TEXT
    assert artifact.reason.endswith("… (truncated)")


def test_a_location_key_from_the_file_stays_on_one_line(tmp_path: Path) -> None:
    key = "Op\n::add-mask::x\r" + "k" * 300
    with pytest.raises(BadInputError) as caught:
        _load_with(tmp_path, {"source.op_counts": {key: "many"}})

    message = str(caught.value)
    assert "\n" not in message and "\r" not in message and len(message) < 500
