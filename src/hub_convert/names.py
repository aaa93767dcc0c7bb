"""Names made from user text (model paths, artifact names): one slug rule for every place."""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def slug(text: str, *, fill: str = "_", strip: str = "._", limit: int | None = None) -> str:
    """``text`` with every run of characters outside ``[A-Za-z0-9._-]`` replaced by ``fill``,
    ``strip`` trimmed from both ends (and again after cutting to ``limit``); may be empty."""
    name = _UNSAFE.sub(fill, text).strip(strip)
    if limit is not None:
        name = name[:limit].strip(strip)
    return name
