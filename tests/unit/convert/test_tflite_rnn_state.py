"""A TFLite file's fused LSTM keeps its state between invocations: each validation sample
starts from a fresh state, as each call of the original does.

The class: Keras LSTM layers convert to TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM, whose
activation and cell states are variable tensors. LiteRT leaves them as the last invocation
left them, so a second sample run through the same interpreter started from the first's
state, and a right file was reported as `drift` (a real two-input Keras 2 model: cosine 0.93,
top-1 87.5 %, while each sample fed alone matched to 2e-10).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from support.cli import run_cli

pytestmark = pytest.mark.tf


def _two_lstms(path: Path) -> Path:
    """Two inputs that differ only in length ([?, 1, 12] and [?, ?, 12]), each into an LSTM."""
    import tf_keras

    short = tf_keras.Input(shape=(1, 12), name="short")
    long = tf_keras.Input(shape=(None, 12), name="long")
    joined = tf_keras.layers.Concatenate()(
        [tf_keras.layers.LSTM(8)(short), tf_keras.layers.LSTM(8)(long)]
    )
    out = tf_keras.layers.Dense(4, activation="softmax", name="probabilities")(joined)
    model = tf_keras.Model([short, long], out)
    model.save(str(path))
    return path


def test_litert_keeps_a_fused_lstm_state_between_invocations(tmp_path: Path) -> None:
    import tensorflow as tf
    import tf_keras
    from ai_edge_litert.interpreter import Interpreter

    model = tf_keras.Sequential([tf_keras.Input((5, 3), batch_size=1), tf_keras.layers.LSTM(4)])
    flatbuffer = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    path = tmp_path / "lstm.tflite"
    path.write_bytes(flatbuffer)
    first, second = np.random.default_rng(0).uniform(-1, 1, (2, 1, 5, 3)).astype(np.float32)
    expected = model(second).numpy()

    interpreter = Interpreter(model_path=str(path))
    run = interpreter.get_signature_runner()
    [name] = run.get_input_details()
    run(**{name: first})
    carried = next(iter(run(**{name: second}).values()))
    interpreter.reset_all_variables()
    fresh = next(iter(run(**{name: second}).values()))

    assert np.abs(carried - expected).max() > 1e-3  # the first sample's state leaked in
    assert np.abs(fresh - expected).max() < 1e-5


def test_a_two_input_lstm_model_passes_on_every_sample(tmp_path: Path) -> None:
    model = _two_lstms(tmp_path / "two_lstms.h5")
    run = run_cli(
        "convert", model, "--output-dir", tmp_path / "out", "--targets", "tflite",
        "--tflite-variants", "float32", "--samples", "8", "--latency-runs", "0",
    )  # fmt: skip

    assert run.exit_code == 0, run.stderr
    [artifact] = run.report["artifacts"]
    assert artifact["coverage"]["flex_ops"] == []  # the fused LSTM, not a Flex loop
    assert artifact["status"] == "passed", artifact
    [drift] = artifact["drift"]
    assert drift["max_abs"] < 1e-5
    assert drift["top1_agreement"] == 1.0
