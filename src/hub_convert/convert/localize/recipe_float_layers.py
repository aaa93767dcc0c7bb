"""What would fix a drifting dynamic-range or float16 file, measured with ai-edge-quantizer:
its recipes quantize a float TFLite file per op name, so the worst layers can be left in float.

TensorFlow's converter takes no list of layers to leave alone for these two variants; the
proposal is therefore a file ai-edge-quantizer makes from the float32 conversion with its own
recipe for the variant, the one that derives the run's own file (targets/tflite_derive.py: int8
dynamic range leaving small weights in float32 as TensorFlow does; float16 weights by
``FLOAT_CASTING``), first as is, then with the 1, 2, … worst layers left in float32
(``NO_QUANTIZE``).
"""

from __future__ import annotations

import contextlib
import io
import re
from typing import Any

from ...report.localization import MAX_LAYERS_SHOWN, KeepInFloat, LayerError
from ..samples import Samples
from ..targets.tflite_derive import RECIPES
from ..targets.tflite_saved_model import converter_for
from ..targets.tflite_variants import configure
from .proposal_check import measure
from .spec import LocalizeSpec

QUANTIZERS = {
    "dynamic": "ai-edge-quantizer's dynamic_legacy_wi8_afp32 on the float32 file",
    "float16": "ai-edge-quantizer's float16 weights (FLOAT_CASTING) on the float32 file",
}


def keep_in_float_by_recipe(spec: LocalizeSpec, worst: list[LayerError]) -> KeepInFloat | None:
    """The fewest of ``worst`` left in float by ai-edge-quantizer (with its recipe for
    ``spec.variant``: dynamic or float16) that pass the artifact's tolerance (none, when the
    recipe passes as is); None without the fixed-shape export."""
    from ai_edge_quantizer import quantizer  # type: ignore[import-untyped]
    from ai_edge_quantizer.algorithm_manager import (  # type: ignore[import-untyped]
        AlgorithmName,
    )
    from ai_edge_quantizer.qtyping import TFLOperationName  # type: ignore[import-untyped]

    if spec.fixed_shape_dir is None:
        return None
    make_recipe = RECIPES[spec.variant]
    float_model = _float32_model(spec)
    samples = Samples.load(spec.samples_path)
    layers = [layer for layer in worst if layer.tensor and layer.introduced > 0]
    result: KeepInFloat | None = None
    for count in range(min(len(layers), MAX_LAYERS_SHOWN) + 1):
        kept = layers[:count]
        making = quantizer.Quantizer(float_model)
        making.load_quantization_recipe(make_recipe())
        for layer in kept:
            making.update_quantization_recipe(
                regex=_scope(layer.tensor or ""),
                operation_name=TFLOperationName.ALL_SUPPORTED,
                algorithm_key=AlgorithmName.NO_QUANTIZE,
            )
        # it prints a size summary; numpy warns of the very overflow being fixed
        with contextlib.redirect_stdout(io.StringIO()), _numpy_quiet():
            model = bytes(making.quantize().quantized_model)
        result = measure(spec, model, samples, [layer.node for layer in kept], count + 1)
        result.quantizer = QUANTIZERS[spec.variant]
        if result.within_tolerance:
            break
    return result


def _float32_model(spec: LocalizeSpec) -> bytes:
    """The run's float32 file when it has one (the same conversion), else converted now."""
    if spec.float32_path is not None and spec.float32_path.is_file():
        return spec.float32_path.read_bytes()
    assert spec.fixed_shape_dir is not None
    converter = converter_for(spec.fixed_shape_dir, spec.signature, {"serve"})
    configure(converter, "float32", False, None, False)
    return bytes(converter.convert())


def _numpy_quiet() -> contextlib.AbstractContextManager[Any]:
    import numpy as np

    return np.errstate(over="ignore")


def _scope(tensor: str) -> str:
    """The op's scope as ai-edge-quantizer matches it (its output tensor names, each ended by
    ``;``), any uniquing digits on."""
    return "^" + re.escape(re.sub(r"\d+$", "", tensor)) + r"\d*;$"
