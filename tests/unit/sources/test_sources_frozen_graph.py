"""Frozen GraphDefs (``.pb``): accepted as the kind ``frozen_graph``, written as a SavedModel
(Placeholders in, sinks out, or the tensors --inputs / --outputs name) and converted like every
other kind; refused in one line when the file is not a GraphDef, its graph reads files, a name
is not in it, or --inputs is given for another kind.

The class: a frozen graph, TF1's most common published form, was refused as "not a model file
hub-convert knows" though tflite_convert and tf2onnx both take one. The graphs here are frozen
by tf.compat.v1's own graph_util, as TF1 models were published.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hub_convert.errors import BadInputError
from hub_convert.sources.frozen_graph import FrozenGraphMaterializer
from hub_convert.sources.frozen_graph_io import TensorRef, choose_io
from hub_convert.sources.resolve import resolve
from support.cli import run_cli

pytestmark = pytest.mark.tf


def _frozen_classifier(path: Path) -> Path:
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        image = v1.placeholder(tf.float32, [None, 8, 8, 3], name="image")
        kernel = v1.get_variable("kernel", [3, 3, 3, 4])
        features = tf.reduce_mean(tf.nn.relu(tf.nn.conv2d(image, kernel, 1, "SAME")), [1, 2])
        weights = v1.get_variable("weights", [4, 5])
        tf.nn.softmax(tf.matmul(features, weights), name="probabilities")
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            frozen = v1.graph_util.convert_variables_to_constants(
                session, graph.as_graph_def(), ["probabilities"]
            )
    path.write_bytes(frozen.SerializeToString())
    return path


def _frozen_training_graph(path: Path) -> Path:
    """A graph as TF1 training scripts froze them (DeepBrain's, cut down): ``img`` and
    ``training`` are PlaceholderWithDefault, ``img``'s default (and ``loss``'s label) from a
    tf.data iterator fed through a string-handle Placeholder; ``training`` (default False)
    switches dropout. Its sinks: ``prob`` and ``loss``."""
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        handle = v1.placeholder(tf.string, [], name="Placeholder")
        shapes = ([None, 8, 8, 1], [None, 8, 8, 1])
        iterator = v1.data.Iterator.from_string_handle(handle, (tf.float32, tf.uint8), shapes)
        image_batch, mask_batch = iterator.get_next()
        image = v1.placeholder_with_default(image_batch, shapes[0], name="img")
        training = v1.placeholder_with_default(False, [], name="training")
        kernel = v1.get_variable("kernel", [3, 3, 1, 4])
        features = tf.nn.relu(tf.nn.conv2d(image, kernel, 1, "SAME"))
        features = tf.cond(training, lambda: tf.nn.dropout(features, 0.5), lambda: features)
        head = v1.get_variable("head", [1, 1, 4, 1])
        logits = tf.nn.conv2d(features, head, 1, "SAME")
        tf.sigmoid(logits, name="prob")
        label = tf.cast(mask_batch, tf.float32)
        tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(label, logits), name="loss")
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            frozen = v1.graph_util.convert_variables_to_constants(
                session, graph.as_graph_def(), ["prob", "loss"]
            )
    path.write_bytes(frozen.SerializeToString())
    return path


def test_a_pb_file_is_a_frozen_graph_and_saved_model_pb_is_not(tmp_path: Path) -> None:
    graph = tmp_path / "frozen_inference_graph.pb"
    graph.write_bytes(b"\x0a\x00")
    source = resolve(str(graph), work_dir=tmp_path / "work")
    assert source.kind == "frozen_graph"
    assert source.materializer is not None
    lone = tmp_path / "saved_model.pb"
    lone.write_bytes(b"")
    with pytest.raises(BadInputError, match="not a SavedModel directory"):
        resolve(str(lone), work_dir=tmp_path / "work")


def test_a_training_graph_converts_fed_where_its_iterator_fed_it(tmp_path: Path) -> None:
    model = _frozen_training_graph(tmp_path / "segmenter.pb")
    run = run_cli(
        "convert", model, "--output-dir", tmp_path / "out", "--tflite-variants", "float32",
        "--onnx-variants", "float32", "--samples", "2", "--latency-runs", "0",
    )  # fmt: skip

    assert run.exit_code == 0, run.stderr
    source = run.report["source"]
    assert source["kind"] == "frozen_graph"
    assert [(i["name"], i["dtype"]) for i in source["inputs"]] == [("img", "float32")]
    assert [o["name"] for o in source["outputs"]] == ["prob"]
    why = source["provenance"]
    assert why["frozen_graph_inputs"] == (
        "img (PlaceholderWithDefault whose default needs IteratorGetNext)"
    )
    assert why["frozen_graph_defaults_kept"] == "training (bool, default False)"
    assert (
        "Placeholder (a string handle read by IteratorFromStringHandleV2)"
        in (why["frozen_graph_handles_not_fed"])
    )
    assert why["frozen_graph_outputs_left_out"] == (
        "loss (needs IteratorGetNext:1, which cannot be fed)"
    )
    assert {a["status"] for a in run.report["artifacts"]} == {"passed"}
    assert "`training (bool, default False)`" in (tmp_path / "out" / "report.md").read_text()


def test_the_placeholders_the_sinks_read_are_the_inputs(tmp_path: Path) -> None:
    import tensorflow as tf

    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(_frozen_classifier(tmp_path / "classifier.pb").read_bytes())
    chosen = choose_io(graph_def, (), (), "classifier.pb")

    assert chosen.inputs == (TensorRef("image"),)
    assert chosen.outputs == ("probabilities",)
    assert chosen.notes["frozen_graph_inputs"] == "image (Placeholder, float32)"


def test_inputs_and_outputs_name_any_tensor_and_cut_the_graph_there(tmp_path: Path) -> None:
    import numpy as np
    import tensorflow as tf

    v1 = tf.compat.v1
    model = _frozen_training_graph(tmp_path / "segmenter.pb")
    names = ("img", "IteratorGetNext:1", "training=true")
    notes = FrozenGraphMaterializer(model, "segmenter.pb", names, ("prob", "loss:0"))(
        tmp_path / "saved"
    )
    assert notes["frozen_graph_inputs"] == "img, IteratorGetNext:1 (--inputs)"
    assert notes["frozen_graph_fixed"] == "training = true"

    graph_def = v1.GraphDef()
    graph_def.ParseFromString(model.read_bytes())
    rng = np.random.default_rng(0)
    feeds = {
        "img": rng.normal(size=(2, 8, 8, 1)).astype(np.float32),
        "IteratorGetNext:1": rng.integers(0, 2, (2, 8, 8, 1)).astype(np.uint8),
    }
    loaded = tf.saved_model.load(str(tmp_path / "saved"))
    signature = loaded.signatures["serving_default"]
    assert sorted(signature.structured_input_signature[1]) == ["IteratorGetNext_1", "img"]
    ops = {op.type for op in signature.graph.get_operations()}
    ops |= {n.op for f in signature.graph.as_graph_def().library.function for n in f.node_def}
    assert not {op for op in ops if "Iterator" in op}
    assert "RandomUniform" in ops  # training=true: dropout is on, fixed as the graph's own

    got = signature(img=feeds["img"], IteratorGetNext_1=feeds["IteratorGetNext:1"])
    with tf.Graph().as_default() as graph, v1.Session() as session:
        v1.import_graph_def(graph_def, name="")
        fed = {graph.get_tensor_by_name(n if ":" in n else f"{n}:0"): v for n, v in feeds.items()}
        expected = session.run(["prob:0", "loss:0"], {**fed, "training:0": False})
    assert not np.allclose(got["prob"].numpy(), expected[0])  # dropout ran

    again = FrozenGraphMaterializer(model, "seg.pb", ("img", "IteratorGetNext:1", "training=0"),
                                    ("prob", "loss:0"))(tmp_path / "off")  # fmt: skip
    assert again["frozen_graph_fixed"] == "training = 0"
    off = tf.saved_model.load(str(tmp_path / "off")).signatures["serving_default"]
    got = off(img=feeds["img"], IteratorGetNext_1=feeds["IteratorGetNext:1"])
    np.testing.assert_allclose(got["prob"].numpy(), expected[0], rtol=1e-6)
    np.testing.assert_allclose(got["loss"].numpy(), expected[1], rtol=1e-6)


def test_outputs_that_need_the_iterator_are_refused_naming_what_to_pass(tmp_path: Path) -> None:
    import tensorflow as tf

    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(_frozen_training_graph(tmp_path / "seg.pb").read_bytes())
    with pytest.raises(BadInputError, match=r"output loss needs IteratorGetNext:1.*--inputs"):
        choose_io(graph_def, (), ("loss",), "seg.pb")
    with pytest.raises(
        BadInputError, match="--inputs Placeholder: a string handle read by Iterator"
    ):
        choose_io(graph_def, ("Placeholder",), ("prob",), "seg.pb")


def test_inputs_that_only_fix_values_keep_the_default_inputs(tmp_path: Path) -> None:
    import tensorflow as tf

    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(_frozen_training_graph(tmp_path / "seg.pb").read_bytes())
    chosen = choose_io(graph_def, ("training=1",), ("prob",), "seg.pb")

    assert chosen.inputs == (TensorRef("img"),)
    assert chosen.fixed == {TensorRef("training"): "1"}
    assert chosen.notes["frozen_graph_fixed"] == "training = 1"
    assert "frozen_graph_defaults_kept" not in chosen.notes


def test_an_unknown_name_is_refused_in_one_line_with_candidates(tmp_path: Path) -> None:
    """Called directly: how the materializer's BadInputError reaches the user as one line and
    exit 2 is what the not-a-graph run below shows, without a second worker run here."""
    import tensorflow as tf

    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(_frozen_training_graph(tmp_path / "seg.pb").read_bytes())
    with pytest.raises(BadInputError) as refused:
        choose_io(graph_def, ("imgs",), (), "seg.pb")
    assert str(refused.value) == (
        "seg.pb: --inputs imgs: no node of that name in the graph; candidates: img"
    )
    assert refused.value.exit_code == 2
    with pytest.raises(BadInputError, match=r"--outputs probs: no node .* candidates: prob$"):
        choose_io(graph_def, (), ("probs",), "seg.pb")


def test_inputs_for_a_saved_model_are_refused_pointing_to_signature(tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "saved_model.pb").write_bytes(b"")
    run = run_cli("convert", saved, "--output-dir", tmp_path / "out", "--outputs", "prob")

    assert run.exit_code == 2
    [line] = [x for x in run.stderr.splitlines() if x.startswith("hub-convert: error:")]
    assert "--outputs prob: names a frozen graph's (.pb) tensors" in line
    assert "choose its signature with --signature" in line


def test_a_pb_that_is_not_a_graph_is_refused_in_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "model.pb"
    junk.write_bytes(bytes(range(256)) * 2)
    run = run_cli("convert", junk, "--output-dir", tmp_path / "out", "--latency-runs", "0")

    assert run.exit_code == 2
    [line] = [x for x in run.stderr.splitlines() if x.startswith("hub-convert: error:")]
    assert "model.pb: not a TensorFlow GraphDef" in line
    assert "Traceback" not in run.stderr


def test_a_frozen_graph_that_reads_files_is_refused(tmp_path: Path) -> None:
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        path = tf.compat.v1.placeholder(tf.string, [], name="path")
        tf.strings.length(tf.io.read_file(path), name="size")
    model = tmp_path / "reads.pb"
    model.write_bytes(graph.as_graph_def().SerializeToString())
    run = run_cli("convert", model, "--output-dir", tmp_path / "out", "--latency-runs", "0")

    assert run.exit_code == 2
    assert "ReadFile" in run.stderr and "reads files" in run.stderr
