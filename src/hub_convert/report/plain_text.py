"""Report values written as plain text: untrusted text on one line, shapes as people write them."""

from __future__ import annotations


def printable(text: str, limit: int) -> str:
    """Untrusted text on one line, bounded: what is not printable becomes ``?``."""
    return "".join(c if c.isprintable() else "?" for c in text)[:limit]


def shape_text(dims: list[int | None]) -> str:
    """A shape as people write it, ``?`` for a dynamic dimension: ``[?, 224, 224, 3]``."""
    return "[" + ", ".join("?" if d is None else str(d) for d in dims) + "]"
