"""What would fix a drifting int8 file, measured: its worst layers kept in float.

The model is calibrated once (the int8 conversion keeps the model its converter calibrated
before quantizing; otherwise the converter's calibrate-only mode, as TensorFlow's
QuantizationDebugger does), then quantized again with the 1, 2, … worst layers denylisted
(``denylisted_nodes``: an op's output tensor name in the calibrated model), each file validated
on the samples like the artifact; the first that passes is the proposal. The ``int8-mixed``
variant is the same search, its file written (convert/localize/int8_mixed.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...report.localization import MAX_LAYERS_SHOWN, KeepInFloat, LayerError
from ..samples import Samples
from ..targets.tflite_saved_model import converter_for
from ..targets.tflite_variants import configure
from .proposal_check import measure
from .spec import LocalizeSpec

_UNIQUING_DIGITS = re.compile(r"\d+$")  # MLIR's suffix on a name already taken
QUANTIZER = "TensorFlow's quantizer, same calibration"


@dataclass
class FloatLayersFile:
    """One re-quantized file, as measured."""

    model: bytes
    measured: KeepInFloat


def keep_in_float(spec: LocalizeSpec, worst: list[LayerError]) -> KeepInFloat | None:
    """The fewest of ``worst`` (most error first) kept in float that bring the file within
    its tolerance, or the most tried when none does; None when nothing can be tried."""
    if spec.calibration_path is None or spec.fixed_shape_dir is None:
        return None
    layers = candidates(worst)
    if not layers:
        return None
    if spec.calibrated_path is not None and spec.calibrated_path.is_file():
        calibrated = spec.calibrated_path.read_bytes()  # the conversion's own calibration
    else:
        calibrated = calibrate(spec.fixed_shape_dir, spec.signature, spec.calibration_path)
    tried = fewest_in_float(spec, calibrated, layers)
    return tried[-1].measured if tried else None


def candidates(worst: list[LayerError]) -> list[LayerError]:
    """The layers worth keeping in float: named in the file, and adding error."""
    return [layer for layer in worst if layer.tensor and layer.introduced > 0]


def calibrate(fixed_shape_dir: Path, signature: str, calibration_path: Path) -> bytes:
    """The float model with every activation's range recorded, not yet quantized."""
    converter = converter_for(fixed_shape_dir, signature, {"serve"})
    configure(converter, "int8-mixed", False, calibration_path, False)
    return bytes(converter.convert())


def requantize(calibrated: bytes, in_float: list[str], int8_io: bool) -> bytes:
    """``calibrated`` quantized to int8, the ops whose output tensors ``in_float`` names
    left in float."""
    import tensorflow as tf
    from tensorflow.lite.python import convert

    io_type = tf.int8 if int8_io else tf.float32
    model: Any = convert.mlir_quantize(
        calibrated,
        fully_quantize=int8_io,
        input_data_type=io_type,
        output_data_type=io_type,
        denylisted_nodes=in_float,
    )
    return bytes(model)


def fewest_in_float(
    spec: LocalizeSpec, calibrated: bytes, layers: list[LayerError]
) -> list[FloatLayersFile]:
    """The files tried, 1, 2, … of ``layers`` kept in float, up to the first that passes."""
    outputs = _op_outputs(calibrated)
    samples = Samples.load(spec.samples_path)
    tried: list[FloatLayersFile] = []
    for count in range(1, min(len(layers), MAX_LAYERS_SHOWN) + 1):
        kept = layers[:count]
        names = [name for layer in kept for name in _matching(layer.tensor or "", outputs)]
        model = requantize(calibrated, names, spec.int8_io)
        result = measure(spec, model, samples, [layer.node for layer in kept], count)
        result.quantizer = QUANTIZER
        tried.append(FloatLayersFile(model, result))
        if result.within_tolerance:
            break
    return tried


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
