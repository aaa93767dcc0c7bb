"""Big models: the format limits, the sizes that decide how a model is converted, and the memory
a conversion needs. No TensorFlow: the main process uses it to choose the number of workers.

Measured with TensorFlow 2.21 on a 1 GiB SavedModel (a stack of dense layers, bench/big_model.py;
docs/speed.md#big-models): TFLiteConverter peaks at 8.8 GiB converting 1 GiB of float32 weights from
the signature, freezing the signature at 10.6 GiB, tf2onnx's large-model conversion above 11 GiB.
Those are the converters' own copies (the frozen GraphDef, its serialized form, MLIR's constants,
the flatbuffer being built, tf2onnx's folded constants); hub-convert adds no copy of its own for
big models (no second freeze for the op inventory: ``convert/graph_facts.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..units import GIB, human

# protobuf messages (an ONNX ModelProto, a TensorFlow GraphDef) and TFLite flatbuffers address
# their content with 32-bit signed offsets: neither can be 2 GiB or larger.
FLATBUFFER_LIMIT = 2 * GIB
FLATBUFFER_LIMIT_ENV = "HUB_CONVERT_TFLITE_FLATBUFFER_BYTES"  # tests lower it
# Above this many bytes of weights the ONNX model is converted with tf2onnx's ``large_model``
# and written with its weights in an external data file beside the .onnx. Below protobuf's
# limit with room to spare: tf2onnx may add constants (transposed kernels) of its own.
EXTERNAL_DATA_THRESHOLD = GIB
# Tests lower it to take the external-data path with a small model.
EXTERNAL_DATA_THRESHOLD_ENV = "HUB_CONVERT_ONNX_EXTERNAL_DATA_BYTES"
# TFLite weights per float32 weight byte, by variant (float16 halves them, int8 quarters).
# int8-mixed converts to a calibrated float model first: float32's size.
TFLITE_WEIGHT_SHARE = {
    "float32": 1.0,
    "float16": 0.5,
    "dynamic": 0.25,
    "int8": 0.25,
    "int8-mixed": 1.0,
}
# Memory a worker needs to convert: TensorFlow itself, plus this many times the weights (the
# measured peaks above: 8.8 GiB for TFLite, over 11 GiB for tf2onnx, per GiB of weights).
WORKER_BASE = int(1.5 * GIB)
CONVERSION_FACTOR = 11
# Above this many bytes of weights every task gets a fresh worker (workers.WorkerPool's
# max_tasks): what one conversion's allocator kept would count against the next one's limit.
FRESH_WORKER_ABOVE = GIB // 4


def external_data_threshold() -> int:
    """Weight bytes above which ONNX files are written with external data."""
    text = os.environ.get(EXTERNAL_DATA_THRESHOLD_ENV, "").strip()
    return int(text) if text.isdigit() else EXTERNAL_DATA_THRESHOLD


def weight_bytes_on_disk(saved_model_dir: Path) -> int:
    """The SavedModel's variables on disk: an upper bound of the weights a conversion freezes
    (a checkpoint may hold variables the signature does not use)."""
    variables = saved_model_dir / "variables"
    if not variables.is_dir():
        return 0
    return sum(p.stat().st_size for p in variables.glob("variables.data-*") if p.is_file())


def tflite_weight_bytes(variant: str, float32_bytes: int) -> int:
    """The weights a TFLite variant's flatbuffer holds for ``float32_bytes`` of float32 ones."""
    share = TFLITE_WEIGHT_SHARE.get(variant, 0.25)  # int16x8: int8 weights
    return int(float32_bytes * share)


def flatbuffer_limit() -> int:
    """The TFLite flatbuffer limit (tests lower it with ``FLATBUFFER_LIMIT_ENV``)."""
    text = os.environ.get(FLATBUFFER_LIMIT_ENV, "").strip()
    return int(text) if text.isdigit() else FLATBUFFER_LIMIT


def flatbuffer_too_big(variant: str, float32_bytes: int) -> str | None:
    """Why the variant cannot be a TFLite file, or None when its weights fit a flatbuffer."""
    limit = flatbuffer_limit()
    needed = tflite_weight_bytes(variant, float32_bytes)
    if needed < limit:
        return None
    fitting = [
        name
        for name in ("float16", "dynamic", "int8")
        if tflite_weight_bytes(name, float32_bytes) < limit
    ]
    hint = f"use the {' or '.join(fitting)} variant" if fitting else "no TFLite variant fits"
    return (
        f"the TFLite flatbuffer format cannot hold {human(limit)} or more: this {variant} "
        f"model's weights are {human(needed)} ({human(float32_bytes)} as float32); {hint}, "
        "or convert to ONNX (written with external data)"
    )


def conversion_memory(weight_bytes: int) -> int:
    """Memory one worker needs to convert a model with ``weight_bytes`` of weights."""
    return WORKER_BASE + CONVERSION_FACTOR * weight_bytes


def workers_that_fit(cores: int, weight_bytes: int, memory: int | None, share: float) -> int:
    """As many workers as cores, but no more than ``share`` of ``memory`` can hold at once."""
    if memory is None:
        return max(1, cores)
    return max(1, min(cores, int(memory * share) // conversion_memory(weight_bytes)))
