"""``require:`` rules: a file that does not run whole where it must fails the run, one line
per broken rule naming the artifact, what was measured and the rule."""

from __future__ import annotations

import pytest

from hub_convert.errors import BadInputError
from hub_convert.policy.device_rules import parse_device_rules
from hub_convert.policy.verdict import decide
from hub_convert.report.artifact import Artifact, Tolerance
from hub_convert.report.device import DeviceView, MobilePartitions, OpLeftOut, XnnpackCoverage

PARTIAL_TFLITE = DeviceView(
    xnnpack=XnnpackCoverage(
        delegated_ops=56,
        total_ops=72,
        left_out=[OpLeftOut(op="TOPK_V2", nodes=["t"]), OpLeftOut(op="RFFT2D", nodes=["r"])],
    )
)
WHOLE_ONNX = DeviceView(
    mobile=[
        MobilePartitions(
            provider=provider,
            supported_nodes=102,
            total_nodes=102,
            partitions=1,
            suitability="YES",
        )
        for provider in ("NNAPI", "CoreML NeuralNetwork", "CoreML MLProgram")
    ]
)


def _artifact(target: str, device: DeviceView) -> Artifact:
    return Artifact.model_validate(
        {
            "target": target,
            "variant": "float32",
            "path": f"out/m.{target}",
            "status": "passed",
            "tolerance": Tolerance(),
            "device": device,
        }
    )


ARTIFACTS = [_artifact("tflite", PARTIAL_TFLITE), _artifact("onnx", WHOLE_ONNX)]


def test_default_off_passes() -> None:
    assert decide(ARTIFACTS, ["error"]).passed


def test_xnnpack_full_fails_the_run_with_one_line() -> None:
    verdict = decide(ARTIFACTS, ["error"], parse_device_rules("xnnpack-full", "--require"))
    assert not verdict.passed
    assert verdict.line.startswith("policy failed for 1 of 2 artifacts")
    assert verdict.failures == [
        "tflite float32: 56/72 ops on XNNPACK (TOPK_V2, RFFT2D left) (rule xnnpack-full)"
    ]


def test_rules_about_the_other_runtime_do_not_apply() -> None:
    rules = parse_device_rules("nnapi-full, coreml-full", "--require")
    assert decide(ARTIFACTS, ["error"], rules).passed


def test_an_unknown_rule_is_refused_naming_the_option() -> None:
    with pytest.raises(BadInputError, match="--require: unknown rule 'gpu-full'"):
        parse_device_rules("xnnpack-full,gpu-full", "--require")
