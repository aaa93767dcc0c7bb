"""Synthetic SparseTensor and RaggedTensor parts are coherent: TensorFlow accepts them as one
tensor, for several declared shapes, dtypes and seeds, and their shapes hold in every sample."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hub_convert.convert.composite_inputs import CompositeInput
from hub_convert.convert.composite_samples import COMPOSITE_SIZES, layout_for
from hub_convert.convert.inputs import InputSpec, synthetic_samples

pytestmark = pytest.mark.tf

SPARSE_SHAPES: list[tuple[int | None, ...]] = [
    (None, None),
    (None, 5),
    (3, None, 2),
    (None,),
    (2, 7),
]
RAGGED = [((None, None), 1, "int64"), ((None, None, None), 2, "int32"), ((4, None, 3), 1, "int64")]


def _sparse(shape: tuple[int | None, ...]) -> CompositeInput:
    return CompositeInput("feature", "sparse", ("f_indices", "f_values", "f_dense_shape"), shape)


def _specs(layout_shapes: dict[str, tuple[int, ...]], dtypes: dict[str, str]) -> list[InputSpec]:
    return [InputSpec(name, dtypes[name], shape) for name, shape in layout_shapes.items()]


def test_sparse_parts_are_one_valid_sparse_tensor() -> None:
    import tensorflow as tf

    cases = itertools.product(
        SPARSE_SHAPES, ("float32", "int64", "string"), range(len(COMPOSITE_SIZES))
    )
    for seed, (declared, dtype, step) in enumerate(cases):
        layout = layout_for(_sparse(declared), None, step)
        dtypes = {"f_indices": "int64", "f_values": dtype, "f_dense_shape": "int64"}
        samples = synthetic_samples(_specs(layout.shapes, dtypes), 3, seed, [layout])
        for sample in samples:
            indices, values, dense_shape = (sample[n] for n in layout.composite.components)
            where = f"{declared} {dtype} step {step} seed {seed}"
            assert tuple(dense_shape) == layout.dense_shape, where
            assert all(d == b for d, b in zip(layout.dense_shape, declared, strict=True) if b), (
                where
            )
            assert indices.shape == (layout.count, len(declared)) and values.shape == (
                layout.count,
            )
            assert 1 <= layout.count <= int(np.prod(dense_shape)), where
            assert (indices >= 0).all() and (indices < dense_shape).all(), where
            flat = np.ravel_multi_index(indices.T, tuple(dense_shape))
            assert (np.diff(flat) > 0).all(), f"{where}: indices repeat or are out of order"
            sparse = tf.SparseTensor(indices, values, dense_shape)
            # Reordering a row-major SparseTensor changes nothing; to_dense checks bounds too.
            assert (tf.sparse.reorder(sparse).indices.numpy() == indices).all(), where
            if dtype != "string":
                dense = tf.sparse.to_dense(sparse).numpy()
                assert np.count_nonzero(dense == 0) >= dense.size - layout.count, where


def test_sparse_samples_differ_between_seeds_and_repeat_with_one() -> None:
    layout = layout_for(_sparse((None, 16)), None, 0)
    dtypes = {"f_indices": "int64", "f_values": "float32", "f_dense_shape": "int64"}
    specs = _specs(layout.shapes, dtypes)
    first, again = (
        synthetic_samples(specs, 2, 7, [layout]),
        synthetic_samples(specs, 2, 7, [layout]),
    )
    assert all((a[n] == b[n]).all() for a, b in zip(first, again, strict=True) for n in a)
    other = synthetic_samples(specs, 2, 8, [layout])
    assert any((a["f_indices"] != b["f_indices"]).any() for a, b in zip(first, other, strict=True))


def test_ragged_parts_are_one_valid_ragged_tensor() -> None:
    import tensorflow as tf

    for seed, ((declared, rank, splits_dtype), step) in enumerate(
        itertools.product(RAGGED, range(len(COMPOSITE_SIZES)))
    ):
        names = ("r_values", *(f"r_splits_{level}" for level in range(rank)))
        composite = CompositeInput("r", "ragged", names, declared, ragged_rank=rank)
        layout = layout_for(composite, None, step)
        dtypes = {"r_values": "float32", **{n: splits_dtype for n in names[1:]}}
        for sample in synthetic_samples(_specs(layout.shapes, dtypes), 3, seed, [layout]):
            splits = [sample[n] for n in names[1:]]
            where = f"{declared} rank {rank} step {step} seed {seed}"
            assert len(splits[0]) - 1 == layout.dense_shape[0], where
            for level, row_splits in enumerate(splits):
                below = len(splits[level + 1]) - 1 if level + 1 < rank else len(sample["r_values"])
                assert row_splits[0] == 0 and row_splits[-1] == below, where
                assert (np.diff(row_splits) >= 0).all(), where
            ragged = tf.RaggedTensor.from_nested_row_splits(
                sample["r_values"], splits, validate=True
            )
            assert ragged.shape.rank == len(declared), where
            assert ragged.shape[0] == layout.dense_shape[0], where


def test_other_composites_are_refused_in_one_line() -> None:
    composite = CompositeInput("q", "other", ("q_component_0", "q_component_1"), None)
    with pytest.raises(ValueError, match="--representative-data") as caught:
        layout_for(composite, None, 0)
    assert "\n" not in str(caught.value)


def test_two_samples_join_into_one_valid_tensor_of_both_batches() -> None:
    import tensorflow as tf

    from hub_convert.convert.device.composite_stack import stack_composite

    sparse = layout_for(_sparse((None, None)), None, 0)
    dtypes = {"f_indices": "int64", "f_values": "float32", "f_dense_shape": "int64"}
    a, b = synthetic_samples(_specs(sparse.shapes, dtypes), 2, 5, [sparse])
    joined = stack_composite("sparse", sparse.composite.components, a, b)
    assert joined is not None
    tensor = tf.SparseTensor(joined["f_indices"], joined["f_values"], joined["f_dense_shape"])
    dense = tf.sparse.to_dense(tensor).numpy()  # checks bounds, order and repeats
    assert dense.shape == (2, 4)
    assert (dense[:1] == tf.sparse.to_dense(tf.SparseTensor(*a.values())).numpy()).all()

    names = ("r_values", "r_splits_0", "r_splits_1")
    ragged = layout_for(CompositeInput("r", "ragged", names, (None, None, None), 2), None, 0)
    dtypes = {"r_values": "float32", "r_splits_0": "int64", "r_splits_1": "int64"}
    a, b = synthetic_samples(_specs(ragged.shapes, dtypes), 2, 6, [ragged])
    joined = stack_composite("ragged", names, a, b)
    assert joined is not None
    both = tf.RaggedTensor.from_nested_row_splits(
        joined["r_values"], [joined["r_splits_0"], joined["r_splits_1"]], validate=True
    )
    second = tf.RaggedTensor.from_nested_row_splits(
        b["r_values"], [b["r_splits_0"], b["r_splits_1"]], validate=True
    )
    assert both.shape[0] == 2
    assert both[1:].to_list() == second.to_list()


@pytest.mark.parametrize("declared", [(None,) * 64, (1, 2**40, 2**40, 2**40)])
def test_a_sparse_shape_past_int64_positions_gets_valid_indices(
    declared: tuple[int | None, ...],
) -> None:
    """Rank 64 (4 per unknown dimension: 4**63 positions) or declared dimensions whose product
    overflows int64: the row-major position was an OverflowError ('inspecting the model
    failed'); the indices are drawn axis by axis, still unique, in bounds and row-major."""
    import tensorflow as tf

    layout = layout_for(_sparse(declared), None, 0)
    dtypes = {"f_indices": "int64", "f_values": "float32", "f_dense_shape": "int64"}
    [sample] = synthetic_samples(_specs(layout.shapes, dtypes), 1, 0, [layout])
    indices, values, dense_shape = (sample[n] for n in layout.composite.components)

    assert indices.shape == (16, len(declared)) and (indices < dense_shape).all()
    rows = [tuple(row) for row in indices.tolist()]
    assert rows == sorted(set(rows)), "indices repeat or are out of order"
    # TensorFlow takes them as one SparseTensor: reordering a row-major one changes nothing.
    reordered = tf.sparse.reorder(tf.SparseTensor(indices, values, dense_shape))
    assert (reordered.indices.numpy() == indices).all()
