"""Work done inside worker processes: prepare the source, and convert + validate one artifact.

Each function here is scheduled into the worker pool and returns plain, picklable data.
A converter that raises becomes a ``failed`` Artifact here; one that aborts or hangs is
turned into one by the pool (see workers.py).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .fsutil import write_atomic
from .metrics import compare_output
from .report import Artifact, OpCoverage, OutputDrift, Status, Target, Tolerance, UnsupportedOp
from .samples import Samples
from .source_model import Materializer
from .targets.tflite_file import constant_tensor_types
from .tfmodel import PreparedSource, prepare


@dataclass(frozen=True)
class PrepareSpec:
    saved_model_dir: Path
    display_path: str
    tags: tuple[str, ...] | None
    signature: str | None
    input_shapes: dict[str, tuple[int, ...]]
    samples: int
    seed: int
    samples_path: Path
    log_path: Path | None
    representative_data: Path | None = None
    calibration_samples: int = 0
    calibration_path: Path | None = None


@dataclass(frozen=True)
class JobSpec:
    """One artifact to produce: what to convert, how, and where the result goes."""

    target: Target
    variant: str
    saved_model_dir: Path
    tags: list[str]
    signature: str
    shapes: dict[str, tuple[int, ...]]
    output_path: Path
    work_dir: Path
    samples_path: Path
    tolerance: Tolerance
    source_size: int
    opset: int
    allow_flex: bool
    log_path: Path | None
    calibration_path: Path | None = None
    int8_io: bool = False
    onnx_float16_io: bool = False


def initialize_worker(log_path: Path | None) -> None:
    """Import TensorFlow once per worker, quietly, before the first job arrives."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _output_to(log_path):
        import tensorflow  # noqa: F401


@contextmanager
def _output_to(log_path: Path | None) -> Iterator[None]:
    """Send this process's stdout/stderr (C++ included) to ``log_path`` while a job runs.

    TensorFlow and the MLIR converter print hundreds of lines per conversion; the log keeps
    them for ``--debug`` without burying the run's own output.
    """
    if log_path is None:
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log_path.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def materialize_source(
    materializer: Materializer, target: Path, log_path: Path | None
) -> dict[str, str]:
    """Produce the SavedModel of a source kind that needs TensorFlow to get one."""
    with _output_to(log_path):
        return materializer(target)


def prepare_source(spec: PrepareSpec) -> PreparedSource:
    with _output_to(spec.log_path):
        return prepare(
            spec.saved_model_dir,
            spec.display_path,
            tags=spec.tags,
            signature=spec.signature,
            input_shapes=spec.input_shapes,
            samples=spec.samples,
            seed=spec.seed,
            samples_path=spec.samples_path,
            representative_data=spec.representative_data,
            calibration_samples=spec.calibration_samples,
            calibration_path=spec.calibration_path,
        )


def run_job(specs: list[JobSpec]) -> list[Artifact]:
    """Convert, inspect and validate artifacts of one target; never raises for a conversion
    problem. TFLite: one variant per job. ONNX: every variant, derived from one conversion."""
    with _output_to(specs[0].log_path):
        if specs[0].target == "tflite":
            return [_tflite_job(spec) for spec in specs]
        return _onnx_job(specs)


def failed_artifact(spec: JobSpec, reason: str, **fields: object) -> Artifact:
    return Artifact(
        target=spec.target,
        variant=spec.variant,
        status="failed",
        reason=reason,
        tolerance=spec.tolerance,
        **fields,
    )


def _drift(
    samples: Samples, outputs: list[dict[str, np.ndarray]], tolerance: Tolerance
) -> list[OutputDrift]:
    drifts = []
    for name in samples.output_names:
        if any(name not in sample for sample in outputs):
            drifts.append(
                OutputDrift(output=name, within_tolerance=False, problem="output missing")
            )
            continue
        drifts.append(
            compare_output(name, samples.reference(name), [o[name] for o in outputs], tolerance)
        )
    return drifts


