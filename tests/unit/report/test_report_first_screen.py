"""The part of report.md a reviewer scans: one short row per artifact with each tolerance rule
stated once below the table, and op coverage as a compact table with the full lists collapsed."""

from __future__ import annotations

from hub_convert.report.artifact import OpCoverage
from hub_convert.report.render import render_report
from hub_convert.report.summary import coverage_rows, tolerance_rules
from support.report_factory import sample_report


def first_table(markdown: str) -> list[str]:
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| artifact | status"))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return lines[start + 2 : end]


def test_each_artifact_is_one_short_row_pointing_at_its_rule() -> None:
    report = sample_report(passed=True)
    markdown = render_report(report)
    rows = first_table(markdown)
    assert len(rows) == len(report.artifacts)
    for row in rows:
        assert len(row) < 200, row
        assert "max abs ≤" not in row  # the rule itself is below, once
        assert row.rstrip(" |").count("¹") <= 1
    (rule,) = tolerance_rules(report)
    assert rule.artifacts == ("tflite float32", "onnx float32")
    assert markdown.count(f"- ¹ tflite float32, onnx float32: {rule.rule}") == 1


def test_distinct_rules_get_distinct_markers() -> None:
    report = sample_report(passed=True)
    onnx = report.artifact("onnx", "float32")
    assert onnx is not None
    onnx.tolerance = onnx.tolerance.model_copy(update={"max_abs": 5e-3})
    markers = [rule.marker for rule in tolerance_rules(report)]
    assert markers == ["¹", "²"]
    rows = first_table(render_report(report))
    assert rows[0].endswith("¹ | — | — |") and rows[1].endswith("² | — | — |"), rows


def test_op_coverage_is_one_row_per_file_naming_what_a_variant_adds() -> None:
    report = sample_report(passed=True)
    tflite = report.artifact("tflite", "float32")
    assert tflite is not None and tflite.coverage is not None
    float16 = tflite.model_copy(
        update={
            "variant": "float16",
            "coverage": OpCoverage(
                converted_ops=tflite.coverage.converted_ops,
                output_op_counts={**tflite.coverage.output_op_counts, "DEQUANTIZE": 3},
            ),
        }
    )
    report.artifacts.insert(1, float16)
    rows = {row.artifact: row for row in coverage_rows(report)}
    assert rows["tflite float16"].added_ops == ("DEQUANTIZE",)
    assert rows["tflite float32"].added_ops == ()
    assert rows["tflite float32"].total == len(report.source.op_counts)
    markdown = render_report(report)
    assert "| tflite float16 | 1/2 | — | — | `DEQUANTIZE` |" in markdown
    assert "<details><summary>Each file's ops</summary>" in markdown
