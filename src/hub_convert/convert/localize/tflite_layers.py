"""Every op output of a .tflite file on one sample, with LiteRT's reference kernels.

LiteRT names a tensor after the TF nodes its op was fused from, ``;``-joined. Keeping every
tensor can itself change the outputs (reported upstream), so the kept-tensors run's outputs
are checked against a clean run's and a difference is said.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .converted import ConvertedRun, ConvertedTensor


def run_tflite(path: Path, sample: dict[str, np.ndarray]) -> ConvertedRun:
    """Run ``path`` on ``sample`` keeping every intermediate tensor (dequantized)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    def open_file(keep: bool) -> tuple[Any, Any]:
        interpreter = Interpreter(
            model_path=str(path),
            experimental_preserve_all_tensors=keep,
            experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        )
        signature = next(iter(interpreter.get_signature_list()))
        return interpreter, interpreter.get_signature_runner(signature)

    interpreter, runner = open_file(keep=True)
    kept_outputs = _run(runner, sample)
    clean = _run(open_file(keep=False)[1], sample)
    details = {d["index"]: d for d in interpreter.get_tensor_details()}
    graph_inputs = [str(d["index"]) for d in interpreter.get_input_details()]
    activations = set(graph_inputs)
    tensors: list[ConvertedTensor] = []
    for op in interpreter._get_ops_details():  # the only listing of ops and their tensors
        reads = [str(i) for i in op["inputs"] if str(i) in activations]
        if not reads:
            continue  # a constant folded at run time (a weight's DEQUANTIZE)
        for position, index in enumerate(op["outputs"]):
            if int(index) < 0:  # an optional output left out
                continue
            detail = details[int(index)]
            try:
                value = _dequantized(interpreter.get_tensor(int(index)), detail)
            except ValueError:
                continue
            activations.add(str(index))
            # The original's side is each node's first output: a second output (UNPACK, SPLIT)
            # is carried for what it feeds, not matched.
            names = [n for n in str(detail["name"]).split(";") if n] if position == 0 else []
            tensors.append(
                ConvertedTensor(
                    str(index), names, str(op["op_name"]), reads, value, name=str(detail["name"])
                )
            )
    notes = []
    if any(not np.array_equal(clean[k], kept_outputs[k], equal_nan=True) for k in clean):
        notes.append(
            "keeping every tensor changed the file's own outputs (LiteRT's reference kernels): "
            "the layer data below is advice"
        )
    return ConvertedRun(tensors, graph_inputs, notes)


def _run(runner: Any, sample: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    fed = {}
    for name, detail in runner.get_input_details().items():
        value = sample[name]
        scale, zero_point = detail.get("quantization", (0.0, 0))
        if scale and np.issubdtype(np.dtype(detail["dtype"]), np.integer):
            info = np.iinfo(np.dtype(detail["dtype"]))
            value = np.clip(np.round(value / scale) + zero_point, info.min, info.max)
        fed[name] = np.asarray(value).astype(detail["dtype"])
    outputs = runner(**fed)
    result = {}
    for name, value in outputs.items():
        detail = runner.get_output_details()[name]
        result[name] = _dequantized(np.array(value), detail)
    return result


def _dequantized(value: np.ndarray, detail: dict[str, Any]) -> np.ndarray:
    scale, zero_point = detail.get("quantization", (0.0, 0))
    if scale and np.issubdtype(value.dtype, np.integer):
        return np.asarray((value.astype(np.float32) - zero_point) * scale)
    return np.array(value)
