"""TFLite: convert a SavedModel signature with TFLiteConverter, run it with LiteRT.

Dynamic input dimensions are fixed to the validation shape before conversion. Measured
with TF 2.21: converting ``tf.math.lgamma`` with a dynamic batch dimension "succeeds" but
the model returns an empty tensor (see test_toolchain_facts.py); with static shapes
the same graph converts correctly, and on-device runtimes prefer static shapes anyway.
The report lists which dimensions were fixed.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ...report.artifact import OpCoverage, UnsupportedOp
from ...report.mixed_precision import MixedPrecision
from ...workers import model_size
from ..fixed_shape import fixed_shape_function, frozen_op_types
from ..graph_facts import variable_bytes
from ..localize.spec import calibrated_file_name
from ..signature import load_signature
from ..specs import EXPORTED_SIGNATURE, ConversionJob, FixedShapeModel
from . import Candidate
from .tflite_calibrated import keeping_calibrated
from .tflite_derive import CONVERTER, derived_candidate
from .tflite_errors import converter_error, first_lines, ops_from_error, too_big_reason
from .tflite_file import constant_tensor_types, flex_ops, operator_counts
from .tflite_loops import loop_owners
from .tflite_runner import load
from .tflite_saved_model import converter_for
from .tflite_variants import configure, weight_notes

__all__ = ["RUNTIME", "TFLiteConversion", "convert", "convert_with", "load", "produce"]

RUNTIME = "LiteRT"
Strategy = Literal["concrete_function", "saved_model"]


@dataclass
class TFLiteConversion:
    """The outcome of converting one variant."""

    model: bytes | None
    error: str | None = None
    unconvertible_ops: list[str] = field(default_factory=list)
    source_ops: list[str] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)  # each failed attempt and its error
    calibrated: bytes | None = None  # int8: the calibrated model its quantizer started from


def convert(
    saved_model_dir: Path,
    tags: list[str],
    signature: str,
    shapes: dict[str, tuple[int, ...]],
    variant: str,
    *,
    allow_flex: bool,
    calibration_path: Path | None = None,
    int8_io: bool = False,
    strategy: Strategy = "concrete_function",
    fixed_shape: FixedShapeModel | None = None,
) -> TFLiteConversion:
    """Convert one variant: builtins first, then with Flex (SELECT_TF_OPS) whenever builtins
    fail and Flex is allowed — whatever the error says (a failed tensor-list lowering names no
    op). ``strategy``: from the signature at the validation shape (default; from
    ``fixed_shape``, its export, when there is one), or from the SavedModel as
    ``tflite_convert`` does (the retry after a converter crash)."""
    import tensorflow as tf

    if strategy == "concrete_function" and fixed_shape is not None:
        # The export holds only the variables the signature captures: its weights.
        weights = model_size.weight_bytes_on_disk(fixed_shape.directory)
        too_big = model_size.flatbuffer_too_big(variant, weights)
        if too_big is not None:  # known before a converter spends minutes and gigabytes on it
            return TFLiteConversion(model=None, error=too_big)
        source_ops = fixed_shape.source_ops
        origin = "the signature at the validation shape"
        exported = fixed_shape.directory

        def make() -> Any:  # from_saved_model's converter, without its Python loads
            return converter_for(exported, EXPORTED_SIGNATURE, {"serve"})

        return convert_with(
            make, origin, source_ops, variant, weights, allow_flex, calibration_path, int8_io
        )
    loaded, function = load_signature(saved_model_dir, tags, signature)
    weights = variable_bytes(function)
    too_big = model_size.flatbuffer_too_big(variant, weights)
    if too_big is not None:
        return TFLiteConversion(model=None, error=too_big)
    if strategy == "concrete_function":
        concrete = fixed_shape_function(loaded, function, shapes)
        source_ops = frozen_op_types(concrete)
        origin = "the signature at the validation shape"

        def make() -> Any:
            return tf.lite.TFLiteConverter.from_concrete_functions([concrete], loaded)

    else:
        source_ops = frozen_op_types(function)
        origin = "the SavedModel (tflite_convert's path)"

        def make() -> Any:
            return tf.lite.TFLiteConverter.from_saved_model(
                str(saved_model_dir), signature_keys=[signature], tags=set(tags)
            )

    return convert_with(
        make, origin, source_ops, variant, weights, allow_flex, calibration_path, int8_io
    )


def convert_with(
    make: Callable[[], Any],
    origin: str,
    source_ops: list[str],
    variant: str,
    weights: int,
    allow_flex: bool,
    calibration_path: Path | None,
    int8_io: bool,
) -> TFLiteConversion:
    """Convert with the converters ``make`` builds: builtins first, then with Flex when
    ``allow_flex``; the first model, or why none came (``origin`` says what was converted)."""
    attempts: list[str] = []
    errors: list[str] = []
    for select_tf_ops in (False, True) if allow_flex else (False,):
        try:
            converter = make()
            configure(converter, variant, select_tf_ops, calibration_path, int8_io)
            keeping: AbstractContextManager[list[bytes]] = (
                keeping_calibrated() if variant == "int8" else nullcontext([])
            )
            with keeping as calibrated:
                model = bytes(converter.convert())
        except Exception as exc:  # ConverterError, and anything the MLIR passes raise
            # A MemoryError from the converter under --max-memory says nothing: its class does.
            message = str(exc).strip() or type(exc).__name__
            errors.append(message)
            ops = "builtins + Flex" if select_tf_ops else "builtins"
            attempts.append(f"{ops}, from {origin}: {first_lines(message, 1)}")
            continue
        return TFLiteConversion(
            model=model,
            source_ops=source_ops,
            attempts=attempts,
            calibrated=calibrated[-1] if calibrated else None,
        )
    for error in errors:
        reason = too_big_reason(error, variant, weights)
        if reason is not None:
            return TFLiteConversion(
                model=None, error=reason, source_ops=source_ops, attempts=attempts
            )
    needs = sorted({op for error in errors for op in ops_from_error(error)})
    return TFLiteConversion(
        model=None,
        error=converter_error(errors[-1]),
        unconvertible_ops=needs,
        source_ops=source_ops,
        attempts=attempts,
    )


def produce(jobs: list[ConversionJob]) -> list[Candidate]:
    """Convert each job's variant on its own and stage the file; a batch's dynamic and float16
    files are derived from its float32 file (converted first) with ai-edge-quantizer where
    that is possible (tflite_derive.py), converted like the others where it is not."""
    candidates = []
    float32: Candidate | None = None
    for job in jobs:
        derived = derived_candidate(job, float32)
        if isinstance(derived, Candidate):
            candidates.append(derived)
            continue
        candidate = dataclasses.replace(_produce_one(job), made_by=CONVERTER)
        if isinstance(derived, str):  # the derivation failed: said before the converter's
            candidate.attempts.insert(0, derived)
        if job.variant == "float32":
            float32 = candidate
        candidates.append(candidate)
    return candidates


def _tensor_list_cause(flex: list[str], loops: list[str]) -> str:
    """Why TensorList ops end up in Flex: where the loop is, why it stayed, what avoids it."""
    if not any(op.startswith("TensorList") for op in flex):
        return ""
    where = f" in {', '.join(loops)}" if loops else ""
    return (
        f". The TensorList ops are a while loop's state{where} (a Keras RNN layer, tf.map_fn) "
        "that the converter could not lower to builtins: the model's function was traced "
        "with the batch or sequence length unknown, so the list's element shape is not "
        "static (see the builtins attempt); a Keras RNN built with unroll=True at a fixed "
        "sequence length has no such loop (hub-convert rebuilds a Keras file's RNN layers "
        "so when the file fixes the length)"
    )


def _loops_of(job: ConversionJob) -> list[str]:
    """The layers whose loops the converted SavedModel holds (the fixed-shape export's when
    this variant converted it)."""
    converted = job.saved_model_dir
    if job.fixed_shape is not None and job.tflite_strategy == "concrete_function":
        converted = job.fixed_shape.directory
    try:
        return loop_owners(converted)
    except Exception:  # naming the layer is a courtesy: the reason stands without it
        return []


def _produce_one(job: ConversionJob) -> Candidate:
    started = time.perf_counter()
    conversion = convert(
        job.saved_model_dir,
        job.tags,
        job.signature,
        job.shapes,
        job.variant,
        allow_flex=job.allow_flex,
        calibration_path=job.calibration_path,
        int8_io=job.int8_io,
        strategy=job.tflite_strategy,
        fixed_shape=job.fixed_shape,
    )
    mixed = None
    if conversion.model is not None and job.variant == "int8-mixed":
        try:
            conversion.model, mixed = _mixed(job, conversion.model)
        except Exception as exc:  # the calibrated model could not be quantized or run
            conversion.model, conversion.error = None, f"int8-mixed: {first_lines(str(exc), 2)}"
    seconds = time.perf_counter() - started
    if conversion.model is None:
        reason = conversion.error or "TFLiteConverter returned no model"
        if conversion.unconvertible_ops:
            reason = (
                f"TFLiteConverter cannot convert {', '.join(conversion.unconvertible_ops)}"
                + ("" if job.allow_flex else " with builtins (Flex not allowed)")
                + f": {reason}"
            )
        coverage = OpCoverage(
            converted_ops=[
                op for op in conversion.source_ops if op not in conversion.unconvertible_ops
            ],
            unsupported_ops=[UnsupportedOp(op=op) for op in conversion.unconvertible_ops],
        )
        return Candidate(job, None, coverage, seconds, error=reason, attempts=conversion.attempts)
    staged = job.staged_path
    staged.write_bytes(conversion.model)
    if conversion.calibrated is not None:  # for the localization's keep-in-float search
        (job.staging_dir / calibrated_file_name(job.file_name)).write_bytes(conversion.calibrated)
    counts = operator_counts(staged)
    flex = flex_ops(counts)
    weight_types = constant_tensor_types(staged)
    coverage = OpCoverage(
        converted_ops=[op for op in conversion.source_ops if op not in flex],
        flex_ops=flex,
        output_op_counts=counts,
    )
    not_runnable = None
    if flex:
        not_runnable = (
            f"uses Flex ops ({', '.join(flex)}): the LiteRT Python interpreter cannot run "
            "SELECT_TF_OPS kernels, so this file was not run; it needs a runtime linked with "
            "the Flex delegate"
        ) + _tensor_list_cause(flex, _loops_of(job))
    return Candidate(
        job,
        staged,
        coverage,
        seconds,
        not_runnable=not_runnable,
        input_shapes={name: list(dims) for name, dims in job.shapes.items()},
        weight_types=weight_types,
        notes=weight_notes(job.variant, weight_types),
        attempts=conversion.attempts,
        mixed_precision=mixed,
    )


def _mixed(job: ConversionJob, calibrated: bytes) -> tuple[bytes, MixedPrecision]:
    from ..localize.int8_mixed import mix  # TensorFlow's graph and a session: only for this

    return mix(job, calibrated)
