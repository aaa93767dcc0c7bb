"""A TF1 Estimator-style export with string features: each converter's failure in one line
that names the cause.

The class: TFLite failed on StringNGrams (neither a builtin nor a Flex op) with an MLIR dump
as its reason, and tf2onnx with "Failed to import metagraph, check error log for more info."
and nothing else (the cause went to TensorFlow's log). The export is built as an Estimator
writes one: a tf.Example placeholder parsed in the graph, a vocabulary table initialized by the
SavedModel's main op, tf.compat.v1's SavedModelBuilder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cli import run_cli

pytestmark = pytest.mark.tf


def _string_feature_export(path: Path) -> Path:
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        examples = v1.placeholder(tf.string, [None], name="input_example_tensor")
        spec = {"text": v1.io.FixedLenFeature([], tf.string, default_value="")}
        text = v1.io.parse_example(examples, spec)["text"]
        bigrams = tf.strings.ngrams(tf.strings.split(text), 2, separator=" ")
        vocabulary = tf.lookup.KeyValueTensorInitializer(
            tf.constant(["a b", "b c"]), tf.constant([1, 2], tf.int64)
        )
        ids = tf.lookup.StaticHashTable(vocabulary, 0).lookup(bigrams)
        embedding = v1.get_variable("embedding", [3, 4])
        scores = tf.reduce_mean(tf.nn.embedding_lookup(embedding, ids), axis=1)
        with v1.Session(graph=graph) as session:
            session.run([v1.global_variables_initializer(), v1.tables_initializer()])
            builder = v1.saved_model.Builder(str(path))
            signature = v1.saved_model.predict_signature_def(
                {"examples": examples}, {"scores": scores}
            )
            builder.add_meta_graph_and_variables(
                session,
                ["serve"],
                signature_def_map={"serving_default": signature},
                main_op=v1.tables_initializer(),
            )
            builder.save()
    return path


def test_each_converter_says_why_in_one_line(tmp_path: Path) -> None:
    model = _string_feature_export(tmp_path / "estimator")
    run = run_cli(
        "convert", model, "--output-dir", tmp_path / "out", "--tflite-variants", "float32",
        "--onnx-variants", "float32", "--samples", "2", "--latency-runs", "0",
    )  # fmt: skip

    assert run.exit_code == 1, run.stderr
    tflite = run.artifact("tflite", "float32")
    assert tflite["status"] == "failed"
    assert "StringNGrams is neither a TFLite builtin nor a Flex (TF Select) op" in tflite["reason"]
    assert "\n" not in tflite["reason"]  # no MLIR dump
    onnx = run.artifact("onnx", "float32")
    assert onnx["status"] == "failed"
    assert "\n" not in onnx["reason"]
    assert "Failed to import metagraph" in onnx["reason"]
    assert "LookupTableImportV2 doesn't exist in graph" in onnx["reason"]  # the logged cause
    assert "ParseExampleV2, StringNGrams, StringSplitV2" in onnx["reason"]
