"""Small models to judge where a file runs: one every delegate takes whole, one with ops the
delegates and mobile runtimes leave out (TopK, RFFT for TFLite; TopK, Erf for ONNX), and
MobileNetV2."""

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


def mobilenet_v2_function() -> Any:
    """Keras's MobileNetV2 (width 0.35 at 96×96, random weights: the same layer and op kinds
    as the published 224×224 classifier) as a tf.function on one image."""
    import tensorflow as tf

    model = tf.keras.applications.MobileNetV2(
        input_shape=(96, 96, 3), alpha=0.35, weights=None, classes=10
    )

    @tf.function(input_signature=[tf.TensorSpec([1, 96, 96, 3], tf.float32, name="image")])
    def mobilenet_v2(image: Any) -> Any:
        return model(image, training=False)

    return mobilenet_v2


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


def open_batch_functions() -> dict[str, Any]:
    """tf.functions whose signature leaves the batch open (and, for "plain", the image size):
    "plain" takes any; "topk_rfft" leaves TopK and RFFT off XNNPACK; "batch_one_inside"
    reshapes to a constant batch of 1 inside, so it runs at batch 1 only."""
    import numpy as np
    import tensorflow as tf

    weights = tf.constant(np.random.default_rng(2).normal(size=(1024, 8)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32, name="x")])
    def plain(x: Any) -> Any:
        return tf.nn.softmax(tf.reduce_mean(_conv(tf, x), [1, 2]))

    spec = [tf.TensorSpec([None, 16, 16, 3], tf.float32, name="x")]

    @tf.function(input_signature=spec)
    def topk_rfft(x: Any) -> Any:
        values, _ = tf.math.top_k(tf.reshape(_conv(tf, x), [-1, 1024]), 8)
        return tf.abs(tf.signal.rfft(values))

    @tf.function(input_signature=spec)
    def batch_one_inside(x: Any) -> Any:
        return tf.matmul(tf.reshape(_conv(tf, x), [1, -1]), weights)

    return {"plain": plain, "topk_rfft": topk_rfft, "batch_one_inside": batch_one_inside}


def saved_model(function: Any, path: Path) -> Path:
    """``function`` saved as a SavedModel's serving_default signature."""
    import tensorflow as tf

    tf.saved_model.save(tf.Module(), str(path), signatures={"serving_default": function})
    return path


def image_size_functions() -> dict[str, Any]:
    """tf.functions on one image of any declared size that take fewer sizes than they claim:
    "multiple_of_32" adds a map pooled and repeated by 32 to itself, so its height and width
    must be multiples of 32 (224 and 192, not 112), as in a feature pyramid;
    "size_224_inside" reshapes to a constant 224×224 inside, so it runs at that size only."""
    import tensorflow as tf

    spec = [tf.TensorSpec([1, None, None, 3], tf.float32, name="x")]

    @tf.function(input_signature=spec)
    def multiple_of_32(x: Any) -> Any:
        y = _conv(tf, x)
        pooled = tf.nn.avg_pool2d(y, 32, 32, "VALID")
        return tf.reduce_mean(y + tf.repeat(tf.repeat(pooled, 32, axis=1), 32, axis=2), [1, 2])

    @tf.function(input_signature=spec)
    def size_224_inside(x: Any) -> Any:
        return tf.reduce_mean(tf.reshape(_conv(tf, x), [1, 224 * 224, 4]), 1)

    return {"multiple_of_32": multiple_of_32, "size_224_inside": size_224_inside}
