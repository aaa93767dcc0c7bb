"""Weights as tensorflowjs writes them (write_weights.py / quantization.py): quantized, packed
back to back per group, split into shards; and model.json, plain or gzipped."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

GENERATED_BY = "2.15.0"
CONVERTED_BY = "TensorFlow.js Converter v4.22.0"


def quantize(data: np.ndarray, dtype: str) -> tuple[np.ndarray, dict[str, Any]]:
    """TF.js's affine uint8/uint16 quantization with the zero point nudged, or float16."""
    if dtype == "float16":
        return data.astype(np.float16), {"dtype": "float16"}
    qtype = np.uint8 if dtype == "uint8" else np.uint16
    lo, hi = float(data.min()), float(data.max())
    qmax = np.iinfo(qtype).max
    scale = (hi - lo) / qmax
    if lo <= 0 <= hi:
        lo = -round(-lo / scale) * scale
        hi = qmax * scale + lo
    q = np.round((np.clip(data, lo, hi) - lo) / scale).astype(qtype)
    return q, {"dtype": dtype, "scale": scale, "min": lo, "original_dtype": "float32"}


def dequantize(stored: np.ndarray, meta: dict[str, Any] | None) -> np.ndarray:
    """What TF.js reconstructs (tfjs-core io_utils.ts decodeWeight)."""
    if meta is None:
        return stored
    if meta["dtype"] == "float16":
        return stored.astype(np.float32)
    return (stored.astype(np.float64) * meta["scale"] + meta["min"]).astype(np.float32)


def _tfjs_dtype(array: np.ndarray) -> tuple[np.ndarray, str]:
    # tensorflowjs stores int64 as int32 and float64 as float32.
    if array.dtype == np.int64:
        array = array.astype(np.int32)
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    names = {np.float32: "float32", np.int32: "int32", np.bool_: "bool", np.object_: "string"}
    return array, names[array.dtype.type]


def _string_bytes(array: np.ndarray) -> bytes:
    out = b""
    for value in array.reshape(-1):
        raw = value if isinstance(value, bytes) else str(value).encode()
        out += np.array(len(raw), "<u4").tobytes() + raw
    return out


def write_weights(
    directory: Path,
    groups: list[list[tuple[str, np.ndarray]]],
    quantization: dict[str, str],
    shard_bytes: int,
) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """Write each group's weights back to back, split into shards of ``shard_bytes``.

    Returns the manifest and the value TF.js decodes for each weight.
    """
    manifest = []
    decoded: dict[str, np.ndarray] = {}
    for index, group in enumerate(groups, start=1):
        data = b""
        entries = []
        for name, value in group:
            array, dtype = _tfjs_dtype(np.asarray(value))
            entry: dict[str, Any] = {"name": name, "shape": list(array.shape), "dtype": dtype}
            meta = None
            if name in quantization and dtype == "float32":
                array, meta = quantize(array, quantization[name])
                entry["quantization"] = meta
            data += _string_bytes(array) if dtype == "string" else array.tobytes()
            decoded[name] = dequantize(array, meta)
            entries.append(entry)
        count = max(1, math.ceil(len(data) / shard_bytes))
        paths = [f"group{index}-shard{i}of{count}.bin" for i in range(1, count + 1)]
        for i, path in enumerate(paths):
            (directory / path).write_bytes(data[i * shard_bytes : (i + 1) * shard_bytes])
        manifest.append({"paths": paths, "weights": entries})
    return manifest, decoded


def write_model_json(directory: Path, document: dict[str, Any], *, compress: bool) -> Path:
    text = json.dumps(document).encode()
    if compress:
        path = directory / "model.json.gz"
        path.write_bytes(gzip.compress(text))
    else:
        path = directory / "model.json"
        path.write_bytes(text)
    return path
