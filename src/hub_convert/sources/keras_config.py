"""Keras layers whose config reaches files, the network or Python at load time. No TensorFlow.

Lambda layers and classes from outside Keras run code and are refused by ``keras_inspect.py``
(``--allow-unsafe``). These are built-in layers that do the same through TensorFlow, so they
are unsafe ops (``--allow-unsafe-ops``), found in ``.keras`` / ``.h5`` configs and TF.js
layers models before anything loads them:

- ``TFOpLambda`` / ``SlicingOpLambda`` (Keras 2 / tf_keras): call the TensorFlow API symbol
  named in the config while the model is rebuilt and whenever it runs; those off the
  allow-list of tensor operations (safety/tf_api.py), e.g. ``io.write_file``, are findings;
- ``TFSMLayer`` (Keras 3): loads a SavedModel from a path named in the config, whose graph
  no scan of this file can see;
- lookup layers (``StringLookup``, ``IntegerLookup``, ``TextVectorization``) whose
  ``vocabulary`` is a string: a file path, read when the layer is built.

The exported SavedModel is scanned again (graph_scan.py), so an op that gets past here is
still refused before the model runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..report.source_info import UnsafeOp
from ..safety.tf_api import tf_api_effect

_OP_LAMBDAS = ("TFOpLambda", "SlicingOpLambda")
_VOCABULARY_LAYERS = ("StringLookup", "IntegerLookup", "TextVectorization")


def _objects(config: Any) -> Iterator[dict[str, Any]]:
    """Every serialized Keras object (a dict with a ``class_name``), depth first."""
    if isinstance(config, dict):
        if isinstance(config.get("class_name"), str):
            yield config
        for value in config.values():
            yield from _objects(value)
    elif isinstance(config, list):
        for value in config:
            yield from _objects(value)


def _finding(obj: dict[str, Any], op: str, effect: Any) -> UnsafeOp:
    inner = obj.get("config")
    name = inner.get("name") if isinstance(inner, dict) else None
    return UnsafeOp(op=op, node=str(name or obj["class_name"]), effect=effect, found_in="keras")


def unsafe_layers(config: Any) -> list[UnsafeOp]:
    """The layers of a Keras model config (nested models included) that reach outside it.

    ``config`` must already be depth-checked (safe_read.parse_json): this walk recurses.
    """
    findings = []
    for obj in _objects(config):
        class_name = obj["class_name"]
        raw = obj.get("config")
        inner: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if class_name in _OP_LAMBDAS:
            symbol = str(inner.get("function", ""))
            effect = tf_api_effect(symbol)
            if effect is not None:
                findings.append(_finding(obj, f"{class_name}(tf.{symbol})", effect))
        elif class_name == "TFSMLayer":
            findings.append(_finding(obj, "TFSMLayer", "runs a graph this scan cannot see"))
        elif class_name in _VOCABULARY_LAYERS and isinstance(inner.get("vocabulary"), str):
            findings.append(_finding(obj, f"{class_name}(vocabulary file)", "reads files"))
    return findings