def _finish(
    spec: JobSpec,
    staged: Path,
    coverage: OpCoverage,
    conversion_seconds: float,
    validate: Callable[[list[dict[str, np.ndarray]]], list[dict[str, np.ndarray]]],
    input_shapes: dict[str, list[int | None]],
) -> Artifact:
    """Validate the staged file, then publish it atomically into the output directory.

    ``input_shapes`` are the file's own input shapes (None: a dynamic dimension).
    """
    samples = Samples.load(spec.samples_path)
    started = time.perf_counter()
    status: Status
    reason: str | None = None
    drift: list[OutputDrift] = []
    if coverage.flex_ops:
        status = "not-validated"
        reason = (
            f"uses Flex ops ({', '.join(coverage.flex_ops)}): the LiteRT Python interpreter "
            "cannot run SELECT_TF_OPS kernels, so this file was not run; it needs a runtime "
            "linked with the Flex delegate"
        )
    else:
        try:
            outputs = validate(samples.inputs)
        except Exception as exc:
            return failed_artifact(
                spec,
                f"the converted file did not run: {type(exc).__name__}: {exc}",
                coverage=coverage,
                conversion_seconds=conversion_seconds,
            )
        drift = _drift(samples, outputs, spec.tolerance)
        status = "passed" if all(d.within_tolerance for d in drift) else "drift"
    validation_seconds = time.perf_counter() - started
    write_atomic(spec.output_path, staged.read_bytes())
    size = spec.output_path.stat().st_size
    return Artifact(
        target=spec.target,
        variant=spec.variant,
        path=str(spec.output_path),
        size_bytes=size,
        size_ratio=size / spec.source_size if spec.source_size else None,
        status=status,
        reason=reason,
        tolerance=spec.tolerance,
        drift=drift,
        coverage=coverage,
        input_shapes=input_shapes,
        conversion_seconds=conversion_seconds,
        validation_seconds=validation_seconds,
    )


def _tflite_job(spec: JobSpec) -> Artifact:
    from .targets import tflite

    started = time.perf_counter()
    conversion = tflite.convert(
        spec.saved_model_dir,
        spec.tags,
        spec.signature,
        spec.shapes,
        spec.variant,
        allow_flex=spec.allow_flex,
        calibration_path=spec.calibration_path,
        int8_io=spec.int8_io,
    )
    seconds = time.perf_counter() - started
    unsupported = [UnsupportedOp(op=op) for op in conversion.unconvertible_ops]
    if conversion.model is None:
        reason = conversion.error or "TFLiteConverter returned no model"
        if conversion.unconvertible_ops:
            reason = (
                f"TFLiteConverter cannot convert {', '.join(conversion.unconvertible_ops)}"
                + ("" if spec.allow_flex else " with builtins (Flex not allowed)")
                + f": {reason}"
            )
        return failed_artifact(
            spec,
            reason,
            coverage=OpCoverage(
                converted_ops=[
                    o for o in conversion.source_ops if o not in conversion.unconvertible_ops
                ],
                unsupported_ops=unsupported,
            ),
            conversion_seconds=seconds,
        )
    staged = spec.work_dir / spec.output_path.name
    staged.write_bytes(conversion.model)
    counts, flex = tflite.inspect(staged)
    weight_types = constant_tensor_types(staged)
    coverage = OpCoverage(
        converted_ops=[op for op in conversion.source_ops if op not in flex],
        flex_ops=flex,
        output_op_counts=counts,
    )
    fixed: dict[str, list[int | None]] = {k: list(v) for k, v in spec.shapes.items()}
    artifact = _finish(
        spec, staged, coverage, seconds, lambda inputs: tflite.run(staged, inputs), fixed
    )
    artifact.weight_types = weight_types
    artifact.notes += weight_notes(spec.variant, weight_types)
    return artifact


# What a variant promises about its weights, and what to say when the file does not keep it.
_EXPECTED_WEIGHT_TYPE = {
    "dynamic": (
        "INT8",
        "no weight tensor was quantized: TFLite's dynamic-range quantization leaves small "
        "tensors (under 1024 elements by default) in float32, so the weights are the float32 "
        "model's",
    ),
    "float16": ("FLOAT16", "no weight tensor is stored as float16"),
    "int8": ("INT8", "no weight tensor is stored as int8"),
    "int16x8": ("INT8", "no weight tensor is stored as int8"),
}


def weight_notes(variant: str, weight_types: dict[str, int]) -> list[str]:
    """A note when a reduced-precision TFLite variant holds no weight of its promised type."""
    expected = _EXPECTED_WEIGHT_TYPE.get(variant)
    if expected is None or not weight_types or expected[0] in weight_types:
        return []
    return [expected[1]]


