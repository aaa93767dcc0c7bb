"""Tiny models built at test time (TensorFlow imported lazily, inside the builders)."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def keras_classifier(path: Path) -> Path:
    """A Keras 3 model exported with model.export(): conv, depthwise conv, dense, softmax."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_demo_model", Path(__file__).parents[1] / "examples" / "make_demo_model.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(path)
    return path


def two_signature_module(path: Path) -> Path:
    """A tf.Module with two signatures: serving_default (x*2+1) and 'square' (x*x)."""
    import tensorflow as tf

    class TwoSignatures(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.offset = tf.Variable(1.0)

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def double(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"doubled": x * 2.0 + self.offset}

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def square(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"squared": x * x}

    module = TwoSignatures()
    tf.saved_model.save(
        module, str(path), signatures={"serving_default": module.double, "square": module.square}
    )
    return path


def two_input_two_output(path: Path) -> Path:
    """Float features + int32 token ids in; a float score and an int32 argmax out."""
    import tensorflow as tf

    class TwoInTwoOut(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            rng = tf.random.Generator.from_seed(3)
            self.embedding = tf.Variable(rng.normal([10, 4]))
            self.dense = tf.Variable(rng.normal([4, 5]))

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 4], tf.float32, name="features"),
                tf.TensorSpec([None, 6], tf.int32, name="tokens"),
            ]
        )
        def serve(self, features: tf.Tensor, tokens: tf.Tensor) -> dict[str, tf.Tensor]:
            pooled = tf.reduce_mean(tf.gather(self.embedding, tokens), axis=1)
            logits = tf.matmul(tf.nn.tanh(features + pooled), self.dense)
            return {
                "score": tf.nn.softmax(logits),
                "best": tf.argmax(logits, axis=-1, output_type=tf.int32),
            }

    module = TwoInTwoOut()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def lgamma_model(path: Path) -> Path:
    """tf.math.lgamma, which tf2onnx 1.17 cannot convert (it has no ONNX mapping)."""
    import tensorflow as tf

    class Lgamma(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
        def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"y": tf.math.lgamma(tf.abs(x) + 1.0) * 2.0}

    module = Lgamma()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
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


def determinant(path: Path) -> Path:
    """tf.linalg.det: no TFLite builtin, so TFLite needs Flex (SELECT_TF_OPS)."""
    import tensorflow as tf

    class Det(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 3, 3], tf.float32, name="m")])
        def serve(self, m: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"det": tf.linalg.det(m)}

    module = Det()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def mixed_case_names(path: Path) -> Path:
    """Signature input and output keys in mixed case ("Feat_In" -> "Out_Y")."""
    import tensorflow as tf

    class Mixed(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="Feat_In")])
        def serve(self, Feat_In: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"Out_Y": Feat_In * 2.0 + 1.0}

    module = Mixed()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path
