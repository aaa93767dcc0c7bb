"""Build Report objects for tests that need one without running TensorFlow."""

from __future__ import annotations

from hub_convert.report.artifact import Artifact, OpCoverage, OutputDrift, Tolerance, UnsupportedOp
from hub_convert.report.run_info import Environment, ValidationSetup, Verdict
from hub_convert.report.schema import Report
from hub_convert.report.source_info import SourceInfo, TensorInfo


def sample_report(*, passed: bool = True, model_path: str = "models/tiny") -> Report:
    """A two-artifact report: tflite float32 (passed) and onnx (passed or failed)."""
    onnx = Artifact(
        target="onnx",
        variant="float32",
        path="out/tiny_float32.onnx",
        size_bytes=2048,
        size_ratio=0.5,
        status="passed",
        tolerance=Tolerance(max_abs=1e-4),
        drift=[
            OutputDrift(
                output="y",
                max_abs=1e-7,
                mean_abs=1e-8,
                rmse=2e-8,
                cosine=1.0,
                within_tolerance=True,
            )
        ],
        coverage=OpCoverage(converted_ops=["MatMul"], output_op_counts={"MatMul": 1}),
        conversion_seconds=1.5,
    )
    if not passed:
        onnx = onnx.model_copy(
            update=dict(
                status="failed",
                path=None,
                size_bytes=None,
                size_ratio=None,
                drift=[],
                reason="tf2onnx could not convert: Lgamma",
                coverage=OpCoverage(unsupported_ops=[UnsupportedOp(op="Lgamma", nodes=["lg"])]),
            )
        )
    return Report(
        tool_version="0.1.0",
        created_at="2026-11-21T00:00:00Z",
        command=f"hub-convert convert {model_path} --output-dir out",
        source=SourceInfo(
            kind="saved_model",
            path=model_path,
            signature="serving_default",
            available_signatures=["serving_default"],
            tags=["serve"],
            inputs=[
                TensorInfo(name="x", dtype="float32", shape=[None, 4], validation_shape=[1, 4])
            ],
            outputs=[TensorInfo(name="y", dtype="float32", shape=[None, 2])],
            size_bytes=4096,
            op_counts={"MatMul": 1, "Placeholder": 1},
        ),
        environment=Environment(
            python="3.11.7", platform="Linux-x86_64", versions={"tensorflow": "2.21.0"}
        ),
        validation=ValidationSetup(samples=8, seed=0, input_note="float uniform in [-1, 1)"),
        fail_on=["error", "drift"],
        artifacts=[
            Artifact(
                target="tflite",
                variant="float32",
                path="out/tiny_float32.tflite",
                size_bytes=1024,
                size_ratio=0.25,
                status="passed",
                tolerance=Tolerance(max_abs=1e-4),
                drift=[
                    OutputDrift(
                        output="y",
                        max_abs=2e-7,
                        mean_abs=3e-8,
                        rmse=4e-8,
                        cosine=1.0,
                        within_tolerance=True,
                    )
                ],
                coverage=OpCoverage(
                    converted_ops=["MatMul"], output_op_counts={"FULLY_CONNECTED": 1}
                ),
                conversion_seconds=2.0,
            ),
            onnx,
        ],
        verdict=Verdict(
            passed=passed,
            line="all 2 artifacts passed" if passed else "1 of 2 artifacts failed the policy",
            failures=[] if passed else ["onnx float32: failed (error)"],
        ),
    )
