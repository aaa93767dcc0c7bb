"""Everything that can be wrong with a TF.js model without running TensorFlow, checked up front.

``check_tfjs`` runs in the main process: bad input exits 2 before any worker is spawned.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...errors import BadInputError
from ...report.source_info import UnsafeOp
from ...safety.graph_scan import json_graph, scan_graph
from ..keras_config import unsafe_layers
from . import topology as topo
from .model_json import GRAPH_MODEL, ModelJson, find_model_json, parse_model_json
from .weights import WeightGroup, check_shards, describe, parse_manifest

# Keras config "module" values that only name Keras itself; anything else could make the
# deserializer import an arbitrary Python module.
_KERAS_MODULES = ("keras", "tf_keras")


@dataclass(frozen=True)
class TfjsInfo:
    """What the checks learned: enough for the report before TensorFlow runs."""

    model_json: Path
    format: str
    generated_by: str
    converted_by: str
    size_bytes: int  # model.json plus every weight shard
    weights: str  # e.g. "12 weights, 3 shards, 2 groups, uint8/float16 quantized"
    unsafe_ops: tuple[UnsafeOp, ...] = ()  # ops that reach files, the network or Python

    def provenance(self) -> dict[str, str]:
        """Report strings, in the order they read best."""
        entries = {
            "format": self.format,
            "generatedBy": self.generated_by,
            "convertedBy": self.converted_by,
            "weights": self.weights,
        }
        return {k: v for k, v in entries.items() if v}


@dataclass(frozen=True)
class CheckedModel:
    """A parsed model.json whose weights were found complete; what a materializer needs."""

    model: ModelJson
    groups: list[WeightGroup]
    info: TfjsInfo


def _check_graph_model(model: ModelJson, groups: list[WeightGroup]) -> None:
    if not isinstance(model.topology.get("node"), list):
        raise BadInputError(f"{model.path}: modelTopology has no 'node' list (not a GraphDef)")
    initializer = model.initializer or {}
    if initializer.get("node") is not None and not isinstance(initializer.get("node"), list):
        raise BadInputError(f"{model.path}: modelInitializer has no 'node' list (not a GraphDef)")
    names = {spec.name for group in groups for spec in group.weights}
    missing = topo.constants_without_weights(model.topology, names)
    missing += topo.constants_without_weights(initializer, names)
    if missing:
        shown = ", ".join(repr(n) for n in missing[:3]) + (" ..." if len(missing) > 3 else "")
        raise BadInputError(
            f"{model.path}: the graph needs {len(missing)} weight(s) that weightsManifest "
            f"lacks: {shown}; re-export the model or restore model.json"
        )


def _check_layers_model(model: ModelJson) -> None:
    config = topo.keras_model_config(model.topology)
    if config is None:
        raise BadInputError(
            f"{model.path}: modelTopology has no Keras model config "
            "('model_config' or 'class_name'); re-export the model with tensorflowjs"
        )
    for obj in topo.keras_objects(config):
        if obj["class_name"] == "Lambda":
            # A Lambda layer carries Python bytecode: loading it would run code from the file.
            raise BadInputError(
                f"{model.path}: layer {topo.object_name(obj)!r} is a Lambda layer (arbitrary "
                "Python code), which hub-convert refuses to load; replace it with built-in layers"
            )
        module = obj.get("module")
        if isinstance(module, str) and module.split(".")[0] not in _KERAS_MODULES:
            raise BadInputError(
                f"{model.path}: {obj['class_name']} {topo.object_name(obj)!r} comes from "
                f"module {module!r}; only built-in Keras layers can be loaded"
            )


def load_checked(path: Path) -> CheckedModel:
    """Parse and check the model at ``path`` (model.json, model.json.gz or their directory)."""
    model_json = find_model_json(path)
    model = parse_model_json(model_json)
    groups = parse_manifest(model_json, model.manifest)
    shard_bytes = check_shards(model_json, groups)
    if model.format == GRAPH_MODEL:
        _check_graph_model(model, groups)
        unsafe = scan_graph(json_graph(model.topology), "tfjs")
        if model.initializer:  # what runs at load is scanned as what runs at inference
            unsafe += scan_graph(json_graph(model.initializer), "tfjs")
    else:
        _check_layers_model(model)
        unsafe = unsafe_layers(topo.keras_model_config(model.topology))
    info = TfjsInfo(
        model_json=model_json,
        format=model.format,
        generated_by=model.generated_by,
        converted_by=model.converted_by,
        size_bytes=model_json.stat().st_size + shard_bytes,
        weights=describe(groups),
        unsafe_ops=tuple(unsafe),
    )
    return CheckedModel(model, groups, info)


def check_tfjs(path: Path) -> TfjsInfo:
    """Check a TF.js model without TensorFlow; raise BadInputError naming the file and problem.

    Verifies that model.json parses (gzip-compressed too), its format is known, every shard
    exists inside the model directory with exactly the bytes the manifest implies, every
    dtype and quantization is known, a graph model's constants all have weights, and a
    layers model has no Lambda layer. Unsafe ops are listed, not refused: run/session.py
    decides (``--allow-unsafe-ops``).
    """
    return load_checked(path).info
