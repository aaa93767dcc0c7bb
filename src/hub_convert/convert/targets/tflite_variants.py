"""What each TFLite variant asks of the converter, and what it promises about its weights."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def _representative_dataset(calibration_path: Path) -> Callable[[], Iterator[dict[str, Any]]]:
    from ..samples import Samples

    calibration = Samples.load(calibration_path)

    def generate() -> Iterator[dict[str, Any]]:
        yield from calibration.inputs

    return generate


def configure(
    converter: Any,
    variant: str,
    select_tf_ops: bool,
    calibration_path: Path | None,
    int8_io: bool,
) -> None:
    """Set ``converter`` up for ``variant``: optimizations, calibration, the op sets allowed
    (builtins, with Flex when ``select_tf_ops``); ``int8-mixed`` only calibrates."""
    import tensorflow as tf

    builtins = tf.lite.OpsSet.TFLITE_BUILTINS
    if variant == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif variant == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif variant in ("int8", "int16x8", "int8-mixed"):
        if calibration_path is None:
            raise ValueError(f"the {variant} variant needs calibration samples")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = _representative_dataset(calibration_path)
        if variant == "int8-mixed":
            # Calibrated, not quantized (the QuantizationDebugger's switch): the file is
            # quantized afterwards, with chosen layers left in float (localize/int8_mixed.py).
            converter.experimental_mlir_quantizer = True
            converter._experimental_calibrate_only = True
        elif variant == "int8":
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
    "int8-mixed": ("INT8", "no weight tensor is stored as int8"),
}


def weight_notes(variant: str, weight_types: dict[str, int]) -> list[str]:
    """A note when a reduced-precision variant holds no weight of its promised type."""
    expected = _EXPECTED_WEIGHT_TYPE.get(variant)
    if expected is None or not weight_types or expected[0] in weight_types:
        return []
    return [expected[1]]
