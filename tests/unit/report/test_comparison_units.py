"""comparison.py's rules and the comparison section of report.json as untrusted input: no
TensorFlow (the real base → head runs are in test_compare_cli.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub_convert.errors import BadInputError
from hub_convert.github.combined_comment import ModelSection, build_combined_comment_body
from hub_convert.github.context import GitHubContext
from hub_convert.report.artifact import OpCoverage
from hub_convert.report.compare import compare_reports, signature_changes
from hub_convert.report.comparison_schema import (
    ArtifactChange,
    Behaviour,
    Comparison,
    OutputBehaviour,
    SignatureChange,
)
from hub_convert.report.markdown_safety import one_line
from hub_convert.report.render import change, render_report
from hub_convert.report.schema import Report
from hub_convert.report.source_info import TensorInfo
from hub_convert.run.git_base import pull_request_base, pull_request_base_commit
from hub_convert.run.model_files import content_hash
from support.crafted_report import OTHER_MARKER, hostile
from support.markdown_html import Page
from support.report_factory import sample_report


def t(name: str, dtype: str = "float32", shape: list[int | None] | None = None) -> TensorInfo:
    return TensorInfo(name=name, dtype=dtype, shape=[None, 16] if shape is None else shape)


def rows(io: str, base: list[TensorInfo], head: list[TensorInfo]) -> list[tuple[str, str, bool]]:
    return [(c.name, c.change, c.breaking) for c in signature_changes(io, base, head)]


def test_unchanged_signature_has_no_rows() -> None:
    assert rows("input", [t("x")], [t("x")]) == []


def test_a_random_original_on_either_side_is_noted() -> None:
    from hub_convert.report.run_info import DifferingOutput, Nondeterminism

    base = sample_report()
    assert compare_reports(base, base).notes == []
    found = Nondeterminism(outputs=[DifferingOutput(output="logits", max_abs=0.7)])
    random = base.model_copy(
        update={"validation": base.validation.model_copy(update={"nondeterminism": found})}
    )
    assert compare_reports(base, random).notes == [
        "the head's original is not deterministic (two runs on the same sample differ in "
        "logits): the behaviour measured there includes its randomness, not only the change"
    ]
    assert compare_reports(random, base).notes[0].startswith("the base's original is not")


def test_input_changes_that_refuse_earlier_callers_are_breaking() -> None:
    # a fixed size changed, a dynamic size fixed, another rank, another dtype
    assert rows("input", [t("x", shape=[None, 16])], [t("x", shape=[None, 8])]) == [
        ("x", "shape", True)
    ]
    assert rows("input", [t("x")], [t("x", shape=[1, 16])]) == [("x", "shape", True)]
    assert rows("input", [t("x")], [t("x", shape=[None, 4, 4])]) == [("x", "shape", True)]
    assert rows("input", [t("x")], [t("x", dtype="float16")]) == [("x", "dtype", True)]
    # an input that must now be given, one that is gone
    assert rows("input", [t("x")], [t("x"), t("y", shape=[None])]) == [("y", "added", True)]
    assert rows("input", [t("x"), t("y", shape=[None])], [t("x")]) == [("y", "removed", True)]


def test_widening_an_input_is_not_breaking() -> None:
    (change_row,) = signature_changes("input", [t("x", shape=[1, 16])], [t("x", shape=[None, 16])])
    assert not change_row.breaking
    assert "accepts every input the base accepted" in change_row.why


def test_rename_is_found_and_breaking() -> None:
    (renamed,) = signature_changes("input", [t("image")], [t("pixels")])
    assert (renamed.name, renamed.change, renamed.breaking) == ("pixels", "renamed", True)
    assert renamed.base == "image: float32 [?, 16]"
    # Two candidates of the same kind: no guessing, a removal and an addition each.
    assert sorted(rows("input", [t("a")], [t("b"), t("c")])) == [
        ("a", "removed", True),
        ("b", "added", True),
        ("c", "added", True),
    ]


def test_output_rules() -> None:
    assert rows("output", [t("y")], [t("y"), t("z")]) == [("z", "added", False)]
    assert rows("output", [t("y"), t("z")], [t("y")]) == [("z", "removed", True)]
    # A dynamic size becoming fixed keeps every promise; a fixed one becoming dynamic does not.
    assert rows("output", [t("y")], [t("y", shape=[1, 16])]) == [("y", "shape", False)]
    assert rows("output", [t("y", shape=[1, 16])], [t("y")]) == [("y", "shape", True)]


def test_artifact_rows_cover_both_sides_with_deltas() -> None:
    base, head = sample_report(), sample_report(passed=False)
    base.artifacts[0].latency_ms = 2.0
    head.artifacts[0].latency_ms = 3.0
    head.artifacts[0].size_bytes = 1536
    base_tflite = base.artifacts[0].model_copy(deep=True)
    base_tflite.variant = "float16"
    base.artifacts.append(base_tflite)  # a variant the head no longer has
    assert base.artifacts[1].coverage and head.artifacts[1].coverage is not None
    base.artifacts[1].coverage = OpCoverage(output_op_counts={"MatMul": 1, "Relu": 1})

    comparison = compare_reports(base, head)

    by_key = {(a.target, a.variant): a for a in comparison.artifacts}
    assert list(by_key) == [("tflite", "float32"), ("onnx", "float32"), ("tflite", "float16")]
    tflite = by_key[("tflite", "float32")]
    size = base.artifacts[0].size_bytes
    assert size and tflite.size_change == pytest.approx((1536 - size) / size)
    assert (tflite.base_latency_ms, tflite.head_latency_ms) == (2.0, 3.0)
    onnx = by_key[("onnx", "float32")]
    assert (onnx.base_status, onnx.head_status) == ("passed", "failed")
    assert onnx.size_change is None
    assert by_key[("tflite", "float16")].head_status is None
    assert change(1024, 1536) == "(+50.0%)"
    assert change(2.0, 1.0) == "(−50.0%)"
    assert change(None, 1.0) == ""


def test_content_hash_follows_names_and_contents(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for root in (first, second):
        (root / "variables").mkdir(parents=True)
        (root / "saved_model.pb").write_bytes(b"graph")
        (root / "variables" / "v.data").write_bytes(b"weights")
    assert content_hash(str(first)) == content_hash(str(second))
    (second / "variables" / "v.data").write_bytes(b"weights2")
    assert content_hash(str(first)) != content_hash(str(second))
    (second / "variables" / "v.data").write_bytes(b"weights")
    (second / "variables" / "v.data").rename(second / "variables" / "w.data")
    assert content_hash(str(first)) != content_hash(str(second))
    assert content_hash("https://tfhub.dev/google/model/1") is None


def _hostile_comparison() -> Comparison:
    numbers = iter(range(1000, 2000))

    def h() -> str:
        return hostile(next(numbers))

    return Comparison(
        status="changed",
        base=h(),
        base_commit=h(),
        base_report_sha256=h(),
        source_ops_added=[h()],
        source_ops_removed=[h()],
        signature_changes=[
            SignatureChange(
                io="input", name=h(), change="shape", base=h(), head=h(), breaking=True, why=h()
            )
        ],
        artifacts=[
            ArtifactChange(
                target="tflite",
                variant="float32",
                base_status="passed",
                head_status="drift",
                ops_compared=True,
                ops_added=[h()],
                ops_removed=[h()],
            )
        ],
        behaviour=Behaviour(
            compared=True, samples=2, outputs=[OutputBehaviour(output=h(), problem=h())]
        ),
        notes=[h()],
    )


def test_hostile_comparison_renders_nothing_live(tmp_path: Path) -> None:
    report = sample_report()
    report.comparison = _hostile_comparison()
    path = tmp_path / "report.json"
    path.write_text(report.to_json())
    loaded = Report.load(path)  # what `hub-convert publish` does with a fork's report
    assert loaded.comparison is not None

    markdown = render_report(loaded)

    assert "<!--" not in markdown and OTHER_MARKER not in markdown
    page = Page.of(markdown)
    assert page.foreign_html() == []
    assert page.links() == []
    assert page.live_text() == []
    code = page.code_texts()
    cmp = loaded.comparison
    change_row = cmp.signature_changes[0]
    for value in [change_row.name, change_row.base, change_row.head, *cmp.source_ops_added]:
        assert value is not None and one_line(value) in code
    assert "Breaking change" in markdown


def test_oversized_comparison_field_is_refused(tmp_path: Path) -> None:
    report = sample_report()
    report.comparison = Comparison(status="changed")
    data = json.loads(report.to_json())
    data["comparison"]["source_ops_added"] = ["x" * 2000]
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data))
    with pytest.raises(BadInputError, match=r"comparison\.source_ops_added"):
        Report.load(path)
    data["comparison"]["status"] = "improved"
    data["comparison"]["source_ops_added"] = []
    path.write_text(json.dumps(data))
    with pytest.raises(BadInputError, match=r"comparison\.status"):
        Report.load(path)


@pytest.mark.parametrize(
    ("status", "line"),
    [
        ("unchanged", "**Unchanged** since the base"),
        ("new", "**New in this change**"),
        ("not-compared", "**Not compared with the base**"),
    ],
)
def test_one_line_statuses(status: str, line: str) -> None:
    report = sample_report()
    report.comparison = Comparison.model_validate(
        {"status": status, "base": "models/tiny at 0123456789ab", "reason": "no git"}
    )
    markdown = render_report(report)
    assert line in markdown
    assert "### Changes from the base" not in markdown


def test_combined_comment_collapses_only_quiet_sections() -> None:
    quiet = sample_report(model_path="models/quiet")
    failing = sample_report(passed=False, model_path="models/failing")
    breaking = sample_report(model_path="models/breaking")
    breaking.comparison = Comparison(
        status="changed",
        signature_changes=[
            SignatureChange(io="input", name="x", change="removed", breaking=True, why="gone")
        ],
    )
    sections = [
        ModelSection("models/quiet", "converted", report=quiet),
        ModelSection("models/failing", "converted", report=failing),
        ModelSection("models/breaking", "converted", report=breaking),
        ModelSection("models/same", "unchanged", base="models/same at main 0123"),
        ModelSection("models/gone", "deleted", base="models/gone at main 0123"),
    ]

    body = build_combined_comment_body(sections, key="models", run_url=None)

    assert body.startswith("<!-- hub-convert:models -->\n## hub-convert: 5 models, 3 converted")
    assert "<details><summary>models/quiet: passed</summary>" in body
    assert "<summary>models/failing" not in body and "<summary>models/breaking" not in body
    assert "| `models/breaking` | ✅ passed · changed · **⚠️ breaking change** |" in body
    assert "| `models/same` | unchanged since the base models/same at main 0123" in body
    assert "| `models/gone` | **deleted** in this change" in body
    page = Page.of(body.split("\n", 1)[1])
    assert page.foreign_html() == []  # only the template's own <details> / <summary>


def test_pull_request_base_only_for_pull_requests_and_local_models(tmp_path: Path) -> None:
    event = {"pull_request": {"base": {"sha": "b" * 40, "ref": "main"}}}
    pull = GitHubContext(event_name="pull_request", event=event)
    push = GitHubContext(event_name="push", event=event)
    assert pull_request_base_commit(pull) == ("b" * 40, "main")
    assert pull_request_base_commit(push) is None
    forged = GitHubContext(
        event_name="pull_request", event={"pull_request": {"base": {"sha": "-x"}}}
    )
    assert pull_request_base_commit(forged) is None
    handle = "https://tfhub.dev/google/imagenet/mobilenet_v2_100_224/classification/5"
    assert pull_request_base(pull, tmp_path, handle, tmp_path / "base", print) is None
    # Not a git checkout: a reason, which the Action turns into a notice.
    (tmp_path / "model").mkdir()
    base = pull_request_base(pull, tmp_path, "model", tmp_path / "base", print)
    assert base is not None and base.model is None
    assert base.reason and "not a git checkout" in base.reason
