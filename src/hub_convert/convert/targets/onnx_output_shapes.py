"""Shapes for ONNX graph outputs that tf2onnx left without one.

A signature output of unknown rank (a Keras 2 subclassed model's ``tf.squeeze`` with no axis,
a reshape to a computed shape) becomes a graph output with no ``shape`` field, which
``onnx.checker`` refuses ("Field 'shape' of 'type' is required but missing") though the file
runs. ONNX's shape inference fills what it can; otherwise the original's own outputs on the
validation samples give the rank, each dimension left symbolic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def unshaped_outputs(model: Any) -> list[str]:
    """The graph outputs whose tensor type has no shape at all (unknown rank)."""
    return [
        output.name
        for output in model.graph.output
        if output.type.HasField("tensor_type") and not output.type.tensor_type.HasField("shape")
    ]


def shape_from_inference(model: Any) -> list[str]:
    """Give unshaped outputs the shapes ONNX's shape inference finds; the names still without."""
    import onnx

    missing = unshaped_outputs(model)
    if not missing:
        return []
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception:  # inference is a best effort here; the checker speaks later
        return missing
    found = {
        value.name: value
        for value in [*inferred.graph.value_info, *inferred.graph.output]
        if value.type.tensor_type.HasField("shape")
    }
    for output in model.graph.output:
        if output.name in missing and output.name in found:
            output.type.tensor_type.shape.CopyFrom(found[output.name].type.tensor_type.shape)
    return unshaped_outputs(model)


def shape_from_samples(model: Any, produced: Mapping[str, Sequence[np.ndarray]]) -> list[str]:
    """Give unshaped outputs the shapes the original produced (``produced``: the output's
    arrays, one per sample, by graph output name): its rank, every dimension symbolic (the
    samples share one input shape; another may give other sizes). Returns the names it could
    not shape (no sample, or the samples' ranks differ)."""
    left = []
    for output in model.graph.output:
        if output.name not in unshaped_outputs(model):
            continue
        arrays = [np.asarray(a) for a in produced.get(output.name, ())]
        if not arrays or len({a.ndim for a in arrays}) != 1:
            left.append(output.name)
            continue
        shape = output.type.tensor_type.shape
        shape.SetInParent()  # rank 0 is a shape with no dimensions, not a missing shape
        for axis in range(arrays[0].ndim):
            shape.dim.add().dim_param = f"{output.name}_dim{axis}"
    return left


def missing_shapes_reason(names: list[str]) -> str:
    """Why a file whose outputs have no shape is not kept."""
    listed = ", ".join(repr(n) for n in names)
    return (
        f"the original's signature declares output(s) {listed} with unknown rank and neither "
        "ONNX's shape inference nor the original's outputs on the samples gave one "
        "(onnx.checker requires a shape on every graph output)"
    )
