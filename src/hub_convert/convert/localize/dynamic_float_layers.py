"""What would fix a drifting dynamic-range file, measured with ai-edge-quantizer: its recipe
quantizes a float TFLite file per op name, so the worst layers can be left in float.

TensorFlow's converter has no such list for dynamic range; the proposal is therefore a file
ai-edge-quantizer makes from the float32 conversion (``dynamic_wi8_afp32``, its own dynamic
recipe), first as is, then with the 1, 2, … worst layers left in float.
"""

from __future__ import annotations

import contextlib
import io
import re

from ...report.localization import MAX_LAYERS_SHOWN, KeepInFloat, LayerError
from ..samples import Samples
from ..targets.tflite_saved_model import converter_for
from ..targets.tflite_variants import configure
from .proposal_check import measure
from .spec import LocalizeSpec

QUANTIZER = "ai-edge-quantizer's dynamic_wi8_afp32 on the float32 file"


def keep_in_float_dynamic(spec: LocalizeSpec, worst: list[LayerError]) -> KeepInFloat | None:
    """The fewest of ``worst`` left in float by ai-edge-quantizer that pass the artifact's
    tolerance (none, when its recipe passes as is); None without the fixed-shape export."""
    from ai_edge_quantizer import quantizer, recipe  # type: ignore[import-untyped]
    from ai_edge_quantizer.algorithm_manager import (  # type: ignore[import-untyped]
        AlgorithmName,
    )
    from ai_edge_quantizer.qtyping import TFLOperationName  # type: ignore[import-untyped]

    if spec.fixed_shape_dir is None:
        return None
    converter = converter_for(spec.fixed_shape_dir, spec.signature, {"serve"})
    configure(converter, "float32", False, None, False)
    float_model = bytes(converter.convert())
    samples = Samples.load(spec.samples_path)
    layers = [layer for layer in worst if layer.tensor and layer.introduced > 0]
    result: KeepInFloat | None = None
    for count in range(min(len(layers), MAX_LAYERS_SHOWN) + 1):
        kept = layers[:count]
        making = quantizer.Quantizer(float_model)
        making.load_quantization_recipe(recipe.dynamic_wi8_afp32())
        for layer in kept:
            making.update_quantization_recipe(
                regex=_scope(layer.tensor or ""),
                operation_name=TFLOperationName.ALL_SUPPORTED,
                algorithm_key=AlgorithmName.NO_QUANTIZE,
            )
        with contextlib.redirect_stdout(io.StringIO()):  # it prints a size summary
            model = bytes(making.quantize().quantized_model)
        result = measure(spec, model, samples, [layer.node for layer in kept], count + 1)
        result.quantizer = QUANTIZER
        if result.within_tolerance:
            break
    return result


def _scope(tensor: str) -> str:
    """The op's scope as ai-edge-quantizer matches it (its output tensor names, each ended by
    ``;``), any uniquing digits on."""
    return "^" + re.escape(re.sub(r"\d+$", "", tensor)) + r"\d*;$"
