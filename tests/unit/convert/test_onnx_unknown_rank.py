"""ONNX outputs of unknown rank: a Keras 2 subclassed model whose signature declares an output
with no shape converts to a file that loads, runs and matches.

The class: tf2onnx writes such an output with no ``shape`` field and ``onnx.checker`` refuses
the file ("Field 'shape' of 'type' is required but missing"), though the original runs. The
file now declares the rank the original produced on the samples.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cli import run_cli

pytestmark = pytest.mark.tf


def _subclassed_squeeze(path: Path) -> Path:
    """A tf_keras subclassed model whose ``tf.squeeze`` (no axis) has unknown rank."""
    import tensorflow as tf
    import tf_keras

    class Scorer(tf_keras.Model):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.dense = tf_keras.layers.Dense(2)

        def call(self, x: tf.Tensor) -> tf.Tensor:
            return tf.squeeze(self.dense(x))

    model = Scorer()
    model(tf.zeros([2, 4]))
    model.save(str(path), save_format="tf")
    return path


def test_the_signature_output_has_unknown_rank_and_tf2onnx_leaves_it_unshaped(
    tmp_path: Path,
) -> None:
    import tensorflow as tf

    from hub_convert.convert.targets.onnx_file import check
    from hub_convert.convert.targets.onnx_output_shapes import (
        shape_from_inference,
        unshaped_outputs,
    )
    from hub_convert.convert.targets.tf2onnx_conversion import convert

    model_dir = _subclassed_squeeze(tmp_path / "scorer")
    signature = tf.saved_model.load(str(model_dir)).signatures["serving_default"]
    [spec] = signature.structured_outputs.values()
    assert spec.shape.rank is None

    conversion = convert(model_dir, ["serve"], "serving_default", 17)
    assert conversion.model is not None
    assert unshaped_outputs(conversion.model) == ["output_1"]
    assert shape_from_inference(conversion.model) == ["output_1"]  # inference cannot say
    assert "Field 'shape' of 'type' is required but missing" in (check(conversion.model) or "")


def test_every_onnx_variant_of_a_model_with_an_unknown_rank_output_passes(tmp_path: Path) -> None:
    import onnx

    model_dir = _subclassed_squeeze(tmp_path / "scorer")
    run = run_cli(
        "convert", model_dir, "--output-dir", tmp_path / "out", "--targets", "onnx",
        "--samples", "4", "--latency-runs", "0",
    )  # fmt: skip

    assert run.exit_code == 0, run.stderr
    assert run.report["artifacts"]
    for artifact in run.report["artifacts"]:
        assert artifact["status"] == "passed", artifact
        assert any("unknown rank" in note for note in artifact["notes"]), artifact
    written = onnx.load(str(tmp_path / "out" / "scorer_float32.onnx"))
    [output] = written.graph.output  # the validation batch of 1 squeezed away: rank 1
    assert [d.dim_param for d in output.type.tensor_type.shape.dim] == ["output_1_dim0"]
