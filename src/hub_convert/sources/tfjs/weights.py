"""TF.js weights: the ``weightsManifest`` groups and their shard files, checked. No TensorFlow, no
numpy: the main process checks a TF.js model with this, and decoding (weights_decode.py) runs in
the worker that rebuilds the model.

The rules follow TF.js's own reader (tfjs-core/src/io/io_utils.ts ``decodeWeights``), because
the model to reproduce is the one TF.js runs:

- a group's shards are concatenated in manifest order; its weights follow each other in that
  buffer in manifest order, little-endian, without padding;
- ``bool`` is one byte per value; ``string`` is, per value, a uint32 byte length and the bytes;
- ``quantization: {dtype: uint8|uint16, scale, min}`` means ``value = q * scale + min``
  (computed in double precision, stored as float32; rounded for int32 weights);
  ``quantization: {dtype: float16}`` stores float32 weights as IEEE half floats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import BadInputError

# Bytes per value of each stored dtype. TF.js itself decodes float32/int32/bool/complex64/
# string; float16/uint8/uint16 unquantized are what tensorflowjs's Python writer emits for
# such TensorFlow constants, and are read here too.
PLAIN_DTYPES: dict[str, str] = {
    "float32": "<f4",
    "int32": "<i4",
    "bool": "u1",
    "complex64": "<c8",
    "float16": "<f2",
    "uint8": "u1",
    "uint16": "<u2",
}
_QUANTIZED_DTYPES: dict[str, str] = {"uint8": "u1", "uint16": "<u2", "float16": "<f2"}
KNOWN_DTYPES = (*PLAIN_DTYPES, "string")


@dataclass(frozen=True)
class Quantization:
    """How a weight was compressed: the stored dtype and, for integers, the affine map."""

    dtype: str  # uint8 | uint16 | float16
    scale: float = 1.0
    min: float = 0.0


@dataclass(frozen=True)
class WeightSpec:
    """One entry of a manifest group: a named tensor stored in the group's buffer."""

    name: str
    shape: tuple[int, ...]
    dtype: str  # the dtype of the (dequantized) tensor
    quantization: Quantization | None = None

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def stored_dtype(self) -> str:
        return self.quantization.dtype if self.quantization else self.dtype

    def byte_length(self) -> int | None:
        """Bytes in the buffer, or None for strings (their length is in the data)."""
        if self.stored_dtype == "string":
            return None
        return self.size * int(PLAIN_DTYPES[self.stored_dtype][-1])  # "<f4": 4 bytes


@dataclass(frozen=True)
class WeightGroup:
    """Weights stored back to back across the group's shard files."""

    paths: tuple[str, ...]
    weights: tuple[WeightSpec, ...]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parse_quantization(where: str, dtype: str, raw: Any) -> Quantization:
    if not isinstance(raw, dict) or raw.get("dtype") not in _QUANTIZED_DTYPES:
        found = raw.get("dtype") if isinstance(raw, dict) else raw
        raise BadInputError(
            f"{where}: unknown quantization dtype {found!r}; TF.js uses uint8, uint16 or float16"
        )
    qtype = str(raw["dtype"])
    if qtype == "float16":
        if dtype != "float32":
            raise BadInputError(f"{where}: float16 quantization of a {dtype} weight is invalid")
        return Quantization(qtype)
    if dtype not in ("float32", "int32"):
        raise BadInputError(f"{where}: {qtype} quantization of a {dtype} weight is invalid")
    # TF.js refuses integer quantization without both numbers; so does this reader, rather
    # than guess at what another field (such as an 'offset') would mean.
    if not (_number(raw.get("scale")) and _number(raw.get("min"))):
        raise BadInputError(
            f"{where}: {qtype} quantization needs numeric 'scale' and 'min' "
            f"(got keys {sorted(raw)}); re-export the model with tensorflowjs"
        )
    return Quantization(qtype, float(raw["scale"]), float(raw["min"]))


def _parse_weight(where: str, raw: Any) -> WeightSpec:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise BadInputError(f"{where}: a weight entry has no 'name'")
    where = f"{where}: weight {raw['name']!r}"
    shape = raw.get("shape")
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise BadInputError(f"{where}: shape {shape!r} is not a list of sizes >= 0")
    dtype = raw.get("dtype")
    if dtype not in KNOWN_DTYPES:
        raise BadInputError(f"{where}: unknown dtype {dtype!r}; known: {', '.join(KNOWN_DTYPES)}")
    quantization = None
    if raw.get("quantization") is not None:
        quantization = _parse_quantization(where, str(dtype), raw["quantization"])
    return WeightSpec(str(raw["name"]), tuple(shape), str(dtype), quantization)


