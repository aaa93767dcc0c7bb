"""TF.js layers models: a Sequential saved by tfjs-layers and a functional Keras 2 model
converted by tensorflowjs_converter, each with the tf_keras model that computes the same."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .weights import CONVERTED_BY, write_model_json, write_weights


@dataclass
class LayersFixture:
    directory: Path
    model_json: Path
    model: Any  # the tf_keras model, weights as TF.js decodes them
    input_name: str


def _tfjs_layers_sequential_config() -> dict[str, Any]:
    """A Sequential config as tfjs-layers 4.x serializes it (``model.save``)."""

    def initializer(name: str, **config: Any) -> dict[str, Any]:
        return {"class_name": name, "config": config}

    def dense(name: str, units: int, activation: str, **extra: Any) -> dict[str, Any]:
        return {
            "class_name": "Dense",
            "config": {
                "units": units,
                "activation": activation,
                "use_bias": True,
                "kernel_initializer": initializer(
                    "VarianceScaling", scale=1, mode="fan_avg", distribution="normal", seed=None
                ),
                "bias_initializer": initializer("Zeros"),
                "kernel_regularizer": None,
                "bias_regularizer": None,
                "activity_regularizer": None,
                "kernel_constraint": None,
                "bias_constraint": None,
                "name": name,
                "trainable": True,
                **extra,
            },
        }

    return {
        "class_name": "Sequential",
        "config": {
            "name": "sequential_1",
            "layers": [
                dense("dense_Dense1", 6, "relu", batch_input_shape=[None, 5], dtype="float32"),
                {
                    "class_name": "BatchNormalization",
                    "config": {
                        "axis": -1,
                        "momentum": 0.99,
                        "epsilon": 0.001,
                        "center": True,
                        "scale": True,
                        "beta_initializer": initializer("Zeros"),
                        "gamma_initializer": initializer("Ones"),
                        "moving_mean_initializer": initializer("Zeros"),
                        "moving_variance_initializer": initializer("Ones"),
                        "beta_regularizer": None,
                        "gamma_regularizer": None,
                        "beta_constraint": None,
                        "gamma_constraint": None,
                        "name": "batch_normalization_BatchNormalization1",
                        "trainable": True,
                    },
                },
                dense("dense_Dense2", 3, "softmax"),
            ],
        },
        "keras_version": "tfjs-layers 4.22.0",
        "backend": "tensor_flow.js",
    }


def write_layers_model(directory: Path) -> LayersFixture:
    """A layers model saved by tfjs-layers: Sequential, weights named ``<layer>/<weight>``,
    one group per layer, the first kernel uint16-quantized."""
    import tf_keras

    directory.mkdir(parents=True, exist_ok=True)
    topology = _tfjs_layers_sequential_config()
    model = tf_keras.models.model_from_json(json.dumps(topology))
    rng = np.random.default_rng(3)
    groups = []
    for layer in model.layers:
        group = []
        for variable in layer.weights:
            short = variable.name.split(":")[0].split("/")[-1]
            value = rng.normal(size=variable.shape).astype(np.float32)
            if short == "moving_variance":
                value = np.abs(value) + 0.5
            group.append((f"{layer.name}/{short}", value))
        groups.append(group)
    manifest, decoded = write_weights(directory, groups, {"dense_Dense1/kernel": "uint16"}, 64)
    for layer in model.layers:
        for variable in layer.weights:
            short = variable.name.split(":")[0].split("/")[-1]
            variable.assign(decoded[f"{layer.name}/{short}"])
    document = {
        "format": "layers-model",
        "generatedBy": "TensorFlow.js tfjs-layers v4.22.0",
        "convertedBy": None,
        "modelTopology": topology,
        "weightsManifest": manifest,
    }
    model_json = write_model_json(directory, document, compress=False)
    return LayersFixture(directory, model_json, model, "dense_Dense1_input")


def write_converted_keras_model(directory: Path) -> LayersFixture:
    """A functional Keras 2 model converted by tensorflowjs_converter (``model_config``),
    with an LSTM whose weights are named ``lstm/kernel`` as TF.js names them, while tf_keras
    scopes its variables ``lstm/lstm_cell/kernel``."""
    import tf_keras

    directory.mkdir(parents=True, exist_ok=True)
    inputs = tf_keras.Input((5, 3), name="sequence")
    x = tf_keras.layers.LSTM(4, name="lstm")(inputs)
    x = tf_keras.layers.Dense(2, activation="tanh", name="head")(x)
    model = tf_keras.Model(inputs, x, name="converted")
    rng = np.random.default_rng(5)
    groups = []
    for layer in model.layers:
        group = []
        for variable in layer.weights:
            short = variable.name.split(":")[0].split("/")[-1]
            value = (rng.normal(size=variable.shape) * 0.5).astype(np.float32)
            group.append((f"{layer.name}/{short}", value))
        if group:
            groups.append(group)
    manifest, decoded = write_weights(directory, groups, {"lstm/kernel": "uint8"}, 128)
    for layer in model.layers:
        for variable in layer.weights:
            short = variable.name.split(":")[0].split("/")[-1]
            variable.assign(decoded[f"{layer.name}/{short}"])
    document = {
        "format": "layers-model",
        "generatedBy": "keras v2.15.0",
        "convertedBy": CONVERTED_BY,
        "modelTopology": {
            "keras_version": "2.15.0",
            "backend": "tensorflow",
            "model_config": json.loads(model.to_json()),
        },
        "weightsManifest": manifest,
    }
    model_json = write_model_json(directory, document, compress=False)
    return LayersFixture(directory, model_json, model, "sequence")
