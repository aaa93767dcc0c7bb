"""What a TFLite file fixed: the dimensions the original leaves open that the file holds at
one size (TFLite files are converted at the validation shape)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def fixed_shapes_note(
    original: Mapping[str, Sequence[int | None]], in_file: Mapping[str, Sequence[int | None]]
) -> str | None:
    """``batch fixed at 1 (x: 1×224×224×3)``-style words for the inputs whose open dimensions
    the file fixed, or None when it fixed none (or the shapes are unknown)."""
    batch_fixed: set[int] = set()
    other_fixed = False
    shown: list[str] = []
    for name, declared in original.items():
        shape = in_file.get(name)
        if shape is None or len(shape) != len(declared):
            continue
        opened = [i for i, d in enumerate(declared) if d is None or d < 0]
        fixed = [i for i in opened if shape[i] is not None and shape[i] >= 0]  # type: ignore[operator]
        if not fixed:
            continue
        if 0 in fixed:
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
    return f"{' and '.join(what)} ({'; '.join(shown)})"
