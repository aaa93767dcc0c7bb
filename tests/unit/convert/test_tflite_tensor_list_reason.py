"""A Keras RNN over a sequence of unknown length: the TFLite file needs Flex TensorList ops,
and the report says why and what avoids them (issue 9 leftovers)."""

from __future__ import annotations

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
    assert "a while loop's state (a Keras RNN layer, tf.map_fn)" in reason
    assert "unroll=True at a fixed sequence length" in reason
    [attempt] = artifact["attempts"]  # builtins first, then Flex
    assert attempt.startswith("builtins, ")
