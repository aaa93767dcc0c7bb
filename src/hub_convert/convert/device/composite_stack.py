"""Two samples' parts of one SparseTensor or RaggedTensor joined into one tensor of both
batches, the second's rows after the first's: what stacking dense inputs along the batch does,
done so the parts still agree (stacked part by part, a SparseTensor's indices would repeat and
fall outside its dense_shape, and the original refuses them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def stack_composite(
    kind: str,
    parts: Sequence[str],
    first: Mapping[str, np.ndarray],
    second: Mapping[str, np.ndarray],
) -> dict[str, np.ndarray] | None:
    """The parts of the two samples' tensors joined along the batch; None for a kind (or
    parts) this cannot join."""
    if kind == "sparse" and len(parts) == 3:
        indices, values, dense_shape = parts
        return _sparse(indices, values, dense_shape, first, second)
    if kind == "ragged" and len(parts) >= 2:
        return _ragged(parts, first, second)
    return None


def _sparse(
    indices: str,
    values: str,
    dense_shape: str,
    first: Mapping[str, np.ndarray],
    second: Mapping[str, np.ndarray],
) -> dict[str, np.ndarray] | None:
    shape_a, shape_b = first[dense_shape], second[dense_shape]
    if shape_a.ndim != 1 or not shape_a.size or shape_a.shape != shape_b.shape:
        return None
    moved = second[indices].copy()
    moved[:, 0] += shape_a[0]  # below the first's rows: row-major order holds
    joined_shape = np.maximum(shape_a, shape_b)
    joined_shape[0] = shape_a[0] + shape_b[0]
    return {
        indices: np.concatenate([first[indices], moved]),
        values: np.concatenate([first[values], second[values]]),
        dense_shape: joined_shape.astype(shape_a.dtype),
    }


def _ragged(
    parts: Sequence[str], first: Mapping[str, np.ndarray], second: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    flat_values, *splits = parts
    joined = {flat_values: np.concatenate([first[flat_values], second[flat_values]])}
    for name in splits:  # each level's splits continue from where the first's end
        a, b = first[name], second[name]
        joined[name] = np.concatenate([a, b[1:] + a[-1]]).astype(a.dtype)
    return joined
