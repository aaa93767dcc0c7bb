"""Plain frozen TF graphs that state what a TF.js graph model computes, and a TF1 session to
run them (TensorFlow imported lazily, inside the builders)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .graph_fusion import remove_nodes


def reference_graph() -> tuple[Any, dict[str, str], dict[str, str]]:
    """A frozen TF graph with every pattern tensorflowjs fuses; returns (graph_def, ins, outs)."""
    import tensorflow as tf

    rng = np.random.default_rng(7)

    def const(name: str, shape: tuple[int, ...], scale: float = 0.5) -> Any:
        return tf.constant((rng.normal(size=shape) * scale).astype(np.float32), name=name)

    graph = tf.Graph()
    with graph.as_default():
        image = tf.compat.v1.placeholder(tf.float32, [None, 8, 8, 3], name="image")
        # Conv2D + BiasAdd + Relu -> _FusedConv2D [BiasAdd, Relu]
        x = tf.nn.conv2d(
            image, const("conv1/weights", (3, 3, 3, 8)), 1, "SAME", name="conv1/Conv2D"
        )
        x = tf.nn.bias_add(x, const("conv1/bias", (8,)), name="conv1/BiasAdd")
        x = tf.nn.relu(x, name="conv1/Relu")
        # DepthwiseConv2dNative + BiasAdd + Relu6 -> FusedDepthwiseConv2dNative
        x = tf.raw_ops.DepthwiseConv2dNative(
            input=x,
            filter=const("dw/weights", (3, 3, 8, 1)),
            strides=[1, 2, 2, 1],
            padding="SAME",
            name="dw/depthwise",
        )
        x = tf.nn.bias_add(x, const("dw/bias", (8,)), name="dw/BiasAdd")
        x = tf.nn.relu6(x, name="dw/Relu6")
        # Conv2D + BiasAdd, then Keras's PReLU -> _FusedConv2D [BiasAdd, Prelu]
        x = tf.nn.conv2d(x, const("conv2/weights", (1, 1, 8, 8)), 1, "VALID", name="conv2/Conv2D")
        x = tf.nn.bias_add(x, const("conv2/bias", (8,)), name="conv2/BiasAdd")
        x = _keras_prelu(x, "p1", -np.abs(const_value(rng, (1, 1, 8))))
        # a residual AddV2 then PReLU: not fusable, stays a standalone Prelu op
        x = tf.add(x, const("shift", (8,)), name="shift/add")
        x = _keras_prelu(x, "p2", -np.abs(const_value(rng, (8,))))
        pooled = tf.reduce_mean(x, axis=tf.constant([1, 2], name="pool/axes"), name="pool/Mean")
        # MatMul + BiasAdd + LeakyRelu -> _FusedMatMul [BiasAdd, LeakyRelu] with alpha
        h = tf.matmul(pooled, const("dense1/kernel", (8, 16)), name="dense1/MatMul")
        h = tf.nn.bias_add(h, const("dense1/bias", (16,)), name="dense1/BiasAdd")
        h = tf.nn.leaky_relu(h, alpha=0.1, name="dense1/LeakyRelu")
        # int64 shape constant: tensorflowjs stores it as int32
        h = tf.reshape(h, tf.constant([-1, 16], tf.int64, name="reshape/shape"), name="reshape")
        # MatMul + BiasAdd -> _FusedMatMul [BiasAdd]
        logits = tf.matmul(h, const("dense2/kernel", (16, 4)), name="dense2/MatMul")
        logits = tf.nn.bias_add(logits, const("dense2/bias", (4,)), name="dense2/BiasAdd")
        mask = tf.constant([True, False, True, False], name="gate/mask")
        gated = tf.where(
            mask, tf.sigmoid(logits, name="gate/Sigmoid"), tf.tanh(logits), name="gate"
        )
        tf.identity(logits, name="Identity")
        tf.identity(gated, name="Identity_1")
    return (
        graph.as_graph_def(),
        {"image": "image:0"},
        {"logits": "Identity:0", "gated": "Identity_1:0"},
    )


def const_value(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return (rng.uniform(0.05, 0.4, size=shape)).astype(np.float32)


def _keras_prelu(x: Any, scope: str, negative_alpha: np.ndarray) -> Any:
    """tf_keras PReLU as frozen: relu(x) + (-alpha) * relu(-x)."""
    import tensorflow as tf

    positive = tf.nn.relu(x, name=f"{scope}/Relu")
    negative = tf.nn.relu(tf.negative(x, name=f"{scope}/Neg"), name=f"{scope}/Relu_1")
    alpha = tf.constant(negative_alpha, name=f"{scope}/alpha")
    return tf.add(positive, tf.multiply(alpha, negative, name=f"{scope}/mul"), name=f"{scope}/add")


def activation_graph(activation: str) -> tuple[Any, dict[str, str], dict[str, str]]:
    """x -> MatMul -> BiasAdd -> ``activation`` (a tf.nn name, or "Prelu" as Keras writes it)."""
    import tensorflow as tf

    rng = np.random.default_rng(11)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        w = tf.constant(rng.normal(size=(4, 3)).astype(np.float32), name="dense/kernel")
        b = tf.constant(rng.normal(size=(3,)).astype(np.float32), name="dense/bias")
        y = tf.nn.bias_add(tf.matmul(x, w, name="dense/MatMul"), b, name="dense/BiasAdd")
        if activation == "Prelu":
            y = _keras_prelu(y, "prelu", -const_value(rng, (3,)))
        else:
            op = getattr(tf.raw_ops, activation)
            # Sigmoid and Tanh name their input x; the rest, features.
            y = (
                op(x=y, name="dense/act")
                if activation in ("Sigmoid", "Tanh")
                else op(features=y, name="dense/act")
            )
        tf.identity(y, name="y")
    return graph.as_graph_def(), {"x": "x:0"}, {"y": "y:0"}


def conv_batchnorm_graph() -> tuple[Any, dict[str, str], dict[str, str]]:
    """Conv2D -> FusedBatchNormV3 (inference) -> Relu, which the remapper fuses whole."""
    import tensorflow as tf

    rng = np.random.default_rng(13)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 6, 6, 2], name="x")
        w = tf.constant(rng.normal(size=(3, 3, 2, 4)).astype(np.float32), name="conv/weights")
        y = tf.nn.conv2d(x, w, 1, "SAME", name="conv/Conv2D")
        stats = [
            tf.constant(v.astype(np.float32), name=f"bn/{n}")
            for n, v in (
                ("gamma", rng.uniform(0.5, 1.5, 4)),
                ("beta", rng.normal(size=4)),
                ("mean", rng.normal(size=4)),
                ("variance", rng.uniform(0.5, 2.0, 4)),
            )
        ]
        y, *_ = tf.raw_ops.FusedBatchNormV3(
            x=y,
            scale=stats[0],
            offset=stats[1],
            mean=stats[2],
            variance=stats[3],
            epsilon=0.001,
            is_training=False,
            name="bn/FusedBatchNormV3",
        )
        tf.identity(tf.nn.relu(y, name="bn/Relu"), name="y")
    return graph.as_graph_def(), {"x": "x:0"}, {"y": "y:0"}


def while_loop_graph(lower: bool) -> tuple[Any, dict[str, str], dict[str, str]]:
    """A frozen tf.function with a while loop whose body holds a dense layer and its own
    constants: v2 control flow (While + library functions) or, ``lower``, v1 (Enter/Exit)."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    rng = np.random.default_rng(17)
    kernel = (rng.normal(size=(4, 4)) * 0.5).astype(np.float32)
    bias = rng.normal(size=(4,)).astype(np.float32)

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
    def loop(x: Any) -> Any:
        def body(i: Any, h: Any) -> Any:
            h = tf.nn.relu(tf.nn.bias_add(tf.matmul(h, tf.constant(kernel)), tf.constant(bias)))
            return i + 1, h

        _, h = tf.while_loop(lambda i, h: i < 3, body, [tf.constant(0), x])
        return h

    frozen = convert_variables_to_constants_v2(
        loop.get_concrete_function(), lower_control_flow=lower
    )
    graph_def = frozen.graph.as_graph_def()
    # tensorflowjs drops these (_remove_unused_control_flow_inputs); nothing consumes them.
    unused = [n.name for n in graph_def.node if n.name.startswith("unused_control_flow_input")]
    remove_nodes(graph_def, set(unused))
    output = frozen.outputs[0].name
    return graph_def, {"x": "x:0"}, {"y": output}


def string_graph() -> tuple[Any, dict[str, str], dict[str, str]]:
    """A string constant (stored length-prefixed in the shards) that the output depends on."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
        words = tf.constant(np.array([b"a", b"", "\u00e9t\u00e9".encode()], object), name="words")
        lengths = tf.cast(tf.strings.length(words), tf.float32, name="lengths")
        tf.identity(x * lengths, name="y")
    return graph.as_graph_def(), {"x": "x:0"}, {"y": "y:0"}


def run_graph(graph_def: Any, feeds: dict[str, np.ndarray], fetches: list[str]) -> list[Any]:
    """Run a GraphDef in a TF1 session: the reference the rebuilt model is compared with."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as session:
        return list(session.run(fetches, feeds))
