"""A small conv net with one deliberately broken layer, for localizing drift to it."""

from __future__ import annotations

from pathlib import Path

BROKEN_SCOPE = "broken"
"""The name scope of the layer that breaks: its nodes are ``broken/Conv2D`` and so on."""


def _net(path: Path, *, outlier: float, dead_input: bool, spread: float) -> Path:
    """Three 3×3 convs on a 16×16×3 image, a mean and a dense layer; the middle conv
    (``broken/``) has ``outlier`` at one kernel tap of every output channel. With
    ``dead_input`` the first conv's channel 0 is always 0 (bias -100), so the outlier reads
    zeros: the original ignores it, while a quantizer must span it."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(5)

    def kernel(channels_in: int, scale: float) -> tf.Variable:
        return tf.Variable(rng.normal(0, scale, (3, 3, channels_in, 16)).astype(np.float32))

    class Net(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.first, self.middle, self.last = kernel(3, 0.3), kernel(16, spread), kernel(16, 0.3)
            if dead_input:
                self.middle[0, 0, 0, :].assign(np.full(16, outlier, np.float32))
            else:
                self.middle[0, 0, 0, 0].assign(outlier)
            bias = rng.normal(0, 0.1, (16,)).astype(np.float32)
            first_bias = bias.copy()
            if dead_input:
                first_bias[0] = -100.0
            self.first_bias, self.bias = tf.Variable(first_bias), tf.Variable(bias)
            self.dense = tf.Variable(rng.normal(0, 0.3, (16, 4)).astype(np.float32))

        @tf.function(input_signature=[tf.TensorSpec([1, 16, 16, 3], tf.float32, name="image")])
        def serve(self, image: tf.Tensor) -> dict[str, tf.Tensor]:
            x = image
            layers = (
                ("first", self.first, self.first_bias),
                (BROKEN_SCOPE, self.middle, self.bias),
            )
            for scope, weights, bias in layers:
                with tf.name_scope(scope):
                    x = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, weights, 1, "SAME"), bias))
            with tf.name_scope("last"):
                x = tf.nn.conv2d(x, self.last, 1, "SAME")
            return {"scores": tf.matmul(tf.reduce_mean(x, axis=[1, 2]), self.dense)}

    module = Net()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def int8_outlier(path: Path) -> Path:
    """The net whose middle conv (``broken/``) has a weight of 30 in every output channel on
    an input that is always 0: int8 weights must span ±30 and round the rest (spread 0.05)
    away, so int8 and dynamic-range files drift, from that layer on."""
    return _net(path, outlier=30.0, dead_input=True, spread=0.05)


def float16_overflow(path: Path) -> Path:
    """Three 3×3 convs on a 16×16×3 image, then a mean and a dense layer; the middle conv
    (``broken/``) has one kernel weight of 1e5, over float16's largest (65504), so only a
    float16 file drifts, and from that layer on."""
    return _net(path, outlier=1e5, dead_input=False, spread=0.3)
