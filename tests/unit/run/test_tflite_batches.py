"""Which TFLite variants share a worker task: dynamic and float16 join float32's, which
derives them from its file; every other variant converts in its own task."""

from __future__ import annotations

from pathlib import Path

from hub_convert.convert.specs import ConversionJob
from hub_convert.policy.tolerances import DEFAULT_TOLERANCES
from hub_convert.run.conversions import tflite_batches


def _job(target: str, variant: str) -> ConversionJob:
    return ConversionJob(
        target=target,  # type: ignore[arg-type]
        variant=variant,  # type: ignore[arg-type]
        saved_model_dir=Path("model"),
        tags=["serve"],
        signature="serving_default",
        shapes={},
        file_name=f"model_{variant}.{target}",
        staging_dir=Path("work"),
        samples_path=Path("work/samples.npz"),
        tolerance=DEFAULT_TOLERANCES[(target, variant)],  # type: ignore[index]
        opset=17,
        allow_flex=True,
        log_path=None,
    )


def _variants(batches: list[list[ConversionJob]]) -> list[list[str]]:
    return [[job.variant for job in batch] for batch in batches]


def test_dynamic_and_float16_join_the_float32_task_after_it() -> None:
    jobs = [_job("tflite", v) for v in ("float16", "int8", "dynamic", "float32")]
    jobs.append(_job("onnx", "float32"))
    assert _variants(tflite_batches(jobs, derive=True)) == [
        ["float32", "float16", "dynamic"],
        ["int8"],
    ]


def test_without_float32_each_variant_converts_on_its_own() -> None:
    jobs = [_job("tflite", v) for v in ("dynamic", "float16")]
    assert _variants(tflite_batches(jobs, derive=True)) == [["dynamic"], ["float16"]]
    assert tflite_batches([_job("onnx", "dynamic")], derive=True) == []


def test_a_big_model_keeps_one_task_per_variant() -> None:
    jobs = [_job("tflite", v) for v in ("float32", "dynamic", "float16")]
    assert _variants(tflite_batches(jobs, derive=False)) == [["float32"], ["dynamic"], ["float16"]]
