"""Names made from user text (model paths, artifact names): one slug rule for every place,
and names that stay distinct when several texts share a place (several models' outputs)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# A text the slug renders faithfully: "/" is the only character replaced, and with no "_" in
# the text, replacing it back gives the text again; so two such texts never share a slug.
_FAITHFUL = re.compile(r"[A-Za-z0-9-]+(?:[./][A-Za-z0-9-]+)*")
_HASH_CHARS = 12


def slug(text: str, *, fill: str = "_", strip: str = "._", limit: int | None = None) -> str:
    """``text`` with every run of characters outside ``[A-Za-z0-9._-]`` replaced by ``fill``,
    ``strip`` trimmed from both ends (and again after cutting to ``limit``); may be empty."""
    name = _UNSAFE.sub(fill, text).strip(strip)
    if limit is not None:
        name = name[:limit].strip(strip)
    return name


def unique_names(
    texts: Iterable[str], *, taken: Iterable[str] = (), empty: str = "model", stable: bool = True
) -> dict[str, str]:
    """A file-name-safe name for each text, no two alike (not even in case, for case-insensitive
    file systems) and none in ``taken``. A text the slug renders faithfully keeps its plain
    slug (``models/classifier`` → ``models_classifier``); with ``stable``, any other gets a
    hash of the text after it (``models/cls.`` → ``models_cls-1a2b…``), so that another text
    cannot take its name; a clash left over gets a counter. ``empty``: the slug of a text
    that has none."""
    used = {name.lower() for name in taken}
    names: dict[str, str] = {}
    for text in texts:
        if text in names:
            continue
        name = slug(text) or empty
        if stable and not _FAITHFUL.fullmatch(text):
            digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
            name = f"{name}-{digest[:_HASH_CHARS]}"
        candidate, counter = name, 1
        while candidate.lower() in used:
            counter += 1
            candidate = f"{name}-{counter}"
        used.add(candidate.lower())
        names[text] = candidate
    return names
