"""Models a converter cannot take whole: an op without an ONNX mapping, an op TFLite runs
only through Flex."""

from __future__ import annotations

from pathlib import Path


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
