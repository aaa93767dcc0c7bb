"""What a TFLite file fixed: the dimensions the original leaves open that the file holds at
one size (TFLite files are converted at the validation shape)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def fixed_shapes_note(
    original: Mapping[str, Sequence[int | None]],
    in_file: Mapping[str, Sequence[int | None]],
    composites: Sequence[tuple[str, Sequence[str]]] = (),
) -> str | None:
    """``batch fixed at 1 (x: 1×224×224×3)``-style words for the inputs whose open dimensions
    the file fixed, or None when it fixed none (or the shapes are unknown). The first axis of
    a SparseTensor's or RaggedTensor's parts (``composites``: name, parts) is its number of
    values, not a batch: the file then takes exactly that many."""
    batch_fixed: set[int] = set()
    other_fixed = False
    shown: list[str] = []
    parts = {part for _, names in composites for part in names}
    values_fixed = [
        f"{name} {in_file[names[0]][0]}"
        for name, names in composites
        if _first_axis_fixed(original.get(names[0]), in_file.get(names[0]))
    ]
    for name, declared in original.items():
        shape = in_file.get(name)
        if shape is None or len(shape) != len(declared):
            continue
        opened = [i for i, d in enumerate(declared) if d is None or d < 0]
        fixed = [i for i in opened if shape[i] is not None and shape[i] >= 0]  # type: ignore[operator]
        if not fixed:
            continue
        if 0 in fixed and name not in parts:
            batch_fixed.add(int(shape[0] or 0))
        other_fixed = other_fixed or any(i != 0 for i in fixed)
        shown.append(f"{name}: {'×'.join(str(d) for d in shape)}")
    if not shown:
        return None
    what = []
    if batch_fixed:
        what.append(f"batch fixed at {', '.join(str(b) for b in sorted(batch_fixed))}")
    if other_fixed:
        what.append("dynamic dimensions fixed")
    if values_fixed:
        what.append(f"number of values fixed ({', '.join(values_fixed)})")
    return f"{' and '.join(what)} ({'; '.join(shown)})"


def _first_axis_fixed(
    declared: Sequence[int | None] | None, shape: Sequence[int | None] | None
) -> bool:
    if not declared or not shape or len(declared) != len(shape):
        return False
    open_in_original = declared[0] is None or declared[0] < 0
    return open_in_original and shape[0] is not None and shape[0] >= 0
