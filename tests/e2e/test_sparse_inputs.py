"""A signature with SparseTensor arguments: each reaches the signature as three dense inputs
(indices, values, dense_shape). Fed independently random, the indices fell outside the
dense_shape, the original refused every sample and the run ended in exit 2 advising
--input-shape, which cannot help. The parts are now made together: the original runs on them,
each file gets the same flat inputs and an honest status, and the report says what was fed.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from hub_convert.convert.samples import Samples
from support.cli import CliRun, run_cli

pytestmark = pytest.mark.tf

SPARSE_PARTS = {"wide": ("wide", "wide_1", "wide_2"), "ids": ("ids", "ids_1", "ids_2")}


def _sparse_model(path: Path) -> Path:
    import tensorflow as tf

    class SparseFeatures(tf.Module):
        @tf.function(
            input_signature=[
                tf.SparseTensorSpec([None, 5], tf.float32),
                tf.SparseTensorSpec([None, None], tf.int64),
                tf.TensorSpec([None, 5], tf.float32),
            ]
        )
        def serve(self, wide: tf.SparseTensor, ids: tf.SparseTensor, x: tf.Tensor) -> dict:
            # to_dense checks the indices: in bounds, unique, in row-major order.
            counts = tf.cast(tf.reduce_sum(tf.sparse.to_dense(ids), axis=1), tf.float32)
            wide_sum = tf.reduce_sum(tf.sparse.to_dense(wide), axis=1)
            return {"total": wide_sum + counts + tf.reduce_sum(x, axis=1)}

        @tf.function(input_signature=[tf.RaggedTensorSpec([None, None], tf.float32)])
        def ragged(self, words: tf.RaggedTensor) -> dict:
            return {"sums": tf.reduce_sum(words, axis=1)}

    module = SparseFeatures()
    signatures = {"serving_default": module.serve, "ragged": module.ragged}
    tf.saved_model.save(module, str(path), signatures=signatures)
    return path


@pytest.fixture(scope="module")
def sparse_run(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    work = tmp_path_factory.mktemp("sparse_inputs")
    (work / "tmp").mkdir()
    model = _sparse_model(work / "sparse_model")
    return run_cli(
        "convert", model, "--output-dir", work / "out", "--tflite-variants", "float32",
        "--onnx-variants", "float32", "--samples", "3", "--latency-runs", "0", "--debug",
        env={"TMPDIR": str(work / "tmp")},
    )  # fmt: skip


def _samples(run: CliRun) -> Samples:
    kept = re.search(r"work directory kept for debugging: (\S+)", run.stdout + run.stderr)
    assert kept, run.stderr
    return Samples.load(Path(kept.group(1)) / "samples.npz")


def test_the_original_runs_on_coherent_sparse_samples(sparse_run: CliRun) -> None:
    assert sparse_run.exit_code == 0, sparse_run.stderr
    samples = _samples(sparse_run)
    assert len(samples.inputs) == 3 and len(samples.outputs) == 3
    for sample in samples.inputs:
        for name, (indices, values, dense_shape) in SPARSE_PARTS.items():
            indices, values, dense_shape = sample[indices], sample[values], sample[dense_shape]
            assert dense_shape[0] == 1, name  # the dynamic batch, as for x
            assert name != "wide" or dense_shape[1] == 5  # a declared dimension is kept
            assert len(indices) == len(values) >= 1
            assert (indices >= 0).all() and (indices < dense_shape).all(), name
            flat = np.ravel_multi_index(indices.T, tuple(dense_shape))
            assert (np.diff(flat) > 0).all(), f"{name}: indices repeat or are out of order"
        assert sample["x"].shape == (1, 5)
    report = sparse_run.report
    shapes = {t["name"]: t["validation_shape"] for t in report["source"]["inputs"]}
    first = samples.inputs[0]
    assert shapes == {name: list(first[name].shape) for name in first}
    choices = report["validation"]["input_choices"]
    assert any(c.startswith("wide is one SparseTensor (wide, wide_1, wide_2)") for c in choices)
    assert any("dense shape [1, 5]" in c for c in choices)
    markdown = (sparse_run.output_dir / "report.md").read_text()
    assert "wide is one SparseTensor" in markdown


def test_every_file_has_an_honest_status(sparse_run: CliRun) -> None:
    for target in ("tflite", "onnx"):
        artifact = sparse_run.artifact(target, "float32")
        if artifact["status"] != "passed":
            assert artifact["reason"] and "\n" not in artifact["reason"], artifact
        else:  # compared on every output of every sample, not skipped
            assert [d["output"] for d in artifact["drift"]] == ["total"]
            assert all(d["within_tolerance"] for d in artifact["drift"])
    # The TFLite file takes exactly the number of values it was converted with, and says so.
    fixed = sparse_run.artifact("tflite", "float32")["device"]["fixed_shapes"]
    assert fixed.startswith("batch fixed at 1 and number of values fixed (wide 2, ids 2)"), fixed
    onnx = sparse_run.artifact("onnx", "float32")
    assert onnx["status"] == "passed"
    # The second shape joins two samples' SparseTensors (batch 2), so the original runs there.
    [check] = onnx["device"]["shape_checks"]
    assert check["passed"] and not check["problem"], check
    assert check["shapes"]["wide_2"] == [2] and check["shapes"]["x"] == [2, 5], check


def test_ragged_parts_are_read_from_the_saved_model(sparse_run: CliRun) -> None:
    from hub_convert.convert.composite_inputs import read_composite_inputs
    from hub_convert.convert.signature import read_meta_graphs, select_meta_graph

    model = sparse_run.output_dir.parent / "sparse_model"
    _, meta_graph = select_meta_graph(read_meta_graphs(model), None, "ragged", str(model))
    [ragged] = read_composite_inputs(meta_graph, "ragged", ["words", "words_1"])
    assert (ragged.kind, ragged.components, ragged.ragged_rank) == (
        "ragged",
        ("words", "words_1"),
        1,
    )
    _, meta_graph = select_meta_graph(read_meta_graphs(model), None, None, str(model))
    found = read_composite_inputs(meta_graph, "serving_default", [*SPARSE_PARTS["wide"], "x"])
    assert [(c.name, c.kind, c.shape) for c in found] == [("wide", "sparse", (None, 5))]
