"""The original's outputs at the second shapes, recorded where the original is already loaded
(the prepare step), so the ONNX files' second-shape check need not load it again: loading
MobileNetV2 a second time was most of that check's 2.9 s.

The shapes are those second_shape.py makes from the signature's own declared shapes. The check
uses a recorded outcome only for a feed the file's own declared shapes give too (the same
shape and values); any other feed is run on the original loaded then, as before."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..samples import Samples
from ..signature import run_reference
from ..tf_errors import one_line
from .second_shape import FileShape, SecondShape, second_shapes


def _key(shape: SecondShape) -> str:
    # The feed's values too: a shape is only the same feed when made from the same samples.
    digest = hashlib.sha256()
    for name in sorted(shape.feed):
        value = np.ascontiguousarray(shape.feed[name])
        digest.update(f"{name}:{value.dtype.str}:{value.shape}".encode())
        digest.update(value.tobytes() if value.dtype != object else repr(value.tolist()).encode())
    return digest.hexdigest()


@dataclass
class RecordedShapes:
    """The original at each second shape tried: its outputs, or why it refused the shape."""

    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # shape key -> outputs
    refused: dict[str, str] = field(default_factory=dict)  # shape key -> the original's error

    def outcome(self, shape: SecondShape) -> dict[str, Any] | str | None:
        """The outputs at ``shape``, the refusal's message, or None when not recorded."""
        key = _key(shape)
        return self.outputs.get(key, self.refused.get(key))

    def save(self, path: Path) -> None:
        """The accepted shapes' outputs as one .npz beside a JSON index with the refusals."""
        keys = list(self.outputs)
        arrays = {
            f"out_{i}_{j}": value
            for i, key in enumerate(keys)
            for j, value in enumerate(self.outputs[key].values())
        }
        index = {
            "accepted": keys,
            "names": [list(self.outputs[key]) for key in keys],
            "refused": self.refused,
        }
        with path.open("wb") as handle:
            np.savez(handle, **arrays)
        path.with_suffix(".json").write_text(json.dumps(index), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> RecordedShapes:
        """What ``save`` wrote; empty when nothing was recorded."""
        index_path = path.with_suffix(".json")
        if not path.is_file() or not index_path.is_file():
            return cls()
        index = json.loads(index_path.read_text(encoding="utf-8"))
        # allow_pickle for string outputs only: the file was written by this run's own worker.
        listed = zip(index["accepted"], index["names"], strict=True)
        with np.load(path, allow_pickle=True) as data:
            outputs = {
                str(key): {str(name): data[f"out_{i}_{j}"] for j, name in enumerate(names)}
                for i, (key, names) in enumerate(listed)
            }
        return cls(outputs=outputs, refused={str(k): str(v) for k, v in index["refused"].items()})


def record_second_shapes(
    function: Any, samples: Samples, declared: Mapping[str, FileShape], path: Path
) -> None:
    """Run ``function`` (the loaded original) at the second shapes its declared input shapes
    give, the first it takes and every one it refuses before it, as the check tries them."""
    recorded = RecordedShapes()
    for shape in second_shapes(samples, declared):
        try:
            [outputs] = run_reference(function, [shape.feed])
        except Exception as exc:  # the original refuses it: the check tries the next shape
            recorded.refused[_key(shape)] = one_line(exc)
            continue
        recorded.outputs[_key(shape)] = outputs
        break
    recorded.save(path)
