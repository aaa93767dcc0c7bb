"""Byte sizes: the binary units, and the two ways sizes are written for people."""

from __future__ import annotations

KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30


def human(size: float) -> str:
    """A size in a message, three significant digits: ``8589934592`` → ``8 GiB``."""
    for unit, scale in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{int(size)} B"


def human_bytes(value: int | None) -> str:
    """A size in the report's tables, two decimals (``1.50 MiB``); ``—`` when not known."""
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < KIB or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.2f} {unit}"
        size /= KIB
    raise AssertionError("unreachable")