def parse_manifest(model_json: Path, manifest: Sequence[Any]) -> list[WeightGroup]:
    """Check the ``weightsManifest`` structure, dtypes and quantization; names are unique."""
    groups = []
    seen: set[str] = set()
    for index, raw in enumerate(manifest, start=1):
        where = f"{model_json}: weightsManifest group {index}"
        if not isinstance(raw, dict):
            raise BadInputError(f"{where} is not an object with 'paths' and 'weights'")
        paths, weights = raw.get("paths"), raw.get("weights")
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise BadInputError(f"{where}: 'paths' is not a list of shard file names")
        if not isinstance(weights, list):
            raise BadInputError(f"{where}: 'weights' is not a list")
        specs = tuple(_parse_weight(f"{model_json}", w) for w in weights)
        for spec in specs:
            if spec.name in seen:
                raise BadInputError(
                    f"{model_json}: weight {spec.name!r} appears twice in weightsManifest"
                )
            seen.add(spec.name)
        groups.append(WeightGroup(tuple(paths), specs))
    return groups


def shard_files(model_json: Path, group: WeightGroup) -> list[Path]:
    """The group's shard files, which must exist inside the model.json's directory."""
    base = model_json.parent.resolve()
    files = []
    for name in group.paths:
        # A model.json under review must not pull in files from elsewhere (../../secrets,
        # /etc/...): their bytes would end up in the published artifacts.
        if "://" in name or Path(name).is_absolute():
            raise BadInputError(
                f"{model_json}: weight path {name!r} is not relative; put the shards next "
                "to model.json and list them by file name"
            )
        path = (base / name).resolve()
        if not path.is_relative_to(base):
            raise BadInputError(
                f"{model_json}: weight path {name!r} points outside the model directory; "
                "put the shards next to model.json"
            )
        if not path.is_file():
            raise BadInputError(
                f"{model_json}: weight shard {name!r} is missing (looked for {path}); copy "
                "every shard listed in weightsManifest next to model.json"
            )
        files.append(path)
    return files


def string_length(data: bytes, offset: int) -> int:
    """The byte length of the string whose uint32 little-endian length prefix is at ``offset``."""
    return int.from_bytes(data[offset : offset + 4], "little")


def _string_bytes(data: bytes, offset: int, count: int) -> int | None:
    """Bytes taken by ``count`` length-prefixed strings at ``offset``; None if truncated."""
    start = offset
    for _ in range(count):
        if offset + 4 > len(data):
            return None
        offset += 4 + string_length(data, offset)
        if offset > len(data):
            return None
    return offset - start


def _expected_group_bytes(model_json: Path, index: int, group: WeightGroup) -> int:
    """Bytes the group's weights need, reading string lengths from the shards if needed."""
    lengths = [spec.byte_length() for spec in group.weights]
    if all(length is not None for length in lengths):
        return sum(length for length in lengths if length is not None)
    data = read_group_bytes(model_json, group)
    offset = 0
    for spec, length in zip(group.weights, lengths, strict=True):
        taken = length if length is not None else _string_bytes(data, offset, spec.size)
        if taken is None:
            raise BadInputError(
                f"{model_json}: weight group {index} ends inside string weight {spec.name!r}; "
                "a shard is truncated, restore it or re-export the model"
            )
        offset += taken
    return offset


def check_shards(model_json: Path, groups: Sequence[WeightGroup]) -> int:
    """Verify every shard exists and each group holds exactly the bytes its weights need.

    Returns the total size of the shards in bytes.
    """
    total = 0
    for index, group in enumerate(groups, start=1):
        files = shard_files(model_json, group)
        actual = sum(f.stat().st_size for f in files)
        expected = _expected_group_bytes(model_json, index, group)
        if actual != expected:
            which = "short" if actual < expected else "long"
            raise BadInputError(
                f"{model_json}: weight group {index} ({', '.join(group.paths) or 'no shards'}) "
                f"holds {actual} bytes but the manifest needs {expected} for its weights "
                f"(a shard is too {which}); restore the shards or re-export the model"
            )
        total += actual
    return total


def read_group_bytes(model_json: Path, group: WeightGroup) -> bytes:
    """The group's shards concatenated in manifest order."""
    return b"".join(path.read_bytes() for path in shard_files(model_json, group))


def describe(groups: Sequence[WeightGroup]) -> str:
    """A one-line summary for the report, e.g. '3 shards, 2 groups, uint8/float16 quantized'."""
    shards = sum(len(g.paths) for g in groups)
    count = sum(len(g.weights) for g in groups)
    quantized = sorted({s.quantization.dtype for g in groups for s in g.weights if s.quantization})
    stored = sorted({s.dtype for g in groups for s in g.weights if not s.quantization})
    parts = [
        f"{count} weight{'s' * (count != 1)}",
        f"{shards} shard{'s' * (shards != 1)}",
        f"{len(groups)} group{'s' * (len(groups) != 1)}",
    ]
    if quantized:
        parts.append("/".join(quantized) + " quantized")
    if stored:
        parts.append("/".join(stored) + (" unquantized" if quantized else ""))
    return ", ".join(parts)
