"""The stateful random ops behind an output, read from a real SavedModel signature: inside the
functions it calls (a tf.function calling another), never the stateless ones; and the original
run twice on the same sample found random on that output only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hub_convert.convert.determinism import check_repeatable
from hub_convert.convert.random_ops import random_ops_upstream
from hub_convert.convert.signature import load_signature

pytestmark = pytest.mark.tf


def _noisy_saved_model(path: Path) -> Path:
    import tensorflow as tf

    @tf.function
    def noise(x: tf.Tensor) -> tf.Tensor:
        return tf.random.normal(tf.shape(x), name="sampled")

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
        def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            seeded = tf.random.stateless_uniform(tf.shape(x), seed=[1, 2])
            return {"noisy": x + noise(x), "seeded": x * seeded}

    model = Model()
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return path


def test_random_ops_inside_called_functions_are_found_for_their_output_only(
    tmp_path: Path,
) -> None:
    _, function = load_signature(
        _noisy_saved_model(tmp_path / "noisy"), ["serve"], "serving_default"
    )

    found = random_ops_upstream(function, ["noisy", "seeded"])

    [op] = found["noisy"]
    assert op.startswith("RandomStandardNormal at ") and " in function " in op
    assert "sampled" in op
    assert found["seeded"] == []  # StatelessRandomUniformV2: the same values every run

    sample = {"x": np.ones((2, 4), np.float32)}
    recorded = [{k: v.numpy() for k, v in function(**sample).items()}]
    nondeterminism = check_repeatable(function, [sample], recorded)
    assert nondeterminism is not None
    assert [d.output for d in nondeterminism.outputs] == ["noisy"]
    assert nondeterminism.random_ops == [op]
