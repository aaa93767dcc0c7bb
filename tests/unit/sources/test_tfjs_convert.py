"""TF.js models become SavedModels that compute what TF.js computes, and convert end to end.

Every expectation comes from a plain TensorFlow graph or tf_keras model that tfjs_writer
turned into TF.js files; the rebuilt SavedModel is compared with it on random inputs.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hub_convert.errors import BadInputError
from hub_convert.sources.tfjs import TfjsMaterializer
from support.cli import run_cli
from support.tfjs_writer import (
    GraphFixture,
    activation_graph,
    conv_batchnorm_graph,
    run_graph,
    string_graph,
    while_loop_graph,
    write_converted_keras_model,
    write_graph_model,
    write_layers_model,
    write_tfjs_graph,
)

pytestmark = pytest.mark.tf


def _serving(saved_model: Path) -> Any:
    import tensorflow as tf

    return tf.saved_model.load(str(saved_model)).signatures["serving_default"]


def _io(serving: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return serving.structured_input_signature[1], serving.structured_outputs


def _materialize(source: Path, target: Path) -> tuple[Any, dict[str, str]]:
    provenance = TfjsMaterializer(source)(target)
    return _serving(target), provenance


@pytest.fixture(scope="module")
def graph_model(tmp_path_factory: pytest.TempPathFactory) -> GraphFixture:
    return write_graph_model(tmp_path_factory.mktemp("tfjs") / "pose")


@pytest.fixture(scope="module")
def graph_saved_model(
    graph_model: GraphFixture, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, dict[str, str]]:
    return _materialize(graph_model.directory, tmp_path_factory.mktemp("saved") / "model")


def test_fixture_is_in_tfjs_fused_form(graph_model: GraphFixture) -> None:
    """Guard: the written model really has the TF.js ops and weight encodings under test."""
    document = json.loads(graph_model.model_json.read_text())
    nodes = document["modelTopology"]["node"]
    fused = sorted(
        (n["op"], tuple(base64.b64decode(s).decode() for s in n["attr"]["fused_ops"]["list"]["s"]))
        for n in nodes
        if "fused_ops" in n.get("attr", {})
    )
    assert fused == [
        ("FusedDepthwiseConv2dNative", ("BiasAdd", "Relu6")),
        ("_FusedConv2D", ("BiasAdd", "Prelu")),
        ("_FusedConv2D", ("BiasAdd", "Relu")),
        ("_FusedMatMul", ("BiasAdd",)),
        ("_FusedMatMul", ("BiasAdd", "LeakyRelu")),
    ]
    assert "Prelu" in {n["op"] for n in nodes}  # the standalone one, after an Add
    assert not any("TArgs" in n.get("attr", {}) for n in nodes)
    manifest = graph_model.manifest
    assert len(manifest) == 2 and sum(len(g["paths"]) for g in manifest) >= 3
    weights = [w for g in manifest for w in g["weights"]]
    assert {w["quantization"]["dtype"] for w in weights if "quantization" in w} == {
        "uint8",
        "uint16",
        "float16",
    }
    assert {w["dtype"] for w in weights} == {"float32", "int32", "bool"}


def test_graph_model_computes_what_tfjs_computes(
    graph_model: GraphFixture, graph_saved_model: tuple[Any, dict[str, str]]
) -> None:
    serving, _ = graph_saved_model
    inputs, outputs = _io(serving)
    assert list(inputs) == ["image"]
    assert inputs["image"].shape.as_list() == [None, 8, 8, 3]  # the dynamic batch stays
    assert set(outputs) == {"logits", "gated"}

    image = np.random.default_rng(0).normal(size=(3, 8, 8, 3)).astype(np.float32)
    got = serving(image=image)
    tensors = [graph_model.outputs[k] for k in ("logits", "gated")]
    expected = run_graph(graph_model.expected, {"image:0": image}, tensors)
    float_weights = run_graph(graph_model.reference, {"image:0": image}, tensors)
    for key, want, unquantized in zip(("logits", "gated"), expected, float_weights, strict=True):
        # Same math on the same dequantized weights: equal up to float rounding.
        np.testing.assert_allclose(got[key].numpy(), want, atol=1e-5, rtol=1e-5)
        # And what TF.js's uint8/uint16/float16 storage costs against float32 weights is small.
        error = np.abs(want - unquantized).max()
        assert 0 < error < 0.02, (key, error)


def test_provenance_for_the_report(graph_saved_model: tuple[Any, dict[str, str]]) -> None:
    _, provenance = graph_saved_model
    assert provenance == {
        "format": "graph-model",
        "generatedBy": "2.15.0",
        "convertedBy": "TensorFlow.js Converter v4.22.0",
        "weights": "16 weights, 3 shards, 2 groups, float16/uint16/uint8 quantized, "
        "bool/float32/int32 unquantized",
    }


def test_gzipped_file_without_format_or_signature(tmp_path: Path) -> None:
    """Inputs are the Placeholders and outputs the nodes nothing consumes, as in TF.js."""
    model = write_graph_model(tmp_path / "old", compress=True, legacy=True)
    assert model.model_json.name == "model.json.gz"
    serving, provenance = _materialize(model.model_json, tmp_path / "saved")
    inputs, outputs = _io(serving)
    assert list(inputs) == ["image"] and set(outputs) == {"Identity", "Identity_1"}
    assert provenance["format"] == "graph-model"
    image = np.random.default_rng(1).normal(size=(1, 8, 8, 3)).astype(np.float32)
    got = serving(image=image)
    expected = run_graph(model.expected, {"image:0": image}, ["Identity:0", "Identity_1:0"])
    np.testing.assert_allclose(got["Identity"].numpy(), expected[0], atol=1e-5)
    np.testing.assert_allclose(got["Identity_1"].numpy(), expected[1], atol=1e-5)


def _check_single_output(model: GraphFixture, serving: Any, shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(2).normal(size=shape).astype(np.float32) * 2
    (got,) = serving(x=x).values()
    (expected,) = run_graph(model.expected, {"x:0": x}, list(model.outputs.values()))
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    "activation", ["Relu", "Relu6", "Elu", "Selu", "Sigmoid", "Tanh", "LeakyRelu", "Prelu"]
)
def test_every_fused_activation(tmp_path: Path, activation: str) -> None:
    reference, inputs, outputs = activation_graph(activation)
    model = write_tfjs_graph(tmp_path / "m", reference, inputs, outputs, activations=(activation,))
    nodes = json.loads(model.model_json.read_text())["modelTopology"]["node"]
    assert [n["op"] for n in nodes if n["op"] not in ("Const", "Placeholder", "Identity")] == [
        "_FusedMatMul"
    ]
    serving, _ = _materialize(model.directory, tmp_path / "saved")
    _check_single_output(model, serving, (5, 4))


def test_conv_with_fused_batch_norm(tmp_path: Path) -> None:
    model = write_tfjs_graph(tmp_path / "m", *conv_batchnorm_graph())
    serving, _ = _materialize(model.directory, tmp_path / "saved")
    _check_single_output(model, serving, (2, 6, 6, 2))


@pytest.mark.parametrize("lower", [False, True], ids=["while-v2-library", "while-v1-frames"])
def test_control_flow(tmp_path: Path, lower: bool) -> None:
    """A while loop: v2 (functions in modelTopology.library, their constants named
    '<function>/<node>' and a fused op inside the body) or v1 (Enter/Exit frames)."""
    model = write_tfjs_graph(tmp_path / "m", *while_loop_graph(lower), legacy=True)
    library = json.loads(model.model_json.read_text())["modelTopology"].get("library", {})
    body_ops = {n["op"] for f in library.get("function", []) for n in f.get("nodeDef", [])}
    assert ("_FusedMatMul" in body_ops) is not lower
    serving, _ = _materialize(model.directory, tmp_path / "saved")
    _check_single_output(model, serving, (3, 4))


def test_string_weights(tmp_path: Path) -> None:
    model = write_tfjs_graph(tmp_path / "m", *string_graph())
    assert model.manifest[1]["weights"] == [{"name": "words", "shape": [3], "dtype": "string"}]
    serving, _ = _materialize(model.directory, tmp_path / "saved")
    _check_single_output(model, serving, (2, 3))


def test_layers_model_saved_by_tfjs_layers(tmp_path: Path) -> None:
    model = write_layers_model(tmp_path / "m")
    serving, provenance = _materialize(model.directory, tmp_path / "saved")
    inputs, outputs = _io(serving)
    assert list(inputs) == ["dense_Dense1_input"] and list(outputs) == ["dense_Dense2"]
    assert provenance["format"] == "layers-model"
    x = np.random.default_rng(3).normal(size=(4, 5)).astype(np.float32)
    got = serving(dense_Dense1_input=x)["dense_Dense2"].numpy()
    np.testing.assert_allclose(got, model.model(x).numpy(), atol=1e-6)


def test_layers_model_converted_from_keras_with_lstm(tmp_path: Path) -> None:
    model = write_converted_keras_model(tmp_path / "m")
    serving, _ = _materialize(model.directory, tmp_path / "saved")
    x = np.random.default_rng(4).normal(size=(2, 5, 3)).astype(np.float32)
    got = serving(sequence=x)["head"].numpy()
    np.testing.assert_allclose(got, model.model(x).numpy(), atol=1e-6)


def _edit_node(model_json: Path, op: str, change: Any) -> None:
    document = json.loads(model_json.read_text())
    for node in document["modelTopology"]["node"]:
        if node["op"] == op:
            change(node)
    model_json.write_text(json.dumps(document))


def test_unknown_fused_operation_is_bad_input(tmp_path: Path) -> None:
    model = write_tfjs_graph(tmp_path / "m", *activation_graph("Relu"), activations=("Relu",))

    def swish(node: dict[str, Any]) -> None:
        node["attr"]["fused_ops"]["list"]["s"][1] = base64.b64encode(b"Swish").decode()

    _edit_node(model.model_json, "_FusedMatMul", swish)
    with pytest.raises(BadInputError, match="fuses 'Swish', which hub-convert cannot rebuild"):
        TfjsMaterializer(model.directory)(tmp_path / "saved")
    assert not (tmp_path / "saved").exists()


def test_op_tensorflow_lacks_is_bad_input(tmp_path: Path) -> None:
    model = write_tfjs_graph(tmp_path / "m", *activation_graph("Relu"), activations=("Relu",))
    _edit_node(model.model_json, "Identity", lambda n: n.update(op="MadeUpOp"))
    with pytest.raises(BadInputError, match="node 'y' uses op 'MadeUpOp'"):
        TfjsMaterializer(model.directory)(tmp_path / "saved")


def test_end_to_end_through_the_cli(graph_model: GraphFixture, tmp_path: Path) -> None:
    """Needs the dispatcher in sources/__init__.py to resolve a model.json directory."""
    out = tmp_path / "out"
    run = run_cli(
        "convert", graph_model.directory, "--output-dir", out, "--tflite-variants", "float32"
    )
    assert run.exit_code == 0, run.stderr
    statuses = {(a["target"], a["variant"]): a["status"] for a in run.report["artifacts"]}
    assert statuses == {("tflite", "float32"): "passed", ("onnx", "float32"): "passed"}
    source = run.report["source"]
    assert source["kind"] == "tfjs"
    assert source["provenance"]["format"] == "graph-model"
    assert [i["name"] for i in source["inputs"]] == ["image"]
    assert sorted(o["name"] for o in source["outputs"]) == ["gated", "logits"]
    for artifact in run.report["artifacts"]:
        assert Path(artifact["path"]).is_file()
