"""Write a rebuilt TF.js model as a TF2 SavedModel with a ``serving_default`` signature
(worker only). Inputs and outputs keep the model's names, made safe for a signature."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ...errors import BadInputError
from .graph import TensorSpec


def signature_keys(names: Iterable[str]) -> list[str]:
    """Valid, unique signature keys: ``Identity:0`` → ``Identity``, ``conv/Out`` → ``conv_Out``.

    The case the model.json shows is kept (``--input-shape LR=...`` names the input ``LR``,
    as the ``.h5`` of the same model does); keys differing only in case get a suffix, since
    TensorFlow lower-cases the placeholder names it derives from them.
    """
    keys: list[str] = []
    for name in names:
        key = re.sub(r":0$", "", name)
        key = re.sub(r"[^A-Za-z0-9_]+", "_", key).strip("_") or "tensor"
        if not key[0].isalpha():
            key = f"t_{key}"
        unique, n = key, 1
        while unique.lower() in {k.lower() for k in keys}:
            n += 1
            unique = f"{key}_{n}"
        keys.append(unique)
    return keys


def _save(module: Any, function: Any, target: Path) -> None:
    """Save, replacing ``target`` only when the SavedModel is complete."""
    import tensorflow as tf

    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    tf.saved_model.save(module, str(partial), signatures={"serving_default": function})
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)


def _error_cause(exc: Exception) -> str:
    # TensorFlow's import and tracing errors end with the cause, after a traceback.
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def _pruned_graph_function(
    graph_def: Any,
    inputs: Sequence[TensorSpec],
    outputs: Sequence[TensorSpec],
    resource_feeds: Sequence[str] = (),
) -> Any:
    """The graph as a concrete function from the input tensors to the output tensors.

    ``wrap_function`` (what TF Hub does for TF1 graphs) adds no automatic control
    dependencies, which would tie ops inside a TF1 while loop's frame to the function's
    outputs and make the graph invalid; ``prune`` keeps only what the outputs need.
    """
    import tensorflow as tf

    def load() -> None:
        tf.compat.v1.import_graph_def(graph_def, name="tfjs")

    wrapped = tf.compat.v1.wrap_function(load, [])
    tensor = wrapped.graph.get_tensor_by_name
    return wrapped.prune(
        feeds=[tensor(f"tfjs/{s.tensor}") for s in inputs]
        + [tensor(f"tfjs/{name}") for name in resource_feeds],
        fetches=[tensor(f"tfjs/{s.tensor}") for s in outputs],
    )


def save_graph_model(
    graph_def: Any,
    inputs: Sequence[TensorSpec],
    outputs: Sequence[TensorSpec],
    target: Path,
    where: str,
    tables: Sequence[tuple[str, Any]] = (),
) -> None:
    """Save ``graph_def`` at ``target`` with a ``serving_default`` over the named inputs.

    ``tables``: (the graph's resource input, the hash table whose handle it takes); the
    tables are saved with the SavedModel, which fills them when it loads.
    """
    import tensorflow as tf

    try:
        graph_function = _pruned_graph_function(
            graph_def, inputs, outputs, [feed for feed, _ in tables]
        )
    except (ValueError, TypeError, KeyError, tf.errors.OpError) as exc:
        raise BadInputError(
            f"{where}: TensorFlow cannot import the rebuilt graph: {_error_cause(exc)}"
        ) from None
    input_keys = signature_keys(s.key for s in inputs)
    output_keys = signature_keys(s.key for s in outputs)
    specs = [
        tf.TensorSpec(
            None if s.shape is None else list(s.shape), tf.dtypes.as_dtype(s.dtype), name=key
        )
        for s, key in zip(inputs, input_keys, strict=True)
    ]

    def serve(*args: Any) -> dict[str, Any]:
        results = graph_function(*args, *(table.resource_handle for _, table in tables))
        return {key: tf.identity(t, name=key) for key, t in zip(output_keys, results, strict=True)}

    function = tf.function(serve, input_signature=specs).get_concrete_function()
    module = tf.Module()
    module.graph_function = graph_function
    module.tables = [table for _, table in tables]
    _save(module, function, target)


def save_keras_model(model: Any, target: Path) -> None:
    """Save a tf_keras model with a serving function over its named inputs."""
    import tensorflow as tf

    input_keys = signature_keys(model.input_names)
    output_keys = signature_keys(model.output_names)
    specs = [
        tf.TensorSpec(t.shape, t.dtype, name=key)
        for t, key in zip(model.inputs, input_keys, strict=True)
    ]

    def serve(*args: Any) -> dict[str, Any]:
        result = model(list(args) if len(args) > 1 else args[0], training=False)
        results = result if isinstance(result, list | tuple) else [result]
        return dict(zip(output_keys, results, strict=True))

    function = tf.function(serve, input_signature=specs).get_concrete_function()
    _save(model, function, target)
