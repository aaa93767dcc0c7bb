"""Writes graph_table/: a TF.js graph model with a ``modelInitializer`` (a hash table filled
at load), made by the real tensorflowjs converter from a TF2 SavedModel.

The tensorflowjs 4.22.0 package pins other TensorFlow versions than this project's, so it is
used unpacked, not installed; two of its imports that the SavedModel path never calls
(TF Decision Forests, JAX) are stubbed:

    pip download --no-deps -d /tmp/tfjs tensorflowjs==4.22.0
    unzip -q -d /tmp/tfjs/pkg /tmp/tfjs/tensorflowjs-4.22.0-py3-none-any.whl
    .venv/bin/python tests/data/tfjs/make_graph_table.py /tmp/tfjs/pkg
    cd tests/data/tfjs && node make_fixtures.mjs   # TF.js runs it: io.json and .npy files
"""

from __future__ import annotations

import sys
import tempfile
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _stub(name: str, **attrs: object) -> None:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module


def main(package_dir: str) -> None:
    _stub("tensorflow_decision_forests")
    _stub("tensorflowjs.converters.jax_conversion", convert_jax=None)
    sys.path.insert(0, package_dir)
    import tensorflow as tf
    from tensorflowjs.converters import tf_saved_model_conversion_v2 as converter

    class Gain(tf.Module):
        """y = (x @ w) * table[ids]: ids 3, 5, 7, 11 have their own gain, others 1."""

        def __init__(self) -> None:
            super().__init__()
            keys = tf.constant([3, 5, 7, 11], tf.int64)
            values = tf.constant([0.5, 2.0, -1.0, 4.0])
            self.table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(keys, values), default_value=1.0
            )
            self.w = tf.Variable(tf.random.stateless_uniform([4, 3], seed=[1, 2]))

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 4], tf.float32, name="x"),
                tf.TensorSpec([None], tf.int64, name="ids"),
            ]
        )
        def __call__(self, x: tf.Tensor, ids: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"y": tf.matmul(x, self.w) * self.table.lookup(ids)[:, None]}

    model = Gain()
    with tempfile.TemporaryDirectory() as work:
        saved = str(Path(work) / "saved_model")
        tf.saved_model.save(model, saved, signatures={"serving_default": model.__call__})
        converter.convert_tf_saved_model(saved, str(HERE / "graph_table"))


if __name__ == "__main__":
    main(sys.argv[1])
