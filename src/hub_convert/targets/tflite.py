"""TFLite: convert a SavedModel signature with TFLiteConverter, run it with LiteRT.

Dynamic input dimensions are fixed to the validation shape before conversion. Measured
with TF 2.21: converting ``tf.math.lgamma`` with a dynamic batch dimension "succeeds" but
the model returns an empty tensor (see tests/test_toolchain_facts.py); with static shapes
the same graph converts correctly, and on-device runtimes prefer static shapes anyway.
The report lists which dimensions were fixed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..tfmodel import load_signature
from .tflite_file import flex_ops, operator_counts

# Structural ops that every graph has; listing them as "converted" would say nothing.
INFRASTRUCTURE_OPS = frozenset(
    {
        "Placeholder",
        "Const",
        "Identity",
        "IdentityN",
        "NoOp",
        "PartitionedCall",
        "StatefulPartitionedCall",
        "ReadVariableOp",
        "VarHandleOp",
        "_Arg",
        "_Retval",
    }
)

# TFLiteConverter's error text for an op it can neither lower nor keep: "'tf.Lgamma' op is
# neither a custom op nor a flex op"; with builtins only it lists the candidates for Flex.
_UNCONVERTIBLE_RE = re.compile(r"'tf\.(\w+)' op is neither a custom op nor a flex op")
_FLEX_CANDIDATES_RE = re.compile(r"Flex ops: ([^\n]+)")
_FLEX_NAME_RE = re.compile(r"Flex(\w+)")


@dataclass
class TFLiteConversion:
    """The outcome of converting one variant."""

    model: bytes | None
    error: str | None = None
    unconvertible_ops: list[str] = field(default_factory=list)
    used_select_tf_ops: bool = False
    source_ops: list[str] = field(default_factory=list)


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


def _frozen_op_types(concrete: Any) -> list[str]:
    """Op types the converter actually sees: the function inlined, variables frozen."""
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    graph_def = convert_variables_to_constants_v2(concrete).graph.as_graph_def()
    ops = {node.op for node in graph_def.node}
    for function in graph_def.library.function:
        ops.update(node.op for node in function.node_def)
    return sorted(ops - INFRASTRUCTURE_OPS)


def _ops_from_error(message: str) -> list[str]:
    ops = set(_UNCONVERTIBLE_RE.findall(message))
    for listing in _FLEX_CANDIDATES_RE.findall(message):
        ops.update(_FLEX_NAME_RE.findall(listing))
    return sorted(ops)


def _configure(converter: Any, variant: str, select_tf_ops: bool) -> None:
    import tensorflow as tf

    if variant == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif variant == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif variant != "float32":
        raise ValueError(f"unknown TFLite variant {variant!r}")
    ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
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
) -> TFLiteConversion:
    """Convert one variant. Builtins first; Flex (SELECT_TF_OPS) only if needed and allowed."""
    import tensorflow as tf

    loaded, function = load_signature(saved_model_dir, tags, signature)
    concrete = _fixed_shape_function(loaded, function, shapes)
    source_ops = _frozen_op_types(concrete)

    def attempt(select_tf_ops: bool) -> bytes:
        converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], loaded)
        _configure(converter, variant, select_tf_ops)
        return bytes(converter.convert())

    try:
        return TFLiteConversion(model=attempt(False), source_ops=source_ops)
    except Exception as exc:  # ConverterError, and anything the MLIR passes raise
        builtin_error = str(exc)
    needs = _ops_from_error(builtin_error)
    if not allow_flex or not needs:
        return TFLiteConversion(
            model=None,
            error=_first_lines(builtin_error),
            unconvertible_ops=needs,
            source_ops=source_ops,
        )
    try:
        return TFLiteConversion(model=attempt(True), used_select_tf_ops=True, source_ops=source_ops)
    except Exception as exc:
        flex_error = str(exc)
    return TFLiteConversion(
        model=None,
        error=_first_lines(flex_error),
        unconvertible_ops=_ops_from_error(flex_error) or needs,
        source_ops=source_ops,
    )


def _first_lines(message: str, limit: int = 12) -> str:
    lines = [line for line in message.strip().splitlines() if line.strip()]
    text = "\n".join(lines[:limit])
    return text if len(lines) <= limit else text + f"\n… ({len(lines) - limit} more lines)"


def run(path: Path, samples: Sequence[dict[str, np.ndarray]]) -> list[dict[str, np.ndarray]]:
    """Outputs of the .tflite file for each sample, through LiteRT's signature runner."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    signatures = interpreter.get_signature_list()
    runner = interpreter.get_signature_runner(next(iter(signatures)))
    results = []
    for sample in samples:
        outputs = runner(**sample)
        results.append({name: np.array(value) for name, value in outputs.items()})
    return results


def inspect(path: Path) -> tuple[dict[str, int], list[str]]:
    """(op counts of the file, Flex op types in it)."""
    counts = operator_counts(path)
    return counts, flex_ops(counts)
