"""A small conv net with one deliberately broken layer, for localizing drift to it."""

from __future__ import annotations

from pathlib import Path

BROKEN_SCOPE = "broken"
"""The name scope of the layer that breaks: its nodes are ``broken/Conv2D`` and so on."""


def float16_overflow(path: Path) -> Path:
    """Three 3×3 convs on a 16×16×3 image, then a mean and a dense layer; the middle conv
    (``broken/``) has one kernel weight of 1e5, over float16's largest (65504), so only a
    float16 file drifts, and from that layer on."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(5)

    def kernel(channels_in: int) -> tf.Variable:
        return tf.Variable(rng.normal(0, 0.3, (3, 3, channels_in, 8)).astype(np.float32))

    class Net(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.first, self.middle, self.last = kernel(3), kernel(8), kernel(8)
            self.middle[0, 0, 0, 0].assign(1e5)
            self.bias = tf.Variable(rng.normal(0, 0.1, (8,)).astype(np.float32))
            self.dense = tf.Variable(rng.normal(0, 0.3, (8, 4)).astype(np.float32))

        @tf.function(input_signature=[tf.TensorSpec([1, 16, 16, 3], tf.float32, name="image")])
        def serve(self, image: tf.Tensor) -> dict[str, tf.Tensor]:
            x = image
            for scope, weights in (("first", self.first), (BROKEN_SCOPE, self.middle)):
                with tf.name_scope(scope):
                    x = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, weights, 1, "SAME"), self.bias))
            with tf.name_scope("last"):
                x = tf.nn.conv2d(x, self.last, 1, "SAME")
            return {"scores": tf.matmul(tf.reduce_mean(x, axis=[1, 2]), self.dense)}

    module = Net()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path
