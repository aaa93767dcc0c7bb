"""A Keras RNN over a sequence of unknown length in a SavedModel: the TFLite file needs Flex
TensorList ops, and the report says which layer, why and what avoids them. (A Keras file's
RNN over a fixed length is unrolled instead: test_tflite_rnn_unroll.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from support.cli import run_cli

pytestmark = pytest.mark.tf


def _gru_over_any_length(path: Path) -> Path:
    import tf_keras

    steps = tf_keras.Input(shape=(None, 6), name="steps")
    hidden = tf_keras.layers.GRU(8, return_sequences=True)(steps)
    out = tf_keras.layers.Dense(2, name="stage")(hidden)
    tf_keras.Model(steps, out).save(str(path), save_format="tf")
    return path


def test_tensor_list_flex_ops_are_explained(tmp_path: Path) -> None:
    model = _gru_over_any_length(tmp_path / "gru")
    run = run_cli(
        "convert", model, "--output-dir", tmp_path / "out",
        "--targets", "tflite", "--tflite-variants", "float32", "--latency-runs", "0",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    [artifact] = run.report["artifacts"]
    assert artifact["status"] == "not-validated"
    assert "TensorListReserve" in artifact["coverage"]["flex_ops"]
    reason = artifact["reason"]
    assert reason.startswith("uses Flex ops (") and "TensorListReserve" in reason
    # Which layer holds the loop, and why it stayed one.
    # Keras numbers names per process: model/gru, or model_3/gru_1 after other models.
    assert re.search(r"a while loop's state in model(_\d+)?/gru(_\d+)? \(standard_gru\)", reason)
    assert "the list's element shape is not static" in reason
    assert "unroll=True at a fixed sequence length" in reason
    [attempt] = artifact["attempts"]  # builtins first, then Flex
    assert attempt.startswith("builtins, ")
