"""Small models to judge where a file runs: one every delegate takes whole, one with ops the
delegates and mobile runtimes leave out (TopK, RFFT for TFLite; TopK, Erf for ONNX)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _conv(tf: Any, x: Any) -> Any:
    import numpy as np

    kernel = tf.constant(np.random.default_rng(1).normal(size=(3, 3, 3, 4)).astype(np.float32))
    return tf.nn.relu(tf.nn.conv2d(x, kernel, 1, "SAME"))


def small_conv_functions() -> tuple[Any, Any, Any]:
    """(whole, partial for TFLite, partial for ONNX) as tf.functions on 1×16×16×3 images."""
    import tensorflow as tf

    spec = [tf.TensorSpec([1, 16, 16, 3], tf.float32, name="x")]

    @tf.function(input_signature=spec)
    def whole(x: Any) -> Any:
        return tf.nn.softmax(tf.reduce_mean(_conv(tf, x), [1, 2]))

    @tf.function(input_signature=spec)
    def topk_rfft(x: Any) -> Any:
        values, _ = tf.math.top_k(tf.reshape(_conv(tf, x), [1, 1024]), 8)
        return tf.abs(tf.signal.rfft(values))

    @tf.function(input_signature=spec)
    def topk_erf(x: Any) -> Any:
        values, _ = tf.math.top_k(tf.reshape(_conv(tf, x), [1, 1024]), 8)
        return tf.math.erf(values)

    return whole, topk_rfft, topk_erf


def tflite_file(function: Any, path: Path) -> Path:
    """``function`` converted by TFLite's builtins."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_concrete_functions([function.get_concrete_function()])
    path.write_bytes(converter.convert())
    return path


def onnx_file(function: Any, path: Path) -> Path:
    """``function`` converted by tf2onnx at opset 17."""
    import tf2onnx

    tf2onnx.convert.from_function(
        function, input_signature=function.input_signature, opset=17, output_path=str(path)
    )
    return path
