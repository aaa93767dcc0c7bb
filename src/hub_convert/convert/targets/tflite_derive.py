"""The dynamic-range and float16 TFLite files derived from the float32 file with
ai-edge-quantizer, instead of converting the SavedModel again with TensorFlow's converter.

Measured side by side (bench/quantizer_compare.py, docs/development.md): on a real MobileNetV2
(nsfwjs) deriving takes 0.15-0.2 s where each TensorFlow conversion takes 4.5-5.5 s on a loaded
2-core machine (1.2-1.9 s unloaded). The dynamic recipe is ai-edge-quantizer's
``dynamic_legacy_wi8_afp32``: like TensorFlow's dynamic range it leaves weights under 1024
elements in float32, so the file has the same weight types, operators and XNNPACK share as
TensorFlow's (``dynamic_wi8_afp32`` quantizes every weight: two more depthwise convs fell off
XNNPACK and its drift was larger). float16 casts the weights of the weighted ops
(FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, EMBEDDING_LOOKUP) to float16;
their biases stay float32, where TensorFlow casts every float constant.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable
from typing import Any

from ...report.artifact import OpCoverage
from ...report.vocabulary import MadeBy
from ..derived_variants import DERIVED_FROM_FLOAT32
from ..specs import ConversionJob
from . import Candidate
from .tflite_errors import first_lines
from .tflite_file import constant_tensor_types, flex_ops, op_code_names, operator_counts
from .tflite_variants import weight_notes

DERIVED: dict[str, MadeBy] = dict.fromkeys(DERIVED_FROM_FLOAT32, "ai-edge-quantizer")
CONVERTER: MadeBy = "TFLiteConverter"


def _dynamic_recipe() -> Any:
    from ai_edge_quantizer import recipe  # type: ignore[import-untyped]

    return recipe.dynamic_legacy_wi8_afp32()


def _float16_recipe() -> Any:
    from ai_edge_quantizer import recipe_manager
    from ai_edge_quantizer.algorithm_manager import (  # type: ignore[import-untyped]
        AlgorithmName,
    )
    from ai_edge_quantizer.qtyping import TFLOperationName  # type: ignore[import-untyped]

    manager = recipe_manager.RecipeManager()
    manager.add_weight_only_config(
        regex=".*",
        operation_name=TFLOperationName.ALL_SUPPORTED,
        num_bits=16,
        algorithm_key=AlgorithmName.FLOAT_CASTING,
    )
    return manager.get_quantization_recipe()


RECIPES: dict[str, Callable[[], Any]] = {"dynamic": _dynamic_recipe, "float16": _float16_recipe}


def derive(float32_model: bytes, variant: str) -> bytes:
    """``variant`` (dynamic or float16) of the float32 flatbuffer ``float32_model``."""
    from ai_edge_quantizer import quantizer

    making = quantizer.Quantizer(float32_model)
    making.load_quantization_recipe(RECIPES[variant]())
    # It prints a size summary and a progress bar: neither belongs in a worker's log.
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return bytes(making.quantize().quantized_model)


# The ops whose weights both recipes quantize (ai-edge-quantizer's float casting takes these
# only; its dynamic recipe adds none that TensorFlow's dynamic range quantizes here).
QUANTIZED_OPS = frozenset(
    {"FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV", "EMBEDDING_LOOKUP"}
)
# TensorFlow's dynamic range leaves smaller weights in float32 too (and so does the recipe).
MIN_WEIGHT_ELEMENTS = 1024


def weights_left_in_float(float32_model: bytes) -> list[str]:
    """The op types of ``float32_model`` holding a float32 weight of at least 1024 elements
    that the recipes would leave in float32 where TensorFlow's converter quantizes it (an
    embedding table read by GATHER: a text model's largest weight), sorted."""
    from ai_edge_litert import schema_py_generated as schema

    model = schema.Model.GetRootAs(bytearray(float32_model), 0)
    names = op_code_names(model)
    left: set[str] = set()
    for s in range(model.SubgraphsLength()):
        subgraph = model.Subgraphs(s)
        for o in range(subgraph.OperatorsLength()):
            operator = subgraph.Operators(o)
            name = names[operator.OpcodeIndex()]
            if name in QUANTIZED_OPS:
                continue
            for i in range(operator.InputsLength()):
                index = operator.Inputs(i)
                if index >= 0 and _is_float_weight(model, subgraph.Tensors(index)):
                    left.add(name)
    return sorted(left)


def _is_float_weight(model: Any, tensor: Any) -> bool:
    from ai_edge_litert import schema_py_generated as schema

    buffer = tensor.Buffer()
    if tensor.Type() != schema.TensorType.FLOAT32 or not 0 < buffer < model.BuffersLength():
        return False
    data = model.Buffers(buffer)
    if not (data.DataLength() or data.Size()):
        return False
    elements = 1
    for d in range(tensor.ShapeLength()):
        elements *= max(tensor.Shape(d), 0)
    return elements >= MIN_WEIGHT_ELEMENTS


def derived_candidate(job: ConversionJob, float32: Candidate | None) -> Candidate | str | None:
    """``job``'s file derived from the staged ``float32`` file; the failed attempt when
    ai-edge-quantizer could not derive it; None when it is not tried (no float32 file, Flex
    ops, a weight the recipe would leave in float32): TensorFlow's converter makes it then."""
    if job.variant not in DERIVED or float32 is None or float32.staged is None:
        return None
    if float32.not_runnable or float32.coverage.flex_ops:
        return None
    started = time.perf_counter()
    model = float32.staged.read_bytes()
    try:
        if weights_left_in_float(model):
            return None
        derived = derive(model, job.variant)
    except Exception as exc:  # anything the reader or the quantizer raises: the converter then
        return f"ai-edge-quantizer, from the float32 file: {first_lines(str(exc) or repr(exc), 1)}"
    staged = job.staged_path
    staged.write_bytes(derived)
    counts = operator_counts(staged)
    weight_types = constant_tensor_types(staged)
    coverage = OpCoverage(
        converted_ops=float32.coverage.converted_ops,
        flex_ops=flex_ops(counts),
        output_op_counts=counts,
    )
    return Candidate(
        job,
        staged,
        coverage,
        time.perf_counter() - started,
        made_by=DERIVED[job.variant],
        input_shapes=float32.input_shapes,
        weight_types=weight_types,
        notes=weight_notes(job.variant, weight_types),
    )
