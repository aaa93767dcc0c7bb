"""What the cut_*.py scripts share: the weights of the kept nodes sliced out of a TF.js graph
model's shards, and the cut written as a graph model (numpy only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

ITEMSIZE = {"float32": 4, "int32": 4, "float16": 2, "uint8": 1, "uint16": 2, "bool": 1}


def kept_weights(source: Path, model: dict[str, Any], keep: set[str]) -> tuple[list[Any], bytes]:
    """(the manifest entries of the nodes in ``keep``, their bytes), in the manifest's order;
    a quantized weight takes its stored size."""
    manifest = model["weightsManifest"][0]
    data = b"".join((source.parent / p).read_bytes() for p in manifest["paths"])
    entries, chunks, offset = [], [], 0
    for entry in manifest["weights"]:
        stored = entry.get("quantization", {}).get("dtype", entry["dtype"])
        size = int(np.prod(entry["shape"], dtype=np.int64)) * ITEMSIZE[stored]
        if entry["name"] in keep:
            entries.append(entry)
            chunks.append(data[offset : offset + size])
        offset += size
    assert offset == len(data), (offset, len(data))
    return entries, b"".join(chunks)


def write_graph_model(
    target: Path,
    stem: str,
    model: dict[str, Any],
    nodes: list[Any],
    weights: tuple[list[Any], bytes],
    signature: dict[str, Any] | None = None,
) -> None:
    """``target``/``stem``.json and .bin: the cut as a graph model, with the source's
    provenance fields and ``signature`` (as the source file places it) when given."""
    document: dict[str, Any] = {
        "format": "graph-model",
        "generatedBy": model["generatedBy"],
        "convertedBy": model["convertedBy"],
    }
    if signature is not None:
        document.update(signature)
    entries, data = weights
    document["modelTopology"] = {
        "node": nodes,
        "library": {},
        "versions": model["modelTopology"].get("versions", {}),
    }
    document["weightsManifest"] = [{"paths": [f"{stem}.bin"], "weights": entries}]
    (target / f"{stem}.json").write_text(json.dumps(document, indent=1) + "\n")
    (target / f"{stem}.bin").write_bytes(data)
