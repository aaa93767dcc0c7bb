"""Names made from user text (model paths, artifact names): one slug rule for every place,
and names that stay distinct when several texts share a place (several models' outputs)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# A text the slug renders plainly: only each "/" replaced (by "_"), nothing trimmed. Two such
# texts share a slug only where one has "_" and the other "/" at the same place (models_cls,
# models/cls): then both get a hash, so neither can take the other's name.
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
    file systems) and none in ``taken``. A text the slug renders plainly keeps its plain slug
    (``models/mobilenet_v2`` → ``models_mobilenet_v2``) unless another such text of the set
    shares it; with ``stable``, any other text, and each of those sharing a slug, gets a hash
    of the text after it (``models/cls.`` → ``models_cls-1a2b…``), so its name depends on
    itself, not on the order of the set; a clash left over gets a counter. Without
    ``stable``, only clashes are changed, by the counter. ``empty``: the slug of a text that
    has none."""
    ordered = list(dict.fromkeys(texts))
    reserved = {name.lower() for name in taken}
    plain = {text: slug(text) or empty for text in ordered}
    if stable:
        kept = [text for text in ordered if plain[text] == text.replace("/", "_")]
        counts: dict[str, int] = {}
        for text in kept:
            counts[plain[text].lower()] = counts.get(plain[text].lower(), 0) + 1
        for text in ordered:
            lowered = plain[text].lower()
            if text not in kept or counts[lowered] > 1 or lowered in reserved:
                plain[text] = f"{plain[text]}-{_digest(text)}"
    used = set(reserved)
    names: dict[str, str] = {}
    for text in ordered:
        candidate, counter = plain[text], 1
        while candidate.lower() in used:
            counter += 1
            candidate = f"{plain[text]}-{counter}"
        used.add(candidate.lower())
        names[text] = candidate
    return names


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:_HASH_CHARS]
