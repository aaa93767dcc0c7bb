"""The second shape an ONNX file is validated at: the dimensions it leaves open, at another
value than its validation shape's. The inputs are made from the validation samples themselves
(two samples stacked along the batch; images cropped), so user data and index ranges hold."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..samples import Samples
from .composite_stack import stack_composite

Feed = dict[str, np.ndarray]
FileShape = Sequence[int | None]


@dataclass(frozen=True)
class SecondShape:
    """One feed at a shape other than the validation shape, and what it changed."""

    feed: Feed
    changed: tuple[str, ...]  # "batch", "image size"

    def shapes(self) -> dict[str, list[int]]:
        """Each input's shape in this feed."""
        return {name: [int(d) for d in value.shape] for name, value in self.feed.items()}

    def described(self) -> str:
        """``x: 2×8×8×3``-style words for the inputs."""
        return "; ".join(
            f"{name}: {'×'.join(str(d) for d in shape)}" for name, shape in self.shapes().items()
        )


def _open(dim: int | None) -> bool:
    return dim is None or dim < 0


def spatial_axes(shape: FileShape) -> tuple[int, int] | None:
    """Height and width axes of an NHWC or NCHW image input the file leaves open."""
    if len(shape) != 4:
        return None
    if shape[3] in (1, 3, 4) and _open(shape[1]) and _open(shape[2]):
        return (1, 2)
    if shape[1] in (1, 3) and _open(shape[2]) and _open(shape[3]):
        return (2, 3)
    return None


def second_shapes(samples: Samples, file_shapes: Mapping[str, FileShape]) -> list[SecondShape]:
    """The shapes to try, best first: another batch and another image size, then another
    batch alone (for an original that accepts one image size). Empty when the file leaves
    no batch or image dimension open."""
    tried: list[SecondShape] = []
    for crop in (_half, _multiple_of_32, None):
        shape = _feed(samples, file_shapes, crop=crop)
        if shape is not None and all(shape.shapes() != t.shapes() for t in tried):
            tried.append(shape)
    return tried


def _half(size: int) -> int:
    return size // 2


def _multiple_of_32(size: int) -> int:
    # Feature pyramids and strided nets add maps whose sizes must agree: many take only
    # multiples of 32 (224 → 192 where 112 fails).
    return (size - 1) // 32 * 32


def _feed(
    samples: Samples, file_shapes: Mapping[str, FileShape], *, crop: Callable[[int], int] | None
) -> SecondShape | None:
    first = samples.inputs[0]
    second = samples.inputs[1] if len(samples.inputs) > 1 else first
    feed: Feed = {}
    changed: set[str] = set()
    parts = {name for _, names in samples.composites for name in names}
    for kind, names in samples.composites:
        declared = file_shapes.get(names[0])
        joined = None
        if declared is not None and len(declared) and _open(declared[0]):
            joined = stack_composite(kind, names, first, second)
        feed.update(joined or {name: first[name] for name in names})
        if joined:
            changed.add("batch")
    for name in samples.input_names:
        if name in parts:
            continue
        value = first[name]
        declared = file_shapes.get(name)
        if declared is None or len(declared) != value.ndim:
            feed[name] = value
            continue
        if value.ndim and _open(declared[0]):
            value = np.concatenate([value, second[name]], axis=0)
            changed.add("batch")
        axes = spatial_axes(declared) if crop else None
        if crop is not None and axes is not None and min(crop(value.shape[a]) for a in axes) >= 1:
            index = [slice(None)] * value.ndim
            for axis in axes:
                index[axis] = slice(0, crop(value.shape[axis]))
            value = value[tuple(index)]
            changed.add("image size")
        feed[name] = value
    if not changed:
        return None
    ordered = {name: feed[name] for name in samples.input_names}
    return SecondShape(feed=ordered, changed=tuple(sorted(changed)))
