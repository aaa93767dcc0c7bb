"""Typed values from the text users write: one parser per kind of value.

The CLI, the Action and ``hub-convert publish`` all read their options through these, so a
value is accepted or refused the same way wherever it was written, and the message names it
as the user wrote it (``label``: ``--samples`` on the command line, ``input samples`` in a
workflow). ``None`` or blank text means "not given": the default.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import TypeVar

from .errors import BadInputError

# YAML 1.1's spellings, which is what people write in workflow files (`allow-flex: yes`),
# plus @actions/core getBooleanInput's (YAML 1.2 core schema: true/True/TRUE, false/...).
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})

Text = str | bool | None
C = TypeVar("C", bound=str)


def given(value: Text) -> str | None:
    """The stripped text, or None when nothing was given."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value.strip()
    return text or None


def parse_bool(value: Text, label: str, *, default: bool) -> bool:
    """true/false (also yes/no, on/off, 1/0, any case); a Python bool passes through."""
    if isinstance(value, bool):
        return value
    text = given(value)
    if text is None:
        return default
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise BadInputError(f"{label}: expected true or false, got {text!r}")


def parse_optional_int(
    value: Text, label: str, *, minimum: int = 1, maximum: int | None = None
) -> int | None:
    """A whole number in [minimum, maximum], or None when not given."""
    text = given(value)
    if text is None:
        return None
    if not re.fullmatch(r"[+-]?\d+", text):
        raise BadInputError(f"{label}: {text!r} is not a whole number")
    number = int(text)
    if number < minimum:
        raise BadInputError(f"{label}: must be at least {minimum}, got {number}")
    if maximum is not None and number > maximum:
        raise BadInputError(f"{label}: must be at most {maximum}, got {number}")
    return number


def parse_int(
    value: Text, label: str, *, default: int, minimum: int = 1, maximum: int | None = None
) -> int:
    """Like ``parse_optional_int``, with a default."""
    number = parse_optional_int(value, label, minimum=minimum, maximum=maximum)
    return default if number is None else number


def parse_choices(
    value: Text, allowed: Sequence[C], label: str, *, default: Sequence[C]
) -> tuple[C, ...]:
    """A comma- or space-separated list drawn from ``allowed`` (order kept, repeats dropped)."""
    text = given(value)
    if text is None:
        return tuple(default)
    items = [item for item in re.split(r"[,\s]+", text) if item]
    unknown = [item for item in items if item not in allowed]
    if unknown:
        raise BadInputError(
            f"{label}: unknown value {unknown[0]!r}; choose from {', '.join(allowed)}"
        )
    return tuple(dict.fromkeys(choice for item in items for choice in allowed if choice == item))


def parse_choice(value: Text, allowed: Sequence[C], label: str, *, default: C) -> C:
    """One value drawn from ``allowed``."""
    text = given(value)
    if text is None:
        return default
    for choice in allowed:
        if choice == text:
            return choice
    raise BadInputError(f"{label}: unknown value {text!r}; choose from {', '.join(allowed)}")


_SHAPE_RE = re.compile(r"^(?P<name>[^=\s]+)=(?P<dims>\d+(?:[x,]\d+)*)$")


def parse_input_shapes(value: Text, label: str) -> dict[str, tuple[int, ...]]:
    """``NAME=1x224x224x3`` items separated by whitespace, new lines or ``;``."""
    text = given(value)
    shapes: dict[str, tuple[int, ...]] = {}
    for item in re.split(r"[;\s]+", text or ""):
        if not item:
            continue
        match = _SHAPE_RE.match(item)
        if not match:
            raise BadInputError(
                f"{label}: {item!r} is not NAME=DIMxDIM..., e.g. images=1x224x224x3"
            )
        dims = tuple(int(d) for d in re.split(r"[x,]", match["dims"]))
        if any(d == 0 for d in dims):
            raise BadInputError(f"{label}: {item!r} has a zero dimension")
        shapes[match["name"]] = dims
    return shapes


# A graph node's name (TensorFlow's rule) with an optional output index: ``img``, ``scores:1``;
# for inputs, an optional fixed value: ``training=false``, ``keep_prob=1.0``.
_TENSOR_NAME_RE = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*(?::\d+)?$")
_FIXED_VALUE_RE = re.compile(r"^(?:true|false|[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)$", re.I)


def parse_tensor_names(value: Text, label: str, *, values: bool = False) -> tuple[str, ...]:
    """``NAME[:INDEX][,NAME...]``: graph node names, each with an optional output index; with
    ``values``, an item may be ``NAME=VALUE`` (true, false or a number)."""
    names = tuple(name.strip() for name in (given(value) or "").split(",") if name.strip())
    for item in names:
        name, equals, fixed = item.partition("=")
        if not _TENSOR_NAME_RE.match(name) or (
            equals and not (values and _FIXED_VALUE_RE.match(fixed))
        ):
            example = "img,training=false" if values else "prob or detections:1"
            raise BadInputError(
                f"{label}: {item!r} is not a node name{' or NAME=VALUE' if values else ''}; "
                f"write NAME or NAME:INDEX, comma-separated, e.g. {example}"
            )
    bare = [item.partition("=")[0] for item in names]
    twice = sorted(name for name, count in Counter(bare).items() if count > 1)
    if twice:
        shown = ", ".join(twice[:5]) + (", ..." if len(twice) > 5 else "")
        raise BadInputError(f"{label}: {shown} names a node twice; name each once")
    return names


_SIZE_RE = re.compile(r"^(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[KMGT]?)(?:i?B)?$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(value: Text, label: str, *, minimum: int = 0) -> int | None:
    """A size in bytes: ``8G``, ``8GiB``, ``512M``, ``1.5G``, ``1073741824`` (K/M/G/T are
    powers of 1024); ``0`` means no limit. None when not given."""
    text = given(value)
    if text is None:
        return None
    match = _SIZE_RE.match(text)
    if not match:
        raise BadInputError(f"{label}: {text!r} is not a size; write e.g. 8G, 512M or 0 for none")
    size = int(float(match["number"]) * _SIZE_UNITS[match["unit"].upper()])
    if 0 < size < minimum:
        raise BadInputError(f"{label}: {text} is below the {minimum >> 20} MiB TensorFlow needs")
    return size


def parse_tags(value: str | None) -> tuple[str, ...] | None:
    """``serve`` or ``serve,gpu``; None: not given; an explicit empty string: the empty tag
    set (TF1 Hub modules)."""
    if value is None:
        return None
    return tuple(tag.strip() for tag in value.split(",") if tag.strip())


def parse_single_line(value: Text, label: str) -> str | None:
    """Free text that must fit on one line (it ends up in a marker or a file name)."""
    text = given(value)
    if text is not None and ("\n" in text or "\r" in text):
        raise BadInputError(f"{label}: must be a single line")
    return text
