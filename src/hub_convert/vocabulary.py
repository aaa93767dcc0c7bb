"""The words every stage shares: targets, variants, source kinds, statuses, fail rules.

report.json is validated against them (report.py), so an untrusted report cannot smuggle an
unknown target, variant or kind into a rendered comment; config, CLI, Action, policy file
and templates all take their choices from here. Adding a variant starts here.
"""

from __future__ import annotations

from typing import Literal, get_args

Status = Literal["passed", "drift", "failed", "not-validated"]
Target = Literal["tflite", "onnx"]
TFLiteVariant = Literal["float32", "dynamic", "float16", "int8", "int16x8"]
OnnxVariant = Literal["float32", "float16", "dynamic"]
Variant = Literal["float32", "dynamic", "float16", "int8", "int16x8"]  # TFLite's ∪ ONNX's
SourceKind = Literal["saved_model", "tf1_hub", "hub", "archive", "keras", "h5", "tfjs"]
FailRule = Literal["error", "drift", "flex", "unsupported-ops", "not-validated"]
# What an unsafe op reaches (unsafe_ops.py says which op does what).
UnsafeEffect = Literal[
    "reads files",
    "writes files",
    "deletes files",
    "uses the network",
    "runs Python code",
    "runs a graph this scan cannot see",
]

TARGETS: tuple[Target, ...] = get_args(Target)
TFLITE_VARIANTS: tuple[TFLiteVariant, ...] = get_args(TFLiteVariant)
ONNX_VARIANTS: tuple[OnnxVariant, ...] = get_args(OnnxVariant)
VARIANTS_BY_TARGET: dict[Target, tuple[Variant, ...]] = {
    "tflite": TFLITE_VARIANTS,
    "onnx": ONNX_VARIANTS,
}
SOURCE_KINDS: tuple[SourceKind, ...] = get_args(SourceKind)
FAIL_RULES: tuple[FailRule, ...] = get_args(FailRule)
