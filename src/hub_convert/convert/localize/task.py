"""The worker task: a run's localizations that share a reference graph, in one task
(top-level, so the pool pickles it by name)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import numpy as np

from ...report.localization import LayerError, Localization
from ..samples import Samples
from .float_layers import keep_in_float
from .layer_errors import measure_layers, most_error_first, summarize
from .node_data import node_data_json
from .onnx_layers import run_onnx
from .op_kinds import WEIGHTED_TFLITE_OPS
from .recipe_float_layers import keep_in_float_by_recipe
from .reference_tensors import ReferenceGraph, load_reference
from .spec import LocalizeSpec
from .tflite_layers import run_tflite

_GraphKey = tuple[Path, str]


class _Shared:
    """What the localizations of one task share, each made once on first use: the validation
    samples' first input, and the frozen original per (SavedModel, signature) with the
    original's tensors fetched once per node. Its seconds are split among the files using it."""

    def __init__(self, specs: list[LocalizeSpec]) -> None:
        self.users = Counter(_graph_key(spec) for spec in specs)
        self.samples: dict[Path, dict[str, np.ndarray]] = {}
        self.references: dict[_GraphKey, ReferenceGraph | Exception] = {}
        self.seconds: dict[_GraphKey, float] = {}

    def sample(self, spec: LocalizeSpec) -> dict[str, np.ndarray]:
        if spec.samples_path not in self.samples:
            began = time.perf_counter()
            self.samples[spec.samples_path] = Samples.load(spec.samples_path).inputs[0]
            self._charge(spec, began)
        return self.samples[spec.samples_path]

    def reference(self, spec: LocalizeSpec) -> ReferenceGraph:
        key = _graph_key(spec)
        if key not in self.references:
            began = time.perf_counter()
            try:
                self.references[key] = load_reference(spec.saved_model_dir, spec.signature)
            except Exception as exc:  # every file on this graph says it
                self.references[key] = exc
            self._charge(spec, began)
        found = self.references[key]
        if isinstance(found, Exception):
            raise found
        return found

    def share_of(self, spec: LocalizeSpec) -> float:
        """This file's part of the shared seconds of its graph."""
        key = _graph_key(spec)
        return self.seconds.get(key, 0.0) / self.users[key]

    def _charge(self, spec: LocalizeSpec, began: float) -> None:
        key = _graph_key(spec)
        self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - began


def _graph_key(spec: LocalizeSpec) -> _GraphKey:
    return (spec.saved_model_dir, spec.signature)


def localize_artifacts(specs: list[LocalizeSpec]) -> list[Localization]:
    """Each of ``specs`` localized (``localize_artifact``), in order, loading each reference
    graph once; each result's seconds are its own plus its share of the loading."""
    shared = _Shared(specs)
    results: list[tuple[LocalizeSpec, Localization, float]] = []
    for spec in specs:
        began = time.perf_counter()
        before = sum(shared.seconds.values())
        result = _localize(spec, shared)
        loading = sum(shared.seconds.values()) - before
        results.append((spec, result, time.perf_counter() - began - loading))
    for spec, result, own in results:
        result.seconds = round(own + shared.share_of(spec), 3)
    return [result for _, result, _ in results]


def localize_artifact(spec: LocalizeSpec) -> Localization:
    """Where ``spec.path`` drifts from the original, on validation sample 0; a failure is
    reported in ``error``, never raised (the localization is advice)."""
    [result] = localize_artifacts([spec])
    return result


def _localize(spec: LocalizeSpec, shared: _Shared) -> Localization:
    try:
        sample = shared.sample(spec)
        run = (run_tflite if spec.target == "tflite" else run_onnx)(spec.path, sample)
        reference = shared.reference(spec)
        layers = measure_layers(run, reference, sample, spec.tolerance)
        result = summarize(layers, run)
        if spec.node_data_path is not None and layers:
            spec.node_data_path.write_text(node_data_json(layers), encoding="utf-8")
        if result.first_over is not None:
            weighted = [x for x in most_error_first(layers) if x.op in WEIGHTED_TFLITE_OPS]
            _propose_a_fix(spec, result, weighted)
    except Exception as exc:  # advice only: any failure is said, the run goes on
        result = Localization(tensors=0, mapped=0, error=f"{type(exc).__name__}: {exc}"[:2000])
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
