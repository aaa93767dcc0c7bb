"""Validation inputs: which shapes and values exercise the model, seeded and deterministic.

The same samples go through every runtime. Dynamic dimensions get realistic sizes rather
than 1 (a 1×1 image breaks resizes and poolings): image height/width 224, other dimensions
16 — and when the original model rejects a size, the next one on a ladder is tried. Inputs
that index an embedding or a gather get indices across all its rows, not only the first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import BadInputError
from ..report.plain_text import shape_text
from ..report.source_info import TensorInfo
from .composite_samples import CompositeLayout, structure_arrays

FLOAT_RANGE = (-1.0, 1.0)
# A rank-0 float input is a setting rather than data: a ratio, a scale, a threshold (Robust
# Video Matting's downsample_ratio sizes a resize, and fails below 0). Positive, at most 1.
SCALAR_FLOAT_RANGE = (0.25, 1.0)
INT_RANGE = (0, 10)  # small and non-negative: valid as indices, ids and counts
# Sizes tried, in order, for dynamic dimensions: image height/width, and any other.
IMAGE_SIZES = (224, 256, 128, 320, 96, 64, 32)
# Long ones before short ones: a sequence model that crops its context (SpliceAI crops 5000 on
# each side) runs on a short input and returns nothing, which checks nothing.
OTHER_SIZES = (16, 64, 256, 1024, 4096, 16384, 8, 4, 2, 1)

INPUT_NOTE = (
    f"floats uniform in [{FLOAT_RANGE[0]:g}, {FLOAT_RANGE[1]:g}) "
    f"(scalar floats in [{SCALAR_FLOAT_RANGE[0]:g}, {SCALAR_FLOAT_RANGE[1]:g})), "
    f"integers uniform in [{INT_RANGE[0]}, {INT_RANGE[1]}), uint8 in [0, 255], bools fair; "
    "inputs that index an embedding or a gather: indices uniform over all its rows"
)


@dataclass(frozen=True)
class InputSpec:
    """How to make one input's values: name, numpy dtype name, concrete shape, and for an
    index input the number of rows it indexes."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    index_limit: int | None = None


def _image_axes(declared: list[int | None]) -> set[int]:
    """Height and width axes of an NHWC or NCHW image input with dynamic spatial size."""
    if len(declared) != 4:
        return set()
    if declared[3] in (1, 3, 4) and (declared[1] is None or declared[2] is None):
        return {1, 2}
    if declared[1] in (1, 3) and (declared[2] is None or declared[3] is None):
        return {2, 3}
    return set()


def shape_candidates(
    inputs: list[TensorInfo], requested: dict[str, tuple[int, ...]], where: str
) -> Iterator[tuple[dict[str, tuple[int, ...]], list[str]]]:
    """Validation shapes for every input, most realistic first, each with its notes.

    ``--input-shape`` values are used as given (checked against the signature); a dynamic
    batch axis is 1; other dynamic axes follow IMAGE_SIZES / OTHER_SIZES, one step per try.
    """
    for info in inputs:
        if info.name in requested:
            _check_requested(info, requested[info.name], where)
    free = [
        (info, axis)
        for info in inputs
        if info.name not in requested
        for axis, declared in enumerate(info.shape)
        if declared is None and axis > 0
    ]
    tries = max(len(IMAGE_SIZES), len(OTHER_SIZES)) if free else 1
    for step in range(tries):
        shapes: dict[str, tuple[int, ...]] = {}
        notes: list[str] = []
        for info in inputs:
            if info.name in requested:
                shapes[info.name] = requested[info.name]
                notes += [
                    f"{info.name}[{axis}] = {requested[info.name][axis]} (from --input-shape)"
                    for axis, declared in enumerate(info.shape)
                    if declared is None
                ]
                continue
            image = _image_axes(info.shape)
            dims = []
            for axis, declared in enumerate(info.shape):
                if declared is not None:
                    dims.append(declared)
                    continue
                if axis == 0:
                    size, why = 1, "dynamic batch"
                elif axis in image:
                    size, why = IMAGE_SIZES[min(step, len(IMAGE_SIZES) - 1)], "image size"
                else:
                    size, why = OTHER_SIZES[min(step, len(OTHER_SIZES) - 1)], "dynamic"
                dims.append(size)
                notes.append(f"{info.name}[{axis}] = {size} ({why}; set with --input-shape)")
            shapes[info.name] = tuple(dims)
        yield shapes, notes


def _check_requested(info: TensorInfo, requested: tuple[int, ...], where: str) -> None:
    if len(requested) != len(info.shape):
        raise BadInputError(
            f"--input-shape {info.name}: rank {len(requested)} does not match the "
            f"signature's {shape_text(info.shape)} in {where}"
        )
    for axis, (want, declared) in enumerate(zip(requested, info.shape, strict=True)):
        if declared is not None and want != declared:
            raise BadInputError(
                f"--input-shape {info.name}: dimension {axis} is fixed to {declared} by the "
                f"signature {shape_text(info.shape)}, got {want}"
            )


def numpy_dtype(name: str) -> np.dtype[Any]:
    """The numpy dtype for a TensorFlow dtype name; TensorFlow's strings are Python objects."""
    return np.dtype(object) if name == "string" else np.dtype(name)


def synthetic_sample(specs: list[InputSpec], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One sample: an array per input."""
    sample: dict[str, np.ndarray] = {}
    for spec in specs:
        try:
            dtype = numpy_dtype(spec.dtype)
        except TypeError:
            raise ValueError(
                f"input {spec.name!r}: no synthetic data for dtype {spec.dtype}"
            ) from None
        shape = spec.shape
        if spec.index_limit is not None and (
            np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)
        ):
            sample[spec.name] = rng.integers(0, spec.index_limit, size=shape).astype(dtype)
        elif dtype == np.bool_:
            sample[spec.name] = rng.random(shape) < 0.5
        elif dtype == np.uint8:
            sample[spec.name] = rng.integers(0, 256, size=shape, dtype=np.uint8)
        elif np.issubdtype(dtype, np.integer):
            sample[spec.name] = rng.integers(*INT_RANGE, size=shape).astype(dtype)
        elif np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.complexfloating):
            bounds = SCALAR_FLOAT_RANGE if shape == () else FLOAT_RANGE
            sample[spec.name] = rng.uniform(*bounds, size=shape).astype(dtype)
        elif dtype.kind in ("S", "U", "O"):
            sample[spec.name] = np.full(shape, b"hub-convert", dtype=object)
        else:
            raise ValueError(f"input {spec.name!r}: no synthetic data for dtype {spec.dtype}")
    return sample


def synthetic_samples(
    specs: list[InputSpec],
    count: int,
    seed: int,
    composites: Sequence[CompositeLayout] = (),
) -> list[dict[str, np.ndarray]]:
    """``count`` samples from one seeded generator: identical on every run with that seed.

    The parts of each SparseTensor / RaggedTensor in ``composites`` that hold its structure
    are made coherent with its layout; its values are made like a dense input's."""
    rng = np.random.default_rng(seed)
    dtypes = {
        name: numpy_dtype(s.dtype)
        for layout in composites
        for name in layout.composite.components
        for s in specs
        if s.name == name
    }
    samples = []
    for _ in range(count):
        sample = synthetic_sample(specs, rng)
        for layout in composites:
            sample.update(structure_arrays(layout, dtypes, rng))
        samples.append(sample)
    return samples
