"""Test-side TF.js writer: real TensorFlow graphs and Keras models written as TF.js would.

A graph model starts as a plain frozen TF graph (Conv2D + BiasAdd + Relu, ...). It is then
rewritten into the fused form tensorflowjs emits (its converter runs Grappler's remapper,
then fuse_prelu.py and fuse_depthwise_conv2d.py), its constants are moved into a sharded,
partly quantized weights manifest, and its GraphDef is written as proto3 JSON. The original
graph therefore states what the TF.js model computes, with no code shared with hub-convert.

TensorFlow is imported lazily, inside the builders. The modules: weights.py (quantize, pack,
shard), graph_fusion.py (the converter's rewrite), reference_graphs.py (the plain graphs),
graph_model.py, layers_model.py, tiny_graph_model.py (written without TensorFlow).
"""

from .graph_fusion import tfjs_fuse
from .graph_model import (
    GRAPH_QUANTIZATION,
    GraphFixture,
    constants,
    strip_values,
    with_constants,
    write_graph_model,
    write_tfjs_graph,
)
from .layers_model import LayersFixture, write_converted_keras_model, write_layers_model
from .reference_graphs import (
    activation_graph,
    conv_batchnorm_graph,
    reference_graph,
    run_graph,
    string_graph,
    while_loop_graph,
)
from .tiny_graph_model import write_tiny_graph_model
from .weights import (
    CONVERTED_BY,
    GENERATED_BY,
    dequantize,
    quantize,
    write_model_json,
    write_weights,
)

__all__ = [
    "CONVERTED_BY",
    "GENERATED_BY",
    "GRAPH_QUANTIZATION",
    "GraphFixture",
    "LayersFixture",
    "activation_graph",
    "constants",
    "conv_batchnorm_graph",
    "dequantize",
    "quantize",
    "reference_graph",
    "run_graph",
    "string_graph",
    "strip_values",
    "tfjs_fuse",
    "while_loop_graph",
    "with_constants",
    "write_converted_keras_model",
    "write_graph_model",
    "write_layers_model",
    "write_model_json",
    "write_tfjs_graph",
    "write_tiny_graph_model",
    "write_weights",
]
