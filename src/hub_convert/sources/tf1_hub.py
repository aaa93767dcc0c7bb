"""TF1 Hub format (``hub.Module`` era) detection. No TensorFlow.

A TF1 Hub module is a SavedModel whose inference graph sits under the empty tag set (a
second, ``train`` tag set is common) with its main signature called ``default``; the
library that wrote it always adds ``tfhub_module.pb`` (a serialized ``ModuleDef`` proto
saying FORMAT_V3) beside ``saved_model.pb``. That file is the detection signal: reading the
tags out of ``saved_model.pb`` needs TensorFlow's protobuf classes, which import TensorFlow.

Loading needs nothing special: ``tf.saved_model.load(dir, tags=[])`` and the ``default``
signature (what ``tfmodel`` does with the defaults below).
"""

from __future__ import annotations

from pathlib import Path

MODULE_DEF_FILE = "tfhub_module.pb"
TAGS: tuple[str, ...] = ()  # the empty tag set: the module's inference graph
SIGNATURE = "default"


def is_tf1_hub_module(path: Path) -> bool:
    """True for a directory written by TF1 ``hub.Module`` export (has ``tfhub_module.pb``)."""
    return (path / MODULE_DEF_FILE).is_file()
