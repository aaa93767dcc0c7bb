"""Frozen GraphDefs (``.pb``): accepted as the kind ``frozen_graph``, written as a SavedModel
(Placeholders in, sinks out) and converted like every other kind; refused in one line when the
file is not a GraphDef or its graph reads files.

The class: a frozen graph, TF1's most common published form, was refused as "not a model file
hub-convert knows" though tflite_convert and tf2onnx both take one. The graphs here are frozen
by tf.compat.v1's own graph_util, as TF1 models were published.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hub_convert.errors import BadInputError
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


def test_a_frozen_graph_converts_and_passes(tmp_path: Path) -> None:
    model = _frozen_classifier(tmp_path / "classifier.pb")
    run = run_cli(
        "convert", model, "--output-dir", tmp_path / "out", "--tflite-variants", "float32",
        "--onnx-variants", "float32", "--samples", "2", "--latency-runs", "0",
    )  # fmt: skip

    assert run.exit_code == 0, run.stderr
    source = run.report["source"]
    assert source["kind"] == "frozen_graph"
    assert [i["name"] for i in source["inputs"]] == ["image"]
    assert [o["name"] for o in source["outputs"]] == ["probabilities"]
    assert {a["status"] for a in run.report["artifacts"]} == {"passed"}


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
