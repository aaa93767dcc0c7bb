"""Run a .tflite file with LiteRT's signature runner, quantizing and dequantizing as needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from . import SampleRunner


def _quantization(detail: dict[str, Any]) -> tuple[float, int] | None:
    scale, zero_point = detail.get("quantization", (0.0, 0))
    if scale and np.issubdtype(np.dtype(detail["dtype"]), np.integer):
        return float(scale), int(zero_point)
    return None


def load(path: Path) -> SampleRunner:
    """Run one sample through LiteRT's signature runner.

    Float samples for integer-quantized inputs are quantized with the input's scale and zero
    point; integer-quantized outputs are dequantized, so they compare with the float original.
    Every sample starts from a fresh state, as every call of the original does: a fused RNN's
    states are variable tensors that LiteRT otherwise carries from one invocation to the next,
    so they are reset after each.
    """
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    runner = interpreter.get_signature_runner(next(iter(interpreter.get_signature_list())))
    input_params = {
        name: (detail, _quantization(detail)) for name, detail in runner.get_input_details().items()
    }
    output_params = {
        name: _quantization(detail) for name, detail in runner.get_output_details().items()
    }

    def run(sample: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        fed = {}
        for name, (detail, params) in input_params.items():
            value = sample[name]
            if params and np.issubdtype(value.dtype, np.floating):
                scale, zero_point = params
                info = np.iinfo(np.dtype(detail["dtype"]))
                value = np.clip(np.round(value / scale) + zero_point, info.min, info.max)
                value = value.astype(detail["dtype"])
            fed[name] = value
        outputs = {}
        for name, value in runner(**fed).items():
            array = np.array(value)
            params = output_params.get(name)
            if params:
                scale, zero_point = params
                array = (array.astype(np.float32) - zero_point) * scale
            outputs[name] = array
        interpreter.reset_all_variables()  # tensors exist only after the first invocation
        return outputs

    return run
