"""Deterministic validation inputs: the same seeded samples go through every runtime."""

from __future__ import annotations

import numpy as np

FLOAT_RANGE = (-1.0, 1.0)
INT_RANGE = (0, 10)  # small and non-negative: valid as indices, ids and counts

INPUT_NOTE = (
    f"floats uniform in [{FLOAT_RANGE[0]:g}, {FLOAT_RANGE[1]:g}), "
    f"integers uniform in [{INT_RANGE[0]}, {INT_RANGE[1]}), uint8 in [0, 255], bools fair"
)


def synthetic_sample(
    specs: list[tuple[str, str, tuple[int, ...]]], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """One sample: an array per input, from (name, numpy dtype name, concrete shape) specs."""
    sample: dict[str, np.ndarray] = {}
    for name, dtype_name, shape in specs:
        dtype = np.dtype(dtype_name)
        if dtype == np.bool_:
            sample[name] = rng.random(shape) < 0.5
        elif dtype == np.uint8:
            sample[name] = rng.integers(0, 256, size=shape, dtype=np.uint8)
        elif np.issubdtype(dtype, np.integer):
            sample[name] = rng.integers(*INT_RANGE, size=shape).astype(dtype)
        elif np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.complexfloating):
            sample[name] = rng.uniform(*FLOAT_RANGE, size=shape).astype(dtype)
        elif dtype.kind in ("S", "U", "O"):
            sample[name] = np.full(shape, b"hub-convert", dtype=object)
        else:
            raise ValueError(f"input {name!r}: no synthetic data for dtype {dtype_name}")
    return sample


def synthetic_samples(
    specs: list[tuple[str, str, tuple[int, ...]]], count: int, seed: int
) -> list[dict[str, np.ndarray]]:
    """``count`` samples from one seeded generator: identical on every run with that seed."""
    rng = np.random.default_rng(seed)
    return [synthetic_sample(specs, rng) for _ in range(count)]
