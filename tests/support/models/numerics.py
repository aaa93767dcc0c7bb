"""Models whose outputs test the comparison: large values, NaN everywhere, TopKV2 order, and
near-tied peaks whose rows move between runtimes."""

from __future__ import annotations

from pathlib import Path


def large_outputs(path: Path) -> Path:
    """exp of a dense layer: outputs up to ~1e5, where each runtime's own exp rounds
    differently by more than 1e-4 (float32 keeps ~7 significant digits)."""
    import numpy as np
    import tensorflow as tf

    weights = tf.constant(np.random.default_rng(3).normal(0, 1.5, size=(64, 256)), tf.float32)

    class Large(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 64], tf.float32, name="x")])
        def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"y": tf.exp(tf.clip_by_value(tf.matmul(x, weights), -12.0, 12.0))}

    module = Large()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def nan_everywhere(path: Path) -> Path:
    """log(-1 - x²): NaN for every input, in every runtime."""
    import tensorflow as tf

    class Nan(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 8], tf.float32, name="x")])
        def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"y": tf.math.log(-1.0 - x * x)}

    module = Nan()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def top_k_scores(path: Path) -> Path:
    """Scores and the top 5 of them: only "top" takes its order from TopKV2."""
    import numpy as np
    import tensorflow as tf

    weights = tf.constant(np.random.default_rng(4).normal(size=(16, 32)).astype(np.float32))

    class TopK(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 16], tf.float32, name="x")])
        def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            scores = tf.matmul(x, weights)
            return {"scores": scores, "top": tf.math.top_k(scores, k=5).values}

    module = TopK()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def peak_detector(path: Path, *, with_heatmap: bool = True) -> Path:
    """A CenterNet-like head on a flat heatmap (sigmoid of a small convolution: every value
    within about 1e-3 of 0.5): local peaks (``x == MaxPool(x)``), the 200 best by TopKV2, as
    rows of (score, index). On random inputs the peaks are near-tied, so last-bit differences
    between runtimes move rows in and out. ``with_heatmap`` also outputs the heatmap."""
    import numpy as np
    import tensorflow as tf

    kernel = tf.constant(
        np.random.default_rng(7).normal(scale=1e-3, size=(3, 3, 3, 8)).astype(np.float32)
    )

    class PeakDetector(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 32, 32, 3], tf.float32, name="image")])
        def serve(self, image: tf.Tensor) -> dict[str, tf.Tensor]:
            heatmap = tf.sigmoid(tf.nn.conv2d(image, kernel, strides=1, padding="SAME"))
            pooled = tf.nn.max_pool2d(heatmap, ksize=3, strides=1, padding="SAME")
            peaks = heatmap * tf.cast(tf.equal(heatmap, pooled), tf.float32)
            top = tf.math.top_k(tf.reshape(peaks, [1, -1]), k=200)
            rows = tf.stack([top.values, tf.cast(top.indices, tf.float32)], axis=-1)
            outputs = {"detections": rows}
            if with_heatmap:
                outputs["heatmap"] = heatmap
            return outputs

    module = PeakDetector()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path
