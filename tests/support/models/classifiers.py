"""Classifiers: the demo Keras model, a peaked one (top-1 is meaningful), the versions a
change to a model makes, and a token classifier with a dynamic sequence length."""

from __future__ import annotations

from pathlib import Path

from support.paths import ROOT


def keras_classifier(path: Path) -> Path:
    """A Keras 3 model exported with model.export(): conv, depthwise conv, dense, softmax."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_demo_model", ROOT / "examples" / "make_demo_model.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(path)
    return path


def peaked_classifier(path: Path) -> Path:
    """16 features -> 10 classes with confident (peaked) softmax outputs: top-1 is meaningful."""
    import tensorflow as tf

    class Classifier(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            rng = tf.random.Generator.from_seed(11)
            self.w1 = tf.Variable(rng.normal([16, 32], stddev=0.6))
            self.b1 = tf.Variable(rng.normal([32], stddev=0.1))
            self.w2 = tf.Variable(rng.normal([32, 10], stddev=0.8))

        @tf.function(input_signature=[tf.TensorSpec([None, 16], tf.float32, name="features")])
        def serve(self, features: tf.Tensor) -> dict[str, tf.Tensor]:
            hidden = tf.nn.relu(tf.matmul(features, self.w1) + self.b1)
            return {"probabilities": tf.nn.softmax(tf.matmul(hidden, self.w2) * 2.0)}

    module = Classifier()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def versioned_classifier(
    path: Path, *, hidden: int = 32, tanh: bool = False, batch: int | None = None
) -> Path:
    """16 features -> 10 classes, in versions a change to a model makes: a wider hidden layer
    (``hidden``), an op added (``tanh``), the input's batch dimension fixed (``batch``)."""
    import tensorflow as tf

    class Classifier(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            rng = tf.random.Generator.from_seed(11)
            self.w1 = tf.Variable(rng.normal([16, hidden], stddev=0.6))
            self.b1 = tf.Variable(rng.normal([hidden], stddev=0.1))
            self.w2 = tf.Variable(rng.normal([hidden, 10], stddev=0.8))

        @tf.function(input_signature=[tf.TensorSpec([batch, 16], tf.float32, name="features")])
        def serve(self, features: tf.Tensor) -> dict[str, tf.Tensor]:
            hidden_values = tf.nn.relu(tf.matmul(features, self.w1) + self.b1)
            if tanh:
                hidden_values = tf.math.tanh(hidden_values)
            return {"probabilities": tf.nn.softmax(tf.matmul(hidden_values, self.w2) * 2.0)}

    module = Classifier()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def token_classifier(path: Path) -> Path:
    """Keras Embedding over 5000 tokens, sequence length dynamic: ids int32 [None, None]."""
    import tf_keras

    ids = tf_keras.Input(shape=(None,), dtype="int32", name="ids")
    x = tf_keras.layers.Embedding(5000, 8)(ids)
    x = tf_keras.layers.GlobalAveragePooling1D()(x)
    out = tf_keras.layers.Dense(3, activation="softmax", name="probs")(x)
    tf_keras.Model(ids, out).save(str(path), save_format="tf")
    return path
