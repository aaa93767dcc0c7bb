"""TF.js layers models made by tfjs-layers (tests/data/tfjs/make_fixtures.mjs): the names the
model.json shows, and custom layers written in JavaScript.

``layers_names`` has inputs ``LR`` and ``HR`` and output ``SR``: they keep that case in the
rebuilt SavedModel, ``--input-shape LR=...`` is accepted and the report shows ``LR``, as for
the ``.h5`` of the same model (they used to become ``lr``, and ``--input-shape LR=`` was
refused). ``layers_custom`` registers two layer classes in JavaScript (``TimesTwo``,
``AddOne``); tf_keras used to fail with "'str' object is not callable", and now the message
names both classes and what to do.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hub_convert.errors import BadInputError
from hub_convert.sources import resolve
from hub_convert.sources.tfjs import check_tfjs
from support.cli import run_cli
from support.paths import DATA

NAMES = DATA / "tfjs" / "layers_names"
CUSTOM = DATA / "tfjs" / "layers_custom"


def _recorded(directory: Path, side: str) -> dict[str, np.ndarray]:
    io = json.loads((directory / "io.json").read_text())
    return {e["name"]: np.load(directory / e["file"], allow_pickle=False) for e in io[side]}


def test_fixtures_are_what_the_readme_says() -> None:
    names = json.loads((NAMES / "model.json").read_text())["modelTopology"]["config"]
    assert [i[0] for i in names["input_layers"]] == ["LR", "HR"]
    assert [o[0] for o in names["output_layers"]] == ["SR"]
    custom = json.loads((CUSTOM / "model.json").read_text())["modelTopology"]["config"]
    classes = [layer["class_name"] for layer in custom["layers"]]
    assert classes == ["InputLayer", "Dense", "TimesTwo", "AddOne", "Dense"]
    # Nothing the main process checks rejects it: only tf_keras finds the classes unknown.
    assert check_tfjs(CUSTOM / "model.json").format == "layers-model"


@pytest.mark.tf
def test_names_keep_the_case_the_model_shows(tmp_path: Path) -> None:
    import tensorflow as tf

    source = resolve(str(NAMES / "model.json"), work_dir=tmp_path)
    assert source.materializer is not None
    source.materializer(source.saved_model_dir)
    serving = tf.saved_model.load(str(source.saved_model_dir)).signatures["serving_default"]
    assert set(serving.structured_input_signature[1]) == {"LR", "HR"}
    assert set(serving.structured_outputs) == {"SR"}
    got = serving(**_recorded(NAMES, "inputs"))["SR"].numpy()
    np.testing.assert_allclose(got, _recorded(NAMES, "outputs")["SR"], atol=1e-5, rtol=1e-4)


@pytest.mark.tf
def test_input_shape_takes_the_names_the_model_shows(tmp_path: Path) -> None:
    run = run_cli(
        "convert", NAMES / "model.json", "--output-dir", tmp_path / "out",
        "--input-shape", "LR=3x6", "--input-shape", "HR=3x4",
        "--tflite-variants", "float32", "--latency-runs", "0",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    source = run.report["source"]
    assert {i["name"]: i["validation_shape"] for i in source["inputs"]} == {
        "LR": [3, 6],
        "HR": [3, 4],
    }
    assert [o["name"] for o in source["outputs"]] == ["SR"]
    for target in ("tflite", "onnx"):
        assert run.artifact(target, "float32")["status"] == "passed"


@pytest.mark.tf
def test_custom_javascript_layers_are_named(tmp_path: Path) -> None:
    source = resolve(str(CUSTOM / "model.json"), work_dir=tmp_path)
    assert source.materializer is not None
    with pytest.raises(BadInputError) as raised:
        source.materializer(source.saved_model_dir)
    message = str(raised.value)
    assert "'TimesTwo' (layer 'times_two'), 'AddOne' (layer 'add_one')" in message
    assert "not callable" not in message and "write them as Keras layers" in message


@pytest.mark.tf
def test_custom_javascript_layers_exit_2_with_one_line(tmp_path: Path) -> None:
    run = run_cli("convert", CUSTOM / "model.json", "--output-dir", tmp_path / "out")
    assert run.exit_code == 2
    errors = [line for line in run.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "'TimesTwo'" in errors[0] and "'AddOne'" in errors[0]
    assert "Traceback" not in run.stderr
