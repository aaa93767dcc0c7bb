"""TFLite: convert a SavedModel signature with TFLiteConverter, run it with LiteRT.

Dynamic input dimensions are fixed to the validation shape before conversion. Measured
with TF 2.21: converting ``tf.math.lgamma`` with a dynamic batch dimension "succeeds" but
the model returns an empty tensor (see test_toolchain_facts.py); with static shapes
the same graph converts correctly, and on-device runtimes prefer static shapes anyway.
The report lists which dimensions were fixed.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ...report.artifact import OpCoverage, UnsupportedOp
from ...workers import model_size
from ..graph_facts import FREEZE_LIMIT, variable_bytes
from ..original import converted_op_types, load_signature
from ..specs import ConversionJob, FixedShapeModel
from . import Candidate, SampleRunner
from .tflite_file import constant_tensor_types, flex_ops, operator_counts
from .tflite_saved_model import converter_for

RUNTIME = "LiteRT"
Strategy = Literal["concrete_function", "saved_model"]

# TFLiteConverter's error text for an op it can neither lower nor keep: "'tf.Lgamma' op is
# neither a custom op nor a flex op"; with builtins only it lists the candidates for Flex.
_UNCONVERTIBLE_RE = re.compile(r"'tf\.(\w+)' op is neither a custom op nor a flex op")
_FLEX_CANDIDATES_RE = re.compile(r"Flex ops: ([^\n]+)")
_FLEX_NAME_RE = re.compile(r"Flex(\w+)")
# TF 2.21 words it "TF Select ops: MatrixDeterminant, Lgamma".
_SELECT_CANDIDATES_RE = re.compile(r"TF Select ops: ([^\n]+)")


@dataclass
class TFLiteConversion:
    """The outcome of converting one variant."""

    model: bytes | None
    error: str | None = None
    unconvertible_ops: list[str] = field(default_factory=list)
    source_ops: list[str] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)  # each failed attempt and its error


def _fixed_shape_function(loaded: Any, function: Any, shapes: dict[str, tuple[int, ...]]) -> Any:
    """A concrete function with static input shapes that calls the signature function."""
    import tensorflow as tf

    names = sorted(shapes)
    dtypes = {name: spec.dtype for name, spec in function.structured_input_signature[1].items()}
    specs = [tf.TensorSpec(shapes[name], dtypes[name], name=name) for name in names]

    @tf.function(input_signature=specs)  # type: ignore[untyped-decorator]
    def serving(*args: Any) -> Any:
        return function(**dict(zip(names, args, strict=True)))

    return serving.get_concrete_function()


# The signature key TFLiteConverter.from_concrete_functions gives the one function it saves.
_EXPORTED_SIGNATURE = "serving_default"


# Functional control flow, which freezing lowers (to Switch/Merge, Enter/Exit) for the op list.
_CONTROL_FLOW_OPS = frozenset(
    {"If", "StatelessIf", "While", "StatelessWhile", "Case", "StatelessCase"}
)


def export_fixed_shape(
    loaded: Any,
    function: Any,
    shapes: dict[str, tuple[int, ...]],
    directory: Path,
    frozen_ops: list[str] | None = None,
) -> list[str] | None:
    """Save the signature at the validation shape as a SavedModel in ``directory``, once for
    every variant; return the op types the converter sees, or None when it cannot be saved.

    ``TFLiteConverter.from_concrete_functions`` saves the concrete function with its trackable
    object into a temporary SavedModel and converts that, on every ``convert()``, and
    ``convert()`` loads that SavedModel twice (measured on MobileNetV2: more time than the
    conversion itself). Here the function is saved once, with the same options, and the
    variants convert it with ``from_saved_model``. It is saved with only the variables it
    captures, which loads in half the time of the whole object; a function that captures
    other resources (tables) is saved with the whole object, as the converter does. The files
    differ from the concrete-function path's only in the conversion metadata's model type
    (test_toolchain_facts.py). When it cannot be saved at all, the variants take the
    concrete-function path, which then falls back to converting the frozen graph.

    ``frozen_ops``: the signature's op types frozen without lowering control flow (prepare
    has them); without functional control flow among them they are the converter's too, and
    the function is not frozen again.
    """
    import tensorflow as tf

    concrete = _fixed_shape_function(loaded, function, shapes)
    variables_only = tf.Module()
    variables_only.captured = list(concrete.variables)
    for owner in (variables_only, loaded):
        try:
            tf.saved_model.save(
                owner,
                str(directory),
                signatures={_EXPORTED_SIGNATURE: concrete},
                options=tf.saved_model.SaveOptions(save_debug_info=True),
            )
        except Exception:  # an untracked resource; or what the converter's save fails on too
            shutil.rmtree(directory, ignore_errors=True)
            continue
        if frozen_ops is not None and not _CONTROL_FLOW_OPS & set(frozen_ops):
            return sorted(frozen_ops)
        return _frozen_op_types(concrete)
    return None


def _frozen_op_types(concrete: Any) -> list[str]:
    """Op types the converter actually sees: the function inlined, variables frozen (read from
    the unfrozen graph when freezing a copy would cost gigabytes: the same op types)."""
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    if variable_bytes(concrete) > FREEZE_LIMIT:
        return converted_op_types(concrete.graph.as_graph_def())
    try:
        frozen = convert_variables_to_constants_v2(concrete)
    except Exception:  # e.g. Grappler cannot import an Estimator's graph: the converter
        # may still convert it, and its error, if any, is the one worth reporting
        return converted_op_types(concrete.graph.as_graph_def())
    return converted_op_types(frozen.graph.as_graph_def())


# What TensorFlow raises when a GraphDef or flatbuffer reaches 2 GiB (recorded from real runs
# with TF 2.21: protobuf's "Failed to serialize proto" when the converter serializes a frozen
# GraphDef of 2 GiB or more).
_TOO_BIG_SIGNS = (
    "Failed to serialize proto",
    "exceeds maximum protobuf size",
    "larger than 2GB",
    "2GB limit",
    "size exceeds 2GB",
)


def too_big_reason(message: str, variant: str, weight_bytes: int) -> str | None:
    """The clear reason for a converter error that says the model hit a 2 GiB format limit."""
    if not any(sign in message for sign in _TOO_BIG_SIGNS):
        return None
    limit = model_size.flatbuffer_too_big(variant, max(weight_bytes, model_size.flatbuffer_limit()))
    first = message.strip().splitlines()[0] if message.strip() else ""
    return f"{limit} (TensorFlow: {first})"


def _ops_from_error(message: str) -> list[str]:
    ops = set(_UNCONVERTIBLE_RE.findall(message))
    for listing in _FLEX_CANDIDATES_RE.findall(message):
        ops.update(_FLEX_NAME_RE.findall(listing))
    for listing in _SELECT_CANDIDATES_RE.findall(message):
        ops.update(op.strip() for op in listing.split(",") if op.strip())
    return sorted(ops)


def _representative_dataset(calibration_path: Path) -> Callable[[], Iterator[dict[str, Any]]]:
    from ..samples import Samples

    calibration = Samples.load(calibration_path)

    def generate() -> Iterator[dict[str, Any]]:
        yield from calibration.inputs

    return generate


def _configure(
    converter: Any,
    variant: str,
    select_tf_ops: bool,
    calibration_path: Path | None,
    int8_io: bool,
) -> None:
    import tensorflow as tf

    builtins = tf.lite.OpsSet.TFLITE_BUILTINS
    if variant == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif variant == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif variant in ("int8", "int16x8"):
        if calibration_path is None:
            raise ValueError(f"the {variant} variant needs calibration samples")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = _representative_dataset(calibration_path)
        if variant == "int8":
            builtins = tf.lite.OpsSet.TFLITE_BUILTINS_INT8
            if int8_io:
                converter.inference_input_type = tf.int8
                converter.inference_output_type = tf.int8
        else:
            builtins = tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
    elif variant != "float32":
        raise ValueError(f"unknown TFLite variant {variant!r}")
    ops = [builtins]
    if select_tf_ops:
        ops.append(tf.lite.OpsSet.SELECT_TF_OPS)
    converter.target_spec.supported_ops = ops


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
            return converter_for(exported, _EXPORTED_SIGNATURE, {"serve"})

        return _convert_with(
            make, origin, source_ops, variant, weights, allow_flex, calibration_path, int8_io
        )
    loaded, function = load_signature(saved_model_dir, tags, signature)
    weights = variable_bytes(function)
    too_big = model_size.flatbuffer_too_big(variant, weights)
    if too_big is not None:
        return TFLiteConversion(model=None, error=too_big)
    if strategy == "concrete_function":
        concrete = _fixed_shape_function(loaded, function, shapes)
        source_ops = _frozen_op_types(concrete)
        origin = "the signature at the validation shape"

        def make() -> Any:
            return tf.lite.TFLiteConverter.from_concrete_functions([concrete], loaded)

    else:
        source_ops = _frozen_op_types(function)
        origin = "the SavedModel (tflite_convert's path)"

        def make() -> Any:
            return tf.lite.TFLiteConverter.from_saved_model(
                str(saved_model_dir), signature_keys=[signature], tags=set(tags)
            )

    return _convert_with(
        make, origin, source_ops, variant, weights, allow_flex, calibration_path, int8_io
    )


def _convert_with(
    make: Callable[[], Any],
    origin: str,
    source_ops: list[str],
    variant: str,
    weights: int,
    allow_flex: bool,
    calibration_path: Path | None,
    int8_io: bool,
) -> TFLiteConversion:
    attempts: list[str] = []
    errors: list[str] = []
    for select_tf_ops in (False, True) if allow_flex else (False,):
        try:
            converter = make()
            _configure(converter, variant, select_tf_ops, calibration_path, int8_io)
            model = bytes(converter.convert())
        except Exception as exc:  # ConverterError, and anything the MLIR passes raise
            # A MemoryError from the converter under --max-memory says nothing: its class does.
            message = str(exc).strip() or type(exc).__name__
            errors.append(message)
            ops = "builtins + Flex" if select_tf_ops else "builtins"
            attempts.append(f"{ops}, from {origin}: {_first_lines(message, 1)}")
            continue
        return TFLiteConversion(model=model, source_ops=source_ops, attempts=attempts)
    for error in errors:
        reason = too_big_reason(error, variant, weights)
        if reason is not None:
            return TFLiteConversion(
                model=None, error=reason, source_ops=source_ops, attempts=attempts
            )
    needs = sorted({op for error in errors for op in _ops_from_error(error)})
    return TFLiteConversion(
        model=None,
        error=_first_lines(errors[-1]),
        unconvertible_ops=needs,
        source_ops=source_ops,
        attempts=attempts,
    )


def _first_lines(message: str, limit: int = 12) -> str:
    lines = [line for line in message.strip().splitlines() if line.strip()]
    text = "\n".join(lines[:limit])
    return text if len(lines) <= limit else text + f"\n… ({len(lines) - limit} more lines)"


def _quantization(detail: dict[str, Any]) -> tuple[float, int] | None:
    scale, zero_point = detail.get("quantization", (0.0, 0))
    if scale and np.issubdtype(np.dtype(detail["dtype"]), np.integer):
        return float(scale), int(zero_point)
    return None


def load(path: Path) -> SampleRunner:
    """Run one sample through LiteRT's signature runner.

    Float samples for integer-quantized inputs are quantized with the input's scale and zero
    point; integer-quantized outputs are dequantized, so they compare with the float original.
    """
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    runner = interpreter.get_signature_runner(next(iter(interpreter.get_signature_list())))
    input_params = {
        name: (detail, _quantization(detail)) for name, detail in runner.get_input_details().items()
    }
    output_params = {
        name: _quantization(detail) for name, detail in runner.get_output_details().items()
    }

    def run(sample: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        fed = {}
        for name, (detail, params) in input_params.items():
            value = sample[name]
            if params and np.issubdtype(value.dtype, np.floating):
                scale, zero_point = params
                info = np.iinfo(np.dtype(detail["dtype"]))
                value = np.clip(np.round(value / scale) + zero_point, info.min, info.max)
                value = value.astype(detail["dtype"])
            fed[name] = value
        outputs = {}
        for name, value in runner(**fed).items():
            array = np.array(value)
            params = output_params.get(name)
            if params:
                scale, zero_point = params
                array = (array.astype(np.float32) - zero_point) * scale
            outputs[name] = array
        return outputs

    return run


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
    """A note when a reduced-precision variant holds no weight of its promised type."""
    expected = _EXPECTED_WEIGHT_TYPE.get(variant)
    if expected is None or not weight_types or expected[0] in weight_types:
        return []
    return [expected[1]]


def produce(jobs: list[ConversionJob]) -> list[Candidate]:
    """Convert each job's variant on its own and stage the file."""
    return [_produce_one(job) for job in jobs]


def _tensor_list_cause(flex: list[str]) -> str:
    """Why TensorList ops end up in Flex, and what avoids them."""
    if not any(op.startswith("TensorList") for op in flex):
        return ""
    return (
        ". The TensorList ops are a while loop's state (a Keras RNN layer, tf.map_fn) that "
        "the converter could not lower to builtins (see the builtins attempt); a Keras RNN "
        "built with unroll=True at a fixed sequence length has no such loop"
    )


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
        ) + _tensor_list_cause(flex)
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
    )
