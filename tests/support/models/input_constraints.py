"""Models that run only on some inputs: an image size divisible by 64, a positive resize
ratio, a sequence longer than the context it crops."""

from __future__ import annotations

from pathlib import Path


def image_needing_size(path: Path) -> Path:
    """An image model that needs H and W divisible by 64 (224 is not: 256 is) and shrinks
    the image by 4 (a 1×1 image would resize to 0×0)."""
    import tensorflow as tf

    class Tiles(tf.Module):
        @tf.function(
            input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32, name="image")]
        )
        def serve(self, image: tf.Tensor) -> dict[str, tf.Tensor]:
            size = tf.shape(image)[1:3]
            small = tf.image.resize(image, size // 4)
            tiles = tf.reshape(image, [tf.shape(image)[0], -1, 64, size[1], 3])
            return {"tiles": tf.reduce_mean(tiles, axis=[1, 3]), "mean": tf.reduce_mean(small)}

    module = Tiles()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def ratio_resize(path: Path) -> Path:
    """An image resized by a scalar ``downsample_ratio`` input, as Robust Video Matting does:
    a negative ratio makes TensorFlow fail ("output dimensions must be positive")."""
    import tensorflow as tf

    class RatioResize(tf.Module):
        @tf.function(
            input_signature=[
                tf.TensorSpec([1, 64, 64, 3], tf.float32, name="src"),
                tf.TensorSpec([], tf.float32, name="downsample_ratio"),
            ]
        )
        def serve(self, src: tf.Tensor, downsample_ratio: tf.Tensor) -> dict[str, tf.Tensor]:
            size = tf.cast(tf.round(64.0 * downsample_ratio), tf.int32)
            small = tf.image.resize(src, tf.stack([size, size]))
            return {"mean": tf.reduce_mean(small, axis=[1, 2])}

    module = RatioResize()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def context_cropper(path: Path) -> Path:
    """A sequence model that crops 100 steps of context on each side, as SpliceAI crops 5000:
    on an input shorter than 201 steps it runs and returns an empty output."""
    import numpy as np
    import tensorflow as tf

    kernel = tf.constant(np.random.default_rng(5).normal(size=(3, 4, 2)).astype(np.float32))

    class Cropper(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, None, 4], tf.float32, name="sequence")])
        def serve(self, sequence: tf.Tensor) -> dict[str, tf.Tensor]:
            features = tf.nn.conv1d(sequence, kernel, stride=1, padding="SAME")
            return {"scores": tf.nn.softmax(features[:, 100:-100, :])}

    module = Cropper()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path
