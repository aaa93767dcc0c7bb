"""Keras RNN layers over a fixed-length sequence convert to TFLite builtins and are validated.

The class: a GRU, a SimpleRNN, a Bidirectional wrapper, a stacked LSTM from tf_keras, and any
Keras 3 RNN, run a while loop whose TensorList element shape the SavedModel leaves unknown
(traced with the batch dimension unknown), so TFLiteConverter cannot lower it to builtins and
the file needed Flex: ``not-validated``. A Keras file's RNN layers whose sequence length is
fixed are rebuilt with ``unroll=True`` before the export (sources/keras_unroll.py); a layer over a
sequence of unknown length keeps its loop, and the report says which layer and why. Files
written by the real tf_keras and Keras 3 at test time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from support.cli import CliRun
from support.cli_batch import run_cli_batch

pytestmark = pytest.mark.tf

QUICK = ("--targets", "tflite", "--tflite-variants", "float32", "--latency-runs", "0")


def _keras2_files(root: Path) -> dict[str, Path]:
    """``fixed``: a GRU, a Bidirectional GRU and a stacked LSTM side by side over one input of
    10 steps (50 cell calls unrolled, well within the budget), one conversion for the three
    layer kinds; ``any_length``: a GRU over a sequence of unknown length."""
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import tf_keras

    def save(name: str, *layers: Any, length: int | None = 10) -> Path:
        steps = tf_keras.Input(shape=(length, 6), name="steps")
        outputs = [
            tf_keras.layers.Dense(2, name=f"stage_{index}")(layer(steps))
            for index, layer in enumerate(layers)
        ]
        path = root / f"{name}.h5"
        tf_keras.Model(steps, outputs).save(path)
        return path

    return {
        "fixed": save(
            "fixed",
            tf_keras.layers.GRU(8, return_sequences=True, name="gru"),
            tf_keras.layers.Bidirectional(tf_keras.layers.GRU(8), name="bi"),
            # TFLite fuses a lone LSTM, not one fed by another LSTM's sequences.
            lambda steps: tf_keras.layers.LSTM(8, name="lstm_second")(
                tf_keras.layers.LSTM(8, return_sequences=True, name="lstm_first")(steps)
            ),
        ),
        "any_length": save("any", tf_keras.layers.GRU(8, name="gru_any"), length=None),
    }


def _keras3_lstm(root: Path) -> Path:
    import keras

    steps = keras.Input(shape=(10, 6), name="steps")
    out = keras.layers.Dense(2, name="stage")(keras.layers.LSTM(8, name="lstm")(steps))
    path = root / "lstm.keras"
    keras.Model(steps, out).save(path)
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CliRun]:
    root = tmp_path_factory.mktemp("rnn")
    models = {**_keras2_files(root), "keras3_lstm": _keras3_lstm(root)}
    return run_cli_batch(
        {
            name: ("convert", path, "--output-dir", root / f"out_{name}", "--jobs", "1", *QUICK)
            for name, path in models.items()
        }
    )


@pytest.mark.parametrize(
    ("name", "layers"),
    [
        ("fixed", ["gru (GRU)"]),
        ("fixed", ["bi (Bidirectional)"]),
        ("fixed", ["lstm_first (LSTM)", "lstm_second (LSTM)"]),
        ("keras3_lstm", ["lstm (LSTM)"]),
    ],
    ids=["gru", "bigru", "stacked_lstm", "keras3_lstm"],
)
def test_fixed_length_rnn_runs_on_builtins_and_is_validated(
    runs: dict[str, CliRun], name: str, layers: list[str]
) -> None:
    run = runs[name]
    assert run.exit_code == 0, run.stderr
    [artifact] = run.report["artifacts"]
    assert artifact["status"] == "passed", artifact.get("reason")
    assert artifact["coverage"]["flex_ops"] == []
    unrolled = run.report["source"]["provenance"]["rnn_unrolled"]
    for layer in layers:
        assert layer in unrolled


def test_rnn_over_any_length_keeps_its_loop_and_says_which_layer(
    runs: dict[str, CliRun],
) -> None:
    run = runs["any_length"]
    assert run.exit_code == 0, run.stderr
    kept = run.report["source"]["provenance"]["rnn_loops_kept"]
    assert kept.startswith("gru_any (GRU): its sequence length is not fixed in the file")
    [artifact] = run.report["artifacts"]
    assert artifact["status"] == "not-validated"
    assert "TensorListReserve" in artifact["coverage"]["flex_ops"]
    assert "gru_any (standard_gru)" in artifact["reason"]
    assert "element shape is not static" in artifact["reason"]


def test_unrolling_has_a_budget_and_is_all_or_nothing() -> None:
    # No conversion: what the export would rebuild, and what the provenance would say.
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import tf_keras

    from hub_convert.sources.keras_unroll import MAX_UNROLLED_STEPS, plan

    def model(*lengths: int | None) -> Any:
        inputs = [tf_keras.Input(shape=(n, 4)) for n in lengths]
        grus = [tf_keras.layers.GRU(2, name=f"gru_{i}")(x) for i, x in enumerate(inputs)]
        joined = grus[0] if len(grus) == 1 else tf_keras.layers.Concatenate()(grus)
        return tf_keras.Model(inputs, joined)

    chosen, unrolling = plan(model(MAX_UNROLLED_STEPS))
    assert chosen == {"gru_0"}
    chosen, unrolling = plan(model(MAX_UNROLLED_STEPS + 1))
    assert chosen == set()
    assert f"past the {MAX_UNROLLED_STEPS} cell calls" in unrolling.provenance()["rnn_loops_kept"]
    # One loop left needs Flex anyway: the fixed-length layer is not unrolled for nothing.
    chosen, unrolling = plan(model(10, None))
    assert chosen == set()
    kept = unrolling.provenance()["rnn_loops_kept"]
    assert "gru_1 (GRU): its sequence length is not fixed" in kept
    assert "gru_0 (GRU): not unrolled, as another layer keeps its loop" in kept
