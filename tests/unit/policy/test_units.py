"""Pure-Python pieces: option parsing, metrics, policy, rendering. No TensorFlow."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from hub_convert.convert.drift import compare_output
from hub_convert.convert.inputs import InputSpec, synthetic_samples
from hub_convert.errors import BadInputError
from hub_convert.parsing import parse_input_shapes, parse_tensor_names
from hub_convert.policy.tolerances import parse_max_drift
from hub_convert.policy.verdict import decide
from hub_convert.report.artifact import Tolerance
from hub_convert.report.render import render_report
from hub_convert.report.schema import Report
from hub_convert.run.config import ConvertConfig
from support.report_factory import sample_report


def test_input_shapes_accept_several_forms() -> None:
    shapes = parse_input_shapes("a=1x2x3 b=4;c=5,6", "--input-shape")
    assert shapes == {"a": (1, 2, 3), "b": (4,), "c": (5, 6)}


def test_tensor_names_are_node_names_with_an_optional_index() -> None:
    names = parse_tensor_names(" img, IteratorGetNext:1 ,scope/conv_1/Relu", "--inputs")
    assert names == ("img", "IteratorGetNext:1", "scope/conv_1/Relu")
    assert parse_tensor_names("", "--inputs") == ()
    with pytest.raises(BadInputError, match="--inputs: 'img training' is not a node name"):
        parse_tensor_names("img training", "--inputs")
    fixed = parse_tensor_names("img,training=False,keep:1=0.5", "--inputs", values=True)
    assert fixed == ("img", "training=False", "keep:1=0.5")
    with pytest.raises(BadInputError, match="'training=maybe' is not a node name or NAME=VALUE"):
        parse_tensor_names("training=maybe", "--inputs", values=True)
    with pytest.raises(BadInputError, match="'prob=1' is not a node name;"):
        parse_tensor_names("prob=1", "--outputs")
    with pytest.raises(BadInputError, match=r"--outputs: .* names a node twice"):
        parse_tensor_names("prob,prob", "--outputs")
    with pytest.raises(BadInputError, match="names a node twice"):
        parse_tensor_names("training,training=false", "--inputs", values=True)
    # Ten thousand repeats: the one repeated name, not the whole list, in the line.
    with pytest.raises(BadInputError) as repeated:
        parse_tensor_names(",".join(["x"] * 10_000), "--inputs", values=True)
    assert str(repeated.value) == "--inputs: x names a node twice; name each once"


def test_max_drift_forms_and_precedence() -> None:
    config = ConvertConfig(
        model="m",
        output_dir=Path("o"),
        max_drift=parse_max_drift("1e-3,float16=5e-2,onnx:float32=1e-6", "--max-drift"),
    )
    assert config.tolerance_for("tflite", "float32").max_abs == 1e-3
    assert config.tolerance_for("tflite", "float16").max_abs == 5e-2
    assert config.tolerance_for("tflite", "float16").min_cosine == 0.999  # default kept
    assert config.tolerance_for("onnx", "float32").max_abs == 1e-6
    with pytest.raises(BadInputError, match="unknown variant in 'int3'"):
        parse_max_drift("int3=1", "--max-drift")
    with pytest.raises(BadInputError, match="non-negative"):
        parse_max_drift("-1", "--max-drift")


def test_synthetic_inputs_are_deterministic_and_dtype_aware() -> None:
    specs = [
        InputSpec("f", "float32", (2, 3)),
        InputSpec("i", "int32", (4,)),
        InputSpec("b", "bool", (5,)),
        InputSpec("u", "uint8", (3,)),
        InputSpec("tokens", "float32", (4000,), index_limit=5000),
    ]
    first, again = synthetic_samples(specs, 3, seed=1), synthetic_samples(specs, 3, seed=1)
    for a, b in zip(first, again, strict=True):
        for name in a:
            np.testing.assert_array_equal(a[name], b[name])
    sample = first[0]
    assert sample["f"].dtype == np.float32 and sample["f"].shape == (2, 3)
    assert sample["f"].min() >= -1 and sample["f"].max() < 1
    assert sample["i"].dtype == np.int32 and sample["i"].min() >= 0 and sample["i"].max() < 10
    assert sample["b"].dtype == np.bool_
    assert not np.array_equal(first[0]["f"], first[1]["f"]), "samples must differ"
    # An index input (here a float one, as TF.js layers models have) covers the vocabulary
    # with whole numbers, instead of values in [-1, 1) that all truncate to row 0.
    tokens = sample["tokens"]
    assert tokens.dtype == np.float32 and np.all(tokens == np.floor(tokens))
    assert tokens.min() >= 0 and tokens.max() < 5000 and len(np.unique(tokens)) > 1000


def test_metrics_values() -> None:
    ref = [np.array([[1.0, 0.0]]), np.array([[0.0, 2.0]])]
    got = [np.array([[1.0, 0.1]]), np.array([[0.0, 2.0]])]
    drift = compare_output("y", ref, got, Tolerance(max_abs=0.2))
    assert drift.max_abs == pytest.approx(0.1)
    assert drift.mean_abs == pytest.approx(0.025)
    assert drift.rmse == pytest.approx(math.sqrt(0.01 / 4))
    assert drift.cosine == pytest.approx(5 / (math.sqrt(5) * math.sqrt(5.01)))
    assert drift.within_tolerance
    assert not compare_output("y", ref, got, Tolerance(max_abs=0.05)).within_tolerance
    assert not compare_output("y", ref, got, Tolerance(min_cosine=0.9999)).within_tolerance


def test_shape_mismatch_and_nan_are_never_within_tolerance() -> None:
    shape = compare_output("y", [np.ones((1, 4))], [np.ones((0, 4))], Tolerance(max_abs=1.0))
    assert not shape.within_tolerance and "shape [0, 4], expected [1, 4]" in (shape.problem or "")
    nan = compare_output("y", [np.ones(3)], [np.array([1.0, np.nan, 1.0])], Tolerance(max_abs=1.0))
    assert not nan.within_tolerance and "NaN" in (nan.problem or "")


def test_policy_names_the_rule_and_artifact() -> None:
    report = sample_report(passed=False)
    verdict = decide(report.artifacts, ["error", "drift"])
    assert not verdict.passed
    assert verdict.failures == ["onnx float32: failed (rule error)"]
    assert decide(report.artifacts, ["drift"]).passed
    assert decide(report.artifacts, ["unsupported-ops"]).failures == [
        "onnx float32: failed (rule unsupported-ops)"
    ]


def test_report_round_trips_and_renders(tmp_path: Path) -> None:
    report = sample_report(passed=False)
    path = tmp_path / "report.json"
    path.write_text(report.to_json())
    loaded = Report.load(path)
    assert loaded == report
    markdown = render_report(loaded)
    assert markdown.count("❌") >= 2
    assert "tf2onnx could not convert: Lgamma" in markdown
    assert "Per-output drift" in markdown
    assert "Per-output drift" not in render_report(loaded, details=False)


def test_report_load_rejects_other_json(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text('{"schema_version": 1}')
    with pytest.raises(BadInputError, match="not a hub-convert report"):
        Report.load(path)


def test_report_load_reads_schema_2_and_3_and_refuses_later_versions(tmp_path: Path) -> None:
    """Versions 3 and 4 only added optional fields: a version 2 or 3 report.json (an older
    `hub-convert convert`, the fork pattern's untrusted half) still publishes."""
    report = sample_report()
    assert report.timings is None and report.comparison is None
    path = tmp_path / "report.json"
    for older in (2, 3):
        path.write_text(
            report.to_json().replace('"schema_version": 4', f'"schema_version": {older}')
        )
        assert Report.load(path).schema_version == older
    path.write_text(report.to_json().replace('"schema_version": 4', '"schema_version": 5'))
    with pytest.raises(BadInputError, match="schema_version 5 is not supported"):
        Report.load(path)


def test_markdown_cells_are_escaped() -> None:
    report = sample_report(passed=False)
    report.artifacts[1].reason = "bad | pipe <script>\nnext line"
    markdown = render_report(report)
    assert "bad \\| pipe &lt;script&gt; next line" in markdown
