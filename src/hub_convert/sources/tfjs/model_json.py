"""Find, read and validate a TF.js ``model.json`` (plain or gzip-compressed). No TensorFlow.

The file format is TF.js's ``ModelJSON`` (tfjs-core/src/io/types.ts): ``modelTopology``,
``weightsManifest``, and optionally ``format``, ``generatedBy``, ``convertedBy``,
``signature``, ``userDefinedMetadata`` and ``modelInitializer``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import BadInputError
from ...safety.safe_read import MAX_JSON_BYTES, parse_json, read_maybe_gzipped
from .string_attrs import with_base64_strings

GRAPH_MODEL = "graph-model"
LAYERS_MODEL = "layers-model"
MODEL_JSON_NAMES = ("model.json", "model.json.gz")


@dataclass(frozen=True)
class ModelJson:
    """The parts of a model.json that hub-convert uses, checked for shape and type."""

    path: Path
    format: str  # GRAPH_MODEL or LAYERS_MODEL
    topology: dict[str, Any]
    manifest: list[Any]  # raw weightsManifest; weights.parse_manifest checks it
    generated_by: str
    converted_by: str
    signature: dict[str, Any] | None
    initializer: dict[str, Any] | None
    initializer_signature: dict[str, Any] | None = None  # its outputs: table handles

    @property
    def base_dir(self) -> Path:
        """Weight paths in the manifest are relative to the model.json's directory."""
        return self.path.parent


def looks_like_tfjs(path: Path) -> bool:
    """True for a ``*.json`` / ``*.json.gz`` file, or a directory holding ``model.json(.gz)``.

    Any ``.json`` file counts because TF.js models are often named otherwise
    (``model-stride16.json``); ``check_tfjs`` then says precisely what is wrong with it.
    """
    if path.is_dir():
        return any((path / name).is_file() for name in MODEL_JSON_NAMES)
    name = path.name.lower()
    return path.is_file() and (name.endswith(".json") or name.endswith(".json.gz"))


def find_model_json(path: Path) -> Path:
    """The model.json file that ``path`` (a file, or a directory holding one) names."""
    if path.is_dir():
        for name in MODEL_JSON_NAMES:
            if (path / name).is_file():
                return path / name
        raise BadInputError(
            f"{path}: directory has no model.json; pass the TF.js model.json or its directory"
        )
    if not path.is_file():
        raise BadInputError(f"{path}: no such file; pass a TF.js model.json or its directory")
    return path


def read_json(path: Path) -> Any:
    """Parse ``path`` as JSON, gunzipping it first when it is gzip-compressed.

    Bounded (safe_read.py): at most ``MAX_JSON_BYTES`` read or inflated, nesting counted
    before parsing.
    """
    raw = read_maybe_gzipped(path, MAX_JSON_BYTES, str(path))
    return parse_json(
        raw, str(path), what="a TF.js model.json", fix="re-export the model with tensorflowjs"
    )


def detect_format(path: Path, document: dict[str, Any], topology: dict[str, Any]) -> str:
    """``graph-model`` or ``layers-model``: the ``format`` field, else guessed from the topology
    the way files written before TF.js 1.0 (which had no ``format``) must be read."""
    declared = document.get("format")
    if declared is not None:
        if declared in (GRAPH_MODEL, LAYERS_MODEL):
            return str(declared)
        raise BadInputError(
            f"{path}: unknown format {declared!r}; hub-convert reads TF.js "
            f"{GRAPH_MODEL!r} and {LAYERS_MODEL!r} models"
        )
    if "node" in topology:
        return GRAPH_MODEL
    if "model_config" in topology or "class_name" in topology:
        return LAYERS_MODEL
    raise BadInputError(
        f"{path}: modelTopology is neither a GraphDef (no 'node') nor a Keras config "
        "(no 'model_config'/'class_name'); re-export the model with tensorflowjs"
    )


def _optional_object(path: Path, document: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = document.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadInputError(f"{path}: '{key}' is not a JSON object; fix or remove it")
    return value


def _signature(path: Path, document: dict[str, Any]) -> dict[str, Any] | None:
    """The top-level ``signature``, else one kept in ``userDefinedMetadata.signature``."""
    signature = _optional_object(path, document, "signature")
    if signature is None:
        metadata = _optional_object(path, document, "userDefinedMetadata") or {}
        candidate = metadata.get("signature")
        signature = candidate if isinstance(candidate, dict) else None
    if signature is None:
        return None
    for side in ("inputs", "outputs"):
        entries = signature.get(side, {})
        if not isinstance(entries, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("name"), str) for v in entries.values()
        ):
            raise BadInputError(
                f"{path}: signature.{side} must map each key to an object with a tensor "
                "'name'; fix or remove the signature"
            )
    return signature


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def parse_model_json(path: Path) -> ModelJson:
    """Read ``path`` (a model.json file) and check its top-level structure."""
    document = read_json(path)
    if not isinstance(document, dict):
        raise BadInputError(f"{path}: not a TF.js model.json (the JSON is not an object)")
    topology = document.get("modelTopology")
    if not isinstance(topology, dict):
        raise BadInputError(
            f"{path}: no 'modelTopology' object, so not a TF.js model.json "
            "(a weights-only manifest cannot be converted)"
        )
    manifest = document.get("weightsManifest", [])
    if not isinstance(manifest, list):
        raise BadInputError(f"{path}: 'weightsManifest' is not a list of weight groups")
    fmt = detect_format(path, document, topology)
    initializer = _optional_object(path, document, "modelInitializer")
    if fmt == GRAPH_MODEL:
        # Read once here, so that the checks, the safety scan and the rebuild all see base64.
        topology = with_base64_strings(topology)
        initializer = None if initializer is None else with_base64_strings(initializer)
    return ModelJson(
        path=path,
        format=fmt,
        topology=topology,
        manifest=manifest,
        generated_by=_text(document.get("generatedBy")),
        converted_by=_text(document.get("convertedBy")),
        signature=_signature(path, document) if fmt == GRAPH_MODEL else None,
        initializer=initializer,
        initializer_signature=_optional_object(path, document, "initializerSignature"),
    )
