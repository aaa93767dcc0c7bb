"""Validation samples and the original model's outputs, passed between processes as one .npz."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class Samples:
    """``inputs[i]`` and ``outputs[i]`` are sample i's input and reference output arrays;
    ``composites`` the inputs that are parts of one SparseTensor / RaggedTensor, as (kind,
    part names in TensorFlow's order): what must change together (second_shape.py)."""

    input_names: list[str]
    output_names: list[str]
    inputs: list[dict[str, np.ndarray]]
    outputs: list[dict[str, np.ndarray]]
    composites: list[tuple[str, list[str]]] = field(default_factory=list)

    def save(self, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {
            "input_names": np.array(self.input_names, dtype=object),
            "output_names": np.array(self.output_names, dtype=object),
            "count": np.array(len(self.inputs)),
            "composites": np.array(json.dumps(self.composites)),
        }
        for i, sample in enumerate(self.inputs):
            for j, name in enumerate(self.input_names):
                arrays[f"in_{i}_{j}"] = sample[name]
        for i, sample in enumerate(self.outputs):
            for j, name in enumerate(self.output_names):
                arrays[f"out_{i}_{j}"] = sample[name]
        with path.open("wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> Samples:
        # allow_pickle only for the name lists and string inputs this process itself wrote.
        with np.load(path, allow_pickle=True) as data:
            input_names = [str(n) for n in data["input_names"]]
            output_names = [str(n) for n in data["output_names"]]
            count = int(data["count"])
            groups = json.loads(str(data["composites"])) if "composites" in data else []
            inputs = [
                {name: data[f"in_{i}_{j}"] for j, name in enumerate(input_names)}
                for i in range(count)
            ]
            outputs = [
                {name: data[f"out_{i}_{j}"] for j, name in enumerate(output_names)}
                for i in range(count)
            ]
        composites = [(str(kind), [str(n) for n in parts]) for kind, parts in groups]
        return cls(input_names, output_names, inputs, outputs, composites)

    def reference(self, output: str) -> list[np.ndarray]:
        return [sample[output] for sample in self.outputs]
