"""A file compared with a random original is not-validated (never drift or passed) with one
reason; a file that draws random values itself gets a note; the verdict treats it like any
not-validated file."""

from __future__ import annotations

from hub_convert.policy.randomness import (
    is_random_file_op,
    judge_against_random_original,
    random_ops_note,
)
from hub_convert.policy.verdict import decide
from hub_convert.report.artifact import Artifact, OpCoverage, OutputDrift, Tolerance
from hub_convert.report.run_info import DifferingOutput, Nondeterminism

FOUND = Nondeterminism(
    outputs=[DifferingOutput(output="logits", max_abs=1.8)],
    random_ops=["RandomUniform at dropout/random_uniform/RandomUniform"],
)


def _artifact(status: str, outputs: list[str], ops: dict[str, int] | None = None) -> Artifact:
    return Artifact.model_validate(
        {
            "target": "onnx",
            "variant": "float32",
            "status": status,
            "tolerance": Tolerance(max_abs=1e-4),
            "drift": [
                OutputDrift(output=name, max_abs=1.9, within_tolerance=status == "passed")
                for name in outputs
            ],
            "coverage": OpCoverage(output_op_counts=ops or {}),
        }
    )


def test_drift_on_a_random_output_is_not_validated_with_one_reason() -> None:
    judged = judge_against_random_original(_artifact("drift", ["logits", "scores"]), FOUND)
    assert judged.status == "not-validated"
    assert judged.reason == (
        "the original is not deterministic: two runs on the same sample differ by 1.8 in logits "
        "(random ops: RandomUniform at dropout/random_uniform/RandomUniform); feed inputs that "
        "make it deterministic with --representative-data (e.g. a dropout keep probability of "
        "1), or export the model without its training-time randomness"
    )
    assert [d.output for d in judged.drift] == ["logits", "scores"]  # measurements kept


def test_only_files_compared_on_a_random_output_change() -> None:
    other = _artifact("drift", ["scores"])
    assert judge_against_random_original(other, FOUND) == other
    flex = _artifact("not-validated", [])
    assert judge_against_random_original(flex, FOUND) == flex
    failed = _artifact("failed", [])
    assert judge_against_random_original(failed, FOUND) == failed
    assert judge_against_random_original(_artifact("drift", ["logits"]), None).status == "drift"
    assert judge_against_random_original(_artifact("passed", ["logits"]), FOUND).status == (
        "not-validated"
    )


def test_fail_on_not_validated_fails_it_and_the_default_rules_do_not() -> None:
    judged = [judge_against_random_original(_artifact("drift", ["logits"]), FOUND)]
    assert decide(judged, ["error", "drift"]).passed
    strict = decide(judged, ["not-validated"])
    assert not strict.passed
    assert strict.failures == ["onnx float32: not-validated (rule not-validated)"]


def test_a_file_with_random_ops_gets_a_note_and_keeps_its_status() -> None:
    noted = random_ops_note(_artifact("passed", ["logits"], {"RandomUniformLike": 2, "Add": 1}))
    assert noted.status == "passed"
    assert noted.notes == [
        "the file contains stateful random ops (RandomUniformLike ×2): its outputs are random "
        "at run time, each run can differ (validation ran it once per sample)"
    ]
    plain = _artifact("passed", ["logits"], {"Dropout": 1, "MatMul": 1})
    assert random_ops_note(plain).notes == []


def test_random_ops_in_each_format() -> None:
    assert all(map(is_random_file_op, ["RANDOM_UNIFORM", "MULTINOMIAL", "RandomNormalLike"]))
    assert is_random_file_op("FlexRandomStandardNormal")
    assert not is_random_file_op("FlexStatelessRandomUniformV2")
    assert not is_random_file_op("Dropout")