def _onnx_job(specs: list[JobSpec]) -> list[Artifact]:
    from .targets import onnx as onnx_target

    first = specs[0]
    started = time.perf_counter()
    conversion = onnx_target.convert(
        first.saved_model_dir,
        first.tags,
        first.signature,
        first.opset,
        input_names=sorted(first.shapes),
    )
    seconds = time.perf_counter() - started
    unsupported_names = {u.op for u in conversion.unsupported}
    coverage = OpCoverage(
        converted_ops=[op for op in conversion.source_ops if op not in unsupported_names],
        unsupported_ops=conversion.unsupported,
    )
    if conversion.model is None:
        reason = conversion.error or "tf2onnx returned no model"
        return [
            failed_artifact(spec, reason, coverage=coverage, conversion_seconds=seconds)
            for spec in specs
        ]
    problems = []
    if conversion.unsupported:
        problems.append(
            "tf2onnx could not convert "
            + ", ".join(f"{u.op} (at {', '.join(u.nodes[:3])})" for u in conversion.unsupported)
            + " and left the TensorFlow op in the graph"
        )
    checker_error = onnx_target.check(conversion.model)
    if checker_error:
        problems.append(checker_error)
    if problems:
        coverage.output_op_counts = onnx_target.operator_counts(conversion.model)
        return [
            failed_artifact(
                spec, "; ".join(problems), coverage=coverage, conversion_seconds=seconds
            )
            for spec in specs
        ]
    float32_path = first.work_dir / "tf2onnx_float32.onnx"
    float32_path.write_bytes(conversion.model.SerializeToString())
    return [_onnx_variant(spec, float32_path, coverage, seconds) for spec in specs]


def _onnx_variant(
    spec: JobSpec, float32_path: Path, base_coverage: OpCoverage, tf2onnx_seconds: float
) -> Artifact:
    """Derive one ONNX variant from the float32 model, check it, load it, validate it."""
    from .targets import onnx as onnx_target

    staged = spec.work_dir / spec.output_path.name
    started = time.perf_counter()
    try:
        onnx_target.derive(float32_path, spec.variant, staged, float16_io=spec.onnx_float16_io)
    except Exception as exc:
        return failed_artifact(
            spec,
            f"deriving the {spec.variant} model failed: {type(exc).__name__}: {exc}",
            coverage=base_coverage,
            conversion_seconds=tf2onnx_seconds,
        )
    seconds = tf2onnx_seconds + time.perf_counter() - started
    model = onnx_target.load_model(staged)
    coverage = base_coverage.model_copy(
        update={"output_op_counts": onnx_target.operator_counts(model)}
    )
    checker_error = onnx_target.check(model)
    if checker_error:
        return failed_artifact(spec, checker_error, coverage=coverage, conversion_seconds=seconds)
    try:
        session = onnx_target.load_session(staged)
    except Exception as exc:
        return failed_artifact(
            spec,
            f"onnxruntime could not load the model: {str(exc).strip().splitlines()[0]}",
            coverage=coverage,
            conversion_seconds=seconds,
        )
    return _finish(
        spec,
        staged,
        coverage,
        seconds,
        lambda inputs: onnx_target.run(session, inputs),
        onnx_target.input_shapes(model),
    )


# -- latency -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LatencySpec:
    """Time one runtime on the first validation sample: ``runs`` timed calls after warm-up."""

    runtime: str  # "tensorflow" | "tflite" | "onnx"
    path: Path
    samples_path: Path
    runs: int
    log_path: Path | None
    tags: tuple[str, ...] = ()
    signature: str = ""
    warmup: int = 3


def measure_latency(spec: LatencySpec) -> float:
    """Median wall-clock milliseconds of one inference, each runtime with default threading."""
    with _output_to(spec.log_path):
        sample = Samples.load(spec.samples_path).inputs[0]
        call: Callable[[], object]
        if spec.runtime == "tensorflow":
            import tensorflow as tf

            from .tfmodel import load_signature

            _, function = load_signature(spec.path, list(spec.tags), spec.signature)
            feed = {name: tf.constant(value) for name, value in sample.items()}

            def call() -> object:
                return {k: v.numpy() for k, v in function(**feed).items()}

        elif spec.runtime == "tflite":
            from .targets import tflite

            runner = tflite.signature_runner(spec.path)
            fed = tflite.quantize_inputs(runner, sample)

            def call() -> object:
                return runner(**fed)

        else:
            from .targets import onnx as onnx_target

            session = onnx_target.load_session(spec.path)

            def call() -> object:
                return onnx_target.run(session, [sample])

        for _ in range(spec.warmup):
            call()
        timings = []
        for _ in range(spec.runs):
            started = time.perf_counter()
            call()
            timings.append(time.perf_counter() - started)
        return float(np.median(timings) * 1000.0)
