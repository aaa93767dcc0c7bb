"""The worker task: one artifact localized (top-level, so the pool pickles it by name)."""

from __future__ import annotations

import time

from ...report.localization import LayerError, Localization
from ..samples import Samples
from .float_layers import keep_in_float
from .layer_errors import measure_layers, most_error_first, summarize
from .node_data import node_data_json
from .onnx_layers import run_onnx
from .op_kinds import WEIGHTED_TFLITE_OPS
from .recipe_float_layers import keep_in_float_by_recipe
from .reference_tensors import load_reference
from .spec import LocalizeSpec
from .tflite_layers import run_tflite


def localize_artifact(spec: LocalizeSpec) -> Localization:
    """Where ``spec.path`` drifts from the original, on validation sample 0; a failure is
    reported in ``error``, never raised (the localization is advice)."""
    began = time.perf_counter()
    try:
        sample = Samples.load(spec.samples_path).inputs[0]
        run = (run_tflite if spec.target == "tflite" else run_onnx)(spec.path, sample)
        reference = load_reference(spec.saved_model_dir, spec.signature)
        layers = measure_layers(run, reference, sample, spec.tolerance)
        result = summarize(layers, run)
        if spec.node_data_path is not None and layers:
            spec.node_data_path.write_text(node_data_json(layers), encoding="utf-8")
        if result.first_over is not None:
            weighted = [x for x in most_error_first(layers) if x.op in WEIGHTED_TFLITE_OPS]
            _propose_a_fix(spec, result, weighted)
    except Exception as exc:  # advice only: any failure is said, the run goes on
        result = Localization(tensors=0, mapped=0, error=f"{type(exc).__name__}: {exc}"[:2000])
    result.seconds = round(time.perf_counter() - began, 3)
    return result


def _propose_a_fix(spec: LocalizeSpec, result: Localization, weighted: list[LayerError]) -> None:
    """Quantized TFLite files: measure keeping the ``weighted`` layers that add the most error
    in float (advice: a failure is a note)."""
    propose = {
        "int8": keep_in_float,
        "dynamic": keep_in_float_by_recipe,
        "float16": keep_in_float_by_recipe,
    }.get(spec.variant)
    if spec.target != "tflite":
        return
    if spec.variant == "int16x8":
        result.notes.append(
            "keeping layers in float is not measured for int16x8: TensorFlow's int16x8 "
            "quantizer takes no list of layers to leave in float"
        )
    if propose is None:
        return
    try:
        result.keep_in_float = propose(spec, weighted)
    except Exception as exc:
        result.notes.append(f"keeping layers in float was not measured: {exc}"[:2000])
