"""Rebuild a TF.js layers model as a Keras 2 (tf_keras) model with its weights (worker only).

TF.js stores the Keras-2-style config (``Sequential`` / ``Model`` with snake_case fields),
which tf_keras reads as is; Keras 3 reads it less faithfully. Weights are matched to layer
variables the way tfjs-layers' ``loadWeights`` does, by the name the variable was created
with (``dense_Dense1/kernel``); a layer whose variables are scoped differently in tf_keras
(an LSTM's ``lstm/lstm_cell/kernel``) takes the manifest weights named ``<layer>/...`` in
manifest order, which is the order both libraries create them in.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import numpy as np

from ...errors import BadInputError
from . import topology as topo
from .model_json import ModelJson


def _leaf_layers(layer: Any) -> Iterator[Any]:
    inner = getattr(layer, "layers", None)
    if inner is None:
        yield layer
        return
    for child in inner:
        yield from _leaf_layers(child)


def _assign(model: ModelJson, variable: Any, name: str, value: np.ndarray) -> None:
    if tuple(variable.shape) != value.shape:
        raise BadInputError(
            f"{model.path}: weight {name!r} has shape {list(value.shape)} but the layer "
            f"expects {list(variable.shape)}; the weights do not belong to this topology"
        )
    variable.assign(value.astype(variable.dtype.as_numpy_dtype))


def load_weights(model: ModelJson, keras_model: Any, weights: dict[str, np.ndarray]) -> None:
    """Set every variable of ``keras_model`` from the manifest weights, or fail naming one."""
    used: set[str] = set()
    for layer in _leaf_layers(keras_model):
        pending = []
        for variable in layer.weights:
            name = variable.name.split(":")[0]
            if name in weights:
                _assign(model, variable, name, weights[name])
                used.add(name)
            else:
                pending.append(variable)
        if not pending:
            continue
        prefix = f"{layer.name}/"
        candidates = [n for n in weights if n.startswith(prefix) and n not in used]
        if len(candidates) != len(pending):
            raise BadInputError(
                f"{model.path}: layer {layer.name!r} needs weight "
                f"{pending[0].name.split(':')[0]!r}, which weightsManifest lacks"
            )
        for variable, name in zip(pending, candidates, strict=True):
            _assign(model, variable, name, weights[name])
            used.add(name)


def _unrolled(config: Any) -> Any:
    """``config`` with its recurrent layers unrolled. TF.js runs them as a loop over the time
    steps, so the math is the same; tf_keras's while loop over a dynamic batch (TF.js's LSTM
    and GRU default to hard_sigmoid, which rules out the fused kernel) does not convert to
    TFLite builtins, the unrolled ops do."""
    config = copy.deepcopy(config)
    for obj in topo.keras_objects(config):
        layer_config = obj.get("config")
        if obj["class_name"] in ("LSTM", "GRU", "SimpleRNN") and isinstance(layer_config, dict):
            layer_config["unroll"] = True
    return config


def _tfjs_upsampling2d() -> Any:
    """UpSampling2D as tfjs-layers computes it: ``interpolation='bilinear'`` is TF.js's
    ``resizeBilinear(x, size)``, TF1's resize without half-pixel centers; tf_keras's uses them."""
    import tensorflow as tf
    import tf_keras

    class UpSampling2D(tf_keras.layers.UpSampling2D):  # type: ignore[misc]
        def call(self, inputs: Any) -> Any:
            if self.interpolation != "bilinear":
                return super().call(inputs)
            first = self.data_format == "channels_first"
            x = tf.transpose(inputs, [0, 2, 3, 1]) if first else inputs
            hw = x.shape[1:3]
            size = tf.constant(hw.as_list()) if hw.is_fully_defined() else tf.shape(x)[1:3]
            x = tf.compat.v1.image.resize_bilinear(x, size * self.size, half_pixel_centers=False)
            return tf.transpose(x, [0, 3, 1, 2]) if first else x

    return UpSampling2D


def _known_to_tf_keras(class_name: str) -> bool:
    import tf_keras

    if class_name in ("Sequential", "Model", "Functional"):
        return True
    modules = (tf_keras.layers, tf_keras.initializers, tf_keras.regularizers, tf_keras.constraints)
    return any(isinstance(getattr(m, class_name, None), type) for m in modules)


def unknown_classes(config: Any) -> list[str]:
    """The classes a layers config names that tf_keras cannot build, each once, as
    ``'Class' (layer 'name')``: custom layers a TF.js app registered in JavaScript."""
    found: dict[str, str] = {}
    for obj in topo.keras_objects(config):
        name = obj["class_name"]
        if name not in found and not _known_to_tf_keras(name):
            found[name] = f"{name!r} (layer {topo.object_name(obj)!r})"
    return list(found.values())


def _rebuild_error(model: ModelJson, config: Any, exc: Exception) -> BadInputError:
    unknown = unknown_classes(config)
    if unknown:
        # tf_keras names at most one of them, or none ("'str' object is not callable").
        return BadInputError(
            f"{model.path}: the layers model uses classes tf_keras does not have: "
            f"{', '.join(unknown)}; custom layers written in JavaScript cannot be rebuilt: "
            "write them as Keras layers in Python, load the model with them and convert "
            "the SavedModel it exports"
        )
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return BadInputError(f"{model.path}: tf_keras cannot rebuild the layers model: {message}")


def build_keras_model(model: ModelJson, weights: dict[str, np.ndarray]) -> Any:
    """The tf_keras model the layers config describes, with the manifest's weights."""
    import tf_keras

    config = topo.keras_model_config(model.topology)
    custom = {"UpSampling2D": _tfjs_upsampling2d()}
    try:
        try:
            keras_model = tf_keras.models.model_from_json(json.dumps(_unrolled(config)), custom)
        except ValueError:  # a time axis of unknown length cannot be unrolled: keep the loop
            keras_model = tf_keras.models.model_from_json(json.dumps(config), custom)
    except Exception as exc:  # Keras raises ValueError, TypeError, KeyError... for bad configs
        raise _rebuild_error(model, config, exc) from None
    load_weights(model, keras_model, weights)
    return keras_model
