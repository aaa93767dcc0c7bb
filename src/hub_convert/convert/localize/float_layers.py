"""What would fix a drifting int8 file, measured: its worst layers kept in float.

The model is calibrated once (the converter's calibrate-only mode, as TensorFlow's
QuantizationDebugger does), then quantized again with the 1, 2, … worst layers denylisted
(``denylisted_nodes``: an op's output tensor name in the calibrated model), each file validated
on the samples like the artifact; the first that passes is the proposal.
"""

from __future__ import annotations

import re

from ...report.localization import MAX_LAYERS_SHOWN, KeepInFloat, LayerError
from ..samples import Samples
from ..targets.tflite_saved_model import converter_for
from ..targets.tflite_variants import configure
from .proposal_check import measure
from .spec import LocalizeSpec

_UNIQUING_DIGITS = re.compile(r"\d+$")  # MLIR's suffix on a name already taken


def keep_in_float(spec: LocalizeSpec, worst: list[LayerError]) -> KeepInFloat | None:
    """The fewest of ``worst`` (most error first) kept in float that bring the file within
    its tolerance, or the most tried when none does; None when nothing can be tried."""
    import tensorflow as tf
    from tensorflow.lite.python import convert

    if spec.calibration_path is None or spec.fixed_shape_dir is None:
        return None
    layers = [layer for layer in worst if layer.tensor and layer.introduced > 0]
    if not layers:
        return None
    converter = converter_for(spec.fixed_shape_dir, spec.signature, {"serve"})
    configure(converter, spec.variant, False, spec.calibration_path, spec.int8_io)
    converter.experimental_mlir_quantizer = True
    converter._experimental_calibrate_only = True  # the QuantizationDebugger's own switch
    calibrated = converter.convert()
    outputs = _op_outputs(calibrated)
    samples = Samples.load(spec.samples_path)
    io_type = tf.int8 if spec.int8_io else tf.float32
    result: KeepInFloat | None = None
    for count in range(1, min(len(layers), MAX_LAYERS_SHOWN) + 1):
        kept = layers[:count]
        names = [name for layer in kept for name in _matching(layer.tensor or "", outputs)]
        model = convert.mlir_quantize(
            calibrated,
            fully_quantize=spec.int8_io,
            input_data_type=io_type,
            output_data_type=io_type,
            denylisted_nodes=names,
        )
        result = measure(spec, model, samples, [layer.node for layer in kept], count)
        result.quantizer = "TensorFlow's quantizer, same calibration"
        if result.within_tolerance:
            break
    return result


def _op_outputs(model: bytes) -> list[str]:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model)
    names = {d["index"]: str(d["name"]) for d in interpreter.get_tensor_details()}
    return [names[int(i)] for op in interpreter._get_ops_details() for i in op["outputs"]]


def _matching(tensor: str, outputs: list[str]) -> list[str]:
    """The calibrated model's op outputs that are ``tensor`` (names differ by a uniquing
    digit between the calibrated and the quantized file)."""
    plain = _UNIQUING_DIGITS.sub("", tensor)
    return [name for name in outputs if _UNIQUING_DIGITS.sub("", name) == plain]
