"""The words every stage shares: targets, variants, source kinds, statuses, fail rules.

report.json is validated against them (schema.py), so an untrusted report cannot smuggle an
unknown target, variant or kind into a rendered comment; config, CLI, Action, policy file
and templates all take their choices from here. Adding a variant starts here.
"""

from __future__ import annotations

from typing import Literal, get_args

Status = Literal["passed", "drift", "failed", "not-validated"]
Target = Literal["tflite", "onnx"]
# "int8-mixed": the int8 file with its worst layers kept in float (measured, per model).
TFLiteVariant = Literal["float32", "dynamic", "float16", "int8", "int16x8", "int8-mixed"]
# "ort": the float32 file in ONNX Runtime's own format (.ort), for ONNX Runtime Mobile.
OnnxVariant = Literal["float32", "float16", "dynamic", "ort"]
Variant = Literal[
    "float32", "dynamic", "float16", "int8", "int16x8", "int8-mixed", "ort"
]  # TFLite's ∪ ONNX's
SourceKind = Literal[
    "saved_model", "tf1_hub", "hub", "archive", "keras", "h5", "tfjs", "frozen_graph"
]
FailRule = Literal["error", "drift", "flex", "unsupported-ops", "not-validated"]
# The stages of a run whose time the report gives ("Where the time went").
Stage = Literal[
    "resolve",  # what the model argument is; archives extracted (main process)
    "start",  # worker processes started and TensorFlow imported, until their first task
    "materialize",  # a Hub download, Keras export or TF.js rebuild into a SavedModel
    "scan",  # the SavedModel's graphs read for unsafe ops
    "load",  # TensorFlow loads the model; signature, IO and graph facts read
    "reference",  # validation inputs chosen and the original model run on them
    "export",  # the signature saved at the validation shape, once for all TFLite variants
    "convert",  # one artifact's conversion
    "validate",  # one artifact run on the samples and compared
    "localize",  # a drifting artifact compared with the original layer by layer
    "latency",  # one runtime's median latency (no target: the original in TensorFlow)
    "report",  # files moved into the output directory, report.json and report.md written
]
# The tool that wrote a converted file: TFLite's dynamic and float16 files are derived from the
# float32 file by ai-edge-quantizer when it can, else converted by TensorFlow's converter.
MadeBy = Literal["TFLiteConverter", "ai-edge-quantizer"]
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
