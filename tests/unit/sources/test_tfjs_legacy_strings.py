"""TF.js graph models from the 1.x converters: string attributes written as byte lists.

Those converters wrote a string attribute as its bytes (``"data_format": {"s": [78, 72, 87,
67]}``) where later ones write base64 (``"TkhXQw=="``); TF.js's loader reads both. Every such
model was refused as "modelTopology is not a valid GraphDef". Here the real graph model of
``graph_emotion`` (made by the tensorflowjs converter) is written the 1.x way, every string
attribute and string list included, and must check, rebuild and compute what TF.js computed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hub_convert.sources import resolve
from hub_convert.sources.tfjs import check_tfjs
from hub_convert.sources.tfjs.model_json import parse_model_json
from support.paths import DATA

EMOTION = DATA / "tfjs" / "graph_emotion"


def _as_byte_lists(value: Any) -> Any:
    """Every string attribute of a JSON GraphDef as a list of its bytes, the 1.x way."""
    import base64

    if isinstance(value, list):
        return [_as_byte_lists(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _as_byte_lists(v) for k, v in value.items()}
    if isinstance(value.get("s"), str):
        out["s"] = list(base64.b64decode(value["s"]))
    if isinstance(value.get("list"), dict) and isinstance(value["list"].get("s"), list):
        out["list"]["s"] = [list(base64.b64decode(s)) for s in value["list"]["s"]]
    return out


def _legacy_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "emotion_1x"
    shutil.copytree(EMOTION, copy)
    document = json.loads((copy / "emotion.json").read_text())
    nodes = document["modelTopology"]["node"]
    document["modelTopology"]["node"] = [
        {**n, "attr": _as_byte_lists(n["attr"])} if "attr" in n else n for n in nodes
    ]
    (copy / "emotion.json").write_text(json.dumps(document))
    return copy / "emotion.json"


def test_byte_lists_are_read_as_strings(tmp_path: Path) -> None:
    legacy = _legacy_copy(tmp_path)
    text = legacy.read_text()
    assert '"s": [78, 72, 87, 67]' in text  # NHWC, as the 1.x converters wrote it
    assert '"s": [[66, 105, 97, 115, 65, 100, 100]]' in text  # fused_ops ["BiasAdd"]
    assert check_tfjs(legacy).format == "graph-model"
    original = parse_model_json(EMOTION / "emotion.json").topology
    assert parse_model_json(legacy).topology == original


def test_other_lists_stay_as_they_are(tmp_path: Path) -> None:
    """Only an attribute's ``s`` is bytes; a list of ints elsewhere (strides) is left alone."""
    legacy = parse_model_json(_legacy_copy(tmp_path)).topology
    strides = [n["attr"]["strides"] for n in legacy["node"] if "strides" in n.get("attr", {})]
    assert strides and all(isinstance(s["list"]["i"], list) for s in strides)


@pytest.mark.tf
def test_a_1x_graph_model_computes_what_tfjs_computed(tmp_path: Path) -> None:
    import tensorflow as tf

    source = resolve(str(_legacy_copy(tmp_path)), work_dir=tmp_path / "work")
    assert source.materializer is not None
    source.materializer(source.saved_model_dir)
    serving = tf.saved_model.load(str(source.saved_model_dir)).signatures["serving_default"]
    io = json.loads((EMOTION / "io.json").read_text())
    x = np.load(EMOTION / io["inputs"][0]["file"], allow_pickle=False)
    want = np.load(EMOTION / io["outputs"][0]["file"], allow_pickle=False)
    (got,) = serving(input_1=x).values()
    np.testing.assert_allclose(got.numpy(), want, atol=1e-5, rtol=1e-4)
