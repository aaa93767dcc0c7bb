"""TF.js graph models with a ``modelInitializer``: hash tables TF.js fills at load.

``graph_table`` was written by the real tensorflowjs converter (4.22.0) from a TF2
SavedModel whose ``tf.lookup.StaticHashTable`` maps ids 3, 5, 7, 11 to a gain
(make_graph_table.py), and run by TF.js (make_fixtures.mjs writes io.json). hub-convert
used to refuse every such model; the table now becomes the SavedModel's own table, filled
by its initializer when the SavedModel loads, and the model computes what TF.js computed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hub_convert.errors import BadInputError
from hub_convert.sources import resolve
from hub_convert.sources.tfjs import check_tfjs
from support.paths import DATA

TABLE = DATA / "tfjs" / "graph_table"


def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((TABLE / "model.json").read_text())
    return document


def _arrays(side: str) -> dict[str, np.ndarray]:
    io = json.loads((TABLE / "io.json").read_text())
    return {e["name"]: np.load(TABLE / e["file"], allow_pickle=False) for e in io[side]}


def _materialize(model_json: Path, work_dir: Path) -> Any:
    import tensorflow as tf

    source = resolve(str(model_json), work_dir=work_dir)
    assert source.materializer is not None
    source.materializer(source.saved_model_dir)
    return tf.saved_model.load(str(source.saved_model_dir)).signatures["serving_default"]


def test_fixture_is_what_the_readme_says() -> None:
    document = _document()
    assert document["convertedBy"] == "TensorFlow.js Converter v4.22.0"
    ops = {n["op"] for n in document["modelInitializer"]["node"]}
    assert {"HashTableV2", "LookupTableImportV2"} <= ops
    assert "LookupTableFindV2" in {n["op"] for n in document["modelTopology"]["node"]}
    (output,) = document["initializerSignature"]["outputs"].values()
    resources = [e for e in document["signature"]["inputs"].values() if "resourceId" in e]
    assert [e["resourceId"] for e in resources] == [output["resourceId"]]
    ids = _arrays("inputs")["ids"]
    assert {3, 5, 7, 11} & set(ids.tolist()) and {0, 4} & set(ids.tolist())  # in and not


def test_a_model_initializer_passes_the_checks() -> None:
    info = check_tfjs(TABLE / "model.json")
    assert info.format == "graph-model" and not info.unsafe_ops


@pytest.mark.tf
def test_the_table_is_filled_and_computes_what_tfjs_computed(tmp_path: Path) -> None:
    serving = _materialize(TABLE / "model.json", tmp_path)
    spec = serving.structured_input_signature[1]
    assert set(spec) == {"x", "ids"}  # the table handle is no input: the model holds it
    inputs = _arrays("inputs")
    ids = inputs["ids"].astype(np.int64)  # TF.js has no int64; the graph's input is int64
    got = serving(x=inputs["x"], ids=ids)["y"].numpy()
    want = _arrays("outputs")["Identity"]
    np.testing.assert_allclose(got, want, atol=1e-6, rtol=1e-5)
    # Guard: without the table's gains (all ids missing: default 1) the outputs differ.
    plain = serving(x=inputs["x"], ids=np.full_like(ids, 1000))["y"].numpy()
    assert not np.allclose(plain, want, atol=1e-3)


@pytest.mark.tf
def test_an_initializer_that_fills_no_hash_table_is_named(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(TABLE, copy)
    document = _document()
    (output,) = document["initializerSignature"]["outputs"].values()
    output["name"] = "291:0"  # a constant (the keys), not the table
    (copy / "model.json").write_text(json.dumps(document))
    with pytest.raises(BadInputError, match=r"output '291:0' is a Const, not a hash table"):
        _materialize(copy / "model.json", tmp_path / "work")
