"""Coherent synthetic parts for a SparseTensor or RaggedTensor input.

The parts of one composite are made together so that the original model accepts them: a
SparseTensor's indices are unique, inside its dense_shape and in row-major order (what
``tf.sparse`` ops require); a RaggedTensor's row splits start at 0, never decrease and end at
the number of values (or rows) below them. Each part's shape is the same in every sample, so
the TFLite conversion can fix it. The values are made like any dense input's (inputs.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .composite_inputs import CompositeInput

# Sizes tried, in order, for a composite's unknown dimensions other than the batch: a few
# values per row first; one, as many tf.Transform features allow (a dense [batch, 1] feature
# with one value per row), when the model refuses more.
COMPOSITE_SIZES = (4, 1)
# At most this many values per SparseTensor: sparse features are mostly empty.
MAX_NONZEROS = 16
BATCH = 1  # a dynamic batch axis, as for dense inputs
# Above this many dense positions a row-major position no longer fits in int64 (rank 64 with 4
# per unknown dimension is 4**63): indices are drawn axis by axis instead.
MAX_FLAT_POSITION = 2**62


@dataclass(frozen=True)
class CompositeLayout:
    """The shapes chosen for one composite input: its dense (or ragged) shape, and each
    part's shape in ``shapes``, keyed by the flat input name."""

    composite: CompositeInput
    dense_shape: tuple[int, ...]
    count: int  # a SparseTensor's nonzeros; a RaggedTensor's flat values
    shapes: dict[str, tuple[int, ...]]
    row_counts: tuple[int, ...] = ()  # a RaggedTensor: the rows each level of splits splits

    @property
    def values_name(self) -> str:
        """The flat input that holds the values: made like a dense input of its dtype."""
        index = 1 if self.composite.kind == "sparse" else 0
        return self.composite.components[index]

    def note(self) -> str:
        """What was fed, for the report."""
        c = self.composite
        parts = ", ".join(c.components)
        shape = "[" + ", ".join(str(d) for d in self.dense_shape) + "]"
        values = f"{self.count} value{'' if self.count == 1 else 's'}"
        if c.kind == "sparse":
            return (
                f"{c.name} is one SparseTensor ({parts}): dense shape {shape}, {values} at "
                "unique indices in row-major order"
            )
        return (
            f"{c.name} is one RaggedTensor ({parts}): shape {shape} with ragged rank "
            f"{c.ragged_rank}, {values}, row splits from 0 to each level's size"
        )


def layout_for(composite: CompositeInput, rank_hint: int | None, step: int) -> CompositeLayout:
    """The shapes for a composite at the ``step``-th try: a dynamic batch is BATCH, other
    unknown dimensions COMPOSITE_SIZES[step] (the last one after the end)."""
    size = COMPOSITE_SIZES[min(step, len(COMPOSITE_SIZES) - 1)]
    declared = composite.shape
    if declared is None:
        declared = (None,) * (rank_hint or 2)
    dims = tuple(
        d if d is not None else (BATCH if axis == 0 else size) for axis, d in enumerate(declared)
    )
    if composite.kind == "sparse":
        return _sparse_layout(composite, dims)
    if composite.kind == "ragged":
        return _ragged_layout(composite, dims, size)
    raise ValueError(
        f"input {composite.name!r} is a composite tensor other than a SparseTensor or a "
        f"RaggedTensor ({', '.join(composite.components)}): no synthetic data for it; give "
        "real inputs with --representative-data"
    )


def _sparse_layout(composite: CompositeInput, dims: tuple[int, ...]) -> CompositeLayout:
    total = math.prod(dims)
    count = min(max(total // 2, 1), total, MAX_NONZEROS)
    indices, values, dense_shape = composite.components
    shapes = {indices: (count, len(dims)), values: (count,), dense_shape: (len(dims),)}
    return CompositeLayout(composite, dims, count, shapes)


def _ragged_layout(composite: CompositeInput, dims: tuple[int, ...], size: int) -> CompositeLayout:
    levels = composite.ragged_rank
    rows = [dims[0]]
    for _ in range(levels):  # each row gets `size` values on average
        rows.append(rows[-1] * size)
    inner = dims[levels + 1 :]
    flat_values, *splits = composite.components
    shapes = {flat_values: (rows[-1], *inner)}
    shapes.update({name: (rows[level] + 1,) for level, name in enumerate(splits)})
    return CompositeLayout(composite, dims, rows[-1], shapes, row_counts=tuple(rows))


def structure_arrays(
    layout: CompositeLayout, dtypes: dict[str, np.dtype], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """The parts that hold the structure (a SparseTensor's indices and dense_shape, a
    RaggedTensor's row splits), coherent with the layout; the values are made elsewhere."""
    c = layout.composite
    if c.kind == "sparse":
        indices, _, dense_shape = c.components
        total = math.prod(layout.dense_shape)
        if total <= MAX_FLAT_POSITION:
            flat = np.sort(rng.choice(total, size=layout.count, replace=False))
            where = np.stack(np.unravel_index(flat, layout.dense_shape), axis=1)
        else:
            where = _scattered_indices(layout.dense_shape, layout.count, rng)
        return {
            indices: where.reshape(layout.count, len(layout.dense_shape)).astype(dtypes[indices]),
            dense_shape: np.asarray(layout.dense_shape, dtype=dtypes[dense_shape]),
        }
    arrays: dict[str, np.ndarray] = {}
    for level, name in enumerate(c.components[1:]):
        rows, below = layout.row_counts[level], layout.row_counts[level + 1]
        lengths = rng.multinomial(below, np.full(rows, 1.0 / rows)) if rows else np.zeros(0)
        splits = np.concatenate([[0], np.cumsum(lengths)])
        arrays[name] = splits.astype(dtypes[name])
    return arrays


def _scattered_indices(
    dense_shape: tuple[int, ...], count: int, rng: np.random.Generator
) -> np.ndarray:
    """``count`` unique indices inside ``dense_shape`` in row-major order, drawn axis by axis
    (for a dense shape whose positions overflow int64; repeats there are all but impossible)."""
    found = np.zeros((0, len(dense_shape)), dtype=np.int64)
    while len(found) < count:
        drawn = np.stack([rng.integers(0, d, size=count) for d in dense_shape], axis=1)
        found = np.unique(np.concatenate([found, drawn]), axis=0)  # sorted: row-major
    return found[:count]
