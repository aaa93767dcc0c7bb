"""An original that is not deterministic: a TF1 dropout (a keep-probability Placeholder feeding
RandomUniform + Floor) on one output's path, frozen to a .pb the way TF1 models were published.

The class: the validation feeds a scalar float input a value in [0.25, 1), so the original
draws a new dropout mask on every run and no converted file can match its recorded outputs;
the file was blamed for it (a real frozen graph's ONNX file was ``failed``). Prepare runs the
original twice on the first sample: the file compared on the random output is not-validated,
naming the output and the random op, and a file that keeps the random op says so in a note.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from support.cli import CliRun, run_cli
from support.rejudge import rejudge

pytestmark = pytest.mark.tf


def _frozen_dropout_model(path: Path) -> Path:
    import tensorflow as tf

    v1 = tf.compat.v1
    rng = np.random.default_rng(3)
    graph = tf.Graph()
    with graph.as_default():
        features = v1.placeholder(tf.float32, [None, 6], name="features")
        keep = v1.placeholder(tf.float32, [], name="keep_probability")
        hidden = tf.nn.relu(tf.matmul(features, rng.normal(size=(6, 64)).astype(np.float32)))
        # TF1's tf.nn.dropout: keep + U[0, 1) floored is 1 with probability keep.
        mask = tf.floor(keep + v1.random_uniform(tf.shape(hidden), name="mask_draw"))
        dropped = hidden / keep * mask
        tf.matmul(dropped, rng.normal(size=(64, 3)).astype(np.float32), name="logits")
        tf.matmul(features, rng.normal(size=(6, 2)).astype(np.float32), name="scores")
    path.write_bytes(graph.as_graph_def().SerializeToString())
    return path


@pytest.fixture(scope="module")
def random_run(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    work = tmp_path_factory.mktemp("random_original")
    model = _frozen_dropout_model(work / "dropout.pb")
    return run_cli(
        "convert", model, "--output-dir", work / "out", "--tflite-variants", "float32",
        "--onnx-variants", "float32", "--samples", "2", "--latency-runs", "0",
    )  # fmt: skip


def test_the_original_is_found_random_on_the_dropout_output_only(random_run: CliRun) -> None:
    assert random_run.exit_code == 0, random_run.stderr
    found = random_run.report["validation"]["nondeterminism"]
    [differing] = found["outputs"]
    assert differing["output"] == "logits"  # "scores" has no random op on its path
    assert differing["max_abs"] > 1e-3
    assert found["random_ops"] == ["RandomUniform at mask_draw/RandomUniform"]


def test_files_compared_on_it_are_not_validated_naming_output_and_op(random_run: CliRun) -> None:
    onnx = random_run.artifact("onnx", "float32")
    assert onnx["status"] == "not-validated"
    reason = onnx["reason"]
    assert reason.startswith("the original is not deterministic: two runs on the same sample")
    assert "in logits (random ops: RandomUniform at mask_draw/RandomUniform)" in reason
    assert "--representative-data" in reason
    # Measured all the same: the deterministic output still passes its comparison.
    scores = next(d for d in onnx["drift"] if d["output"] == "scores")
    assert scores["within_tolerance"]
    tflite = random_run.artifact("tflite", "float32")
    assert tflite["status"] == "not-validated"
    shape_checks = onnx["device"]["shape_checks"]
    assert all(check["passed"] for check in shape_checks)
    assert any("logits not compared" in (check["problem"] or "") for check in shape_checks)


def test_a_file_that_keeps_the_random_op_says_so(random_run: CliRun) -> None:
    [note] = [n for n in random_run.artifact("onnx", "float32")["notes"] if "random" in n]
    assert note.startswith("the file contains stateful random ops (RandomUniform")
    markdown = (random_run.output_dir / "report.md").read_text()
    assert "not deterministic" in markdown


def test_fail_on_not_validated_fails_the_run(random_run: CliRun) -> None:
    judged = rejudge(random_run.output_dir / "report.json", "--fail-on", "not-validated")
    assert judged.exit_code == 1
    assert "onnx float32: not-validated (rule not-validated)" in judged.report.verdict.failures
