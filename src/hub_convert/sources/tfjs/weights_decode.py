"""TF.js weights decoded into arrays as TF.js's own reader does (the rules in weights.py); runs
in the worker that rebuilds the model, the only side of a TF.js run that needs numpy."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ...errors import BadInputError
from .weights import PLAIN_DTYPES, WeightGroup, WeightSpec, read_group_bytes, string_length


def dequantize(spec: WeightSpec, stored: np.ndarray) -> np.ndarray:
    """The tensor TF.js builds from the stored values (the rules in weights.py)."""
    q = spec.quantization
    if q is None:
        return stored.astype(np.bool_) if spec.dtype == "bool" else stored
    if q.dtype == "float16":
        return stored.astype(np.float32)
    # TF.js evaluates q * scale + min in double precision, then stores it in the tensor.
    values = stored.astype(np.float64) * q.scale + q.min
    if spec.dtype == "int32":
        # JavaScript's Math.round: halves go up.
        return np.floor(values + 0.5).astype(np.int32)
    return values.astype(np.float32)


def decode_group(model_json: Path, group: WeightGroup, data: bytes) -> dict[str, np.ndarray]:
    """Every weight of one group from its concatenated bytes."""
    out: dict[str, np.ndarray] = {}
    offset = 0
    for spec in group.weights:
        if spec.stored_dtype == "string":
            values = []
            for _ in range(spec.size):
                length = string_length(data, offset)
                values.append(data[offset + 4 : offset + 4 + length])
                offset += 4 + length
            array = np.empty(spec.size, dtype=object)
            array[:] = values
            out[spec.name] = array.reshape(spec.shape)
            continue
        stored = np.frombuffer(data, PLAIN_DTYPES[spec.stored_dtype], spec.size, offset)
        offset += stored.nbytes
        out[spec.name] = dequantize(spec, stored.reshape(spec.shape)).copy()
    if offset != len(data):
        raise BadInputError(
            f"{model_json}: weight group bytes ({len(data)}) do not match the manifest "
            f"({offset}); restore the shards or re-export the model"
        )
    return out


def read_weights(model_json: Path, groups: Sequence[WeightGroup]) -> dict[str, np.ndarray]:
    """All weights by manifest name, dequantized as TF.js does."""
    weights: dict[str, np.ndarray] = {}
    for group in groups:
        weights.update(decode_group(model_json, group, read_group_bytes(model_json, group)))
    return weights
