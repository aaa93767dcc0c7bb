"""What TFLiteConverter's error messages say: the ops it could not convert, a 2 GiB limit hit."""

from __future__ import annotations

import re

from ...workers import model_size

# TFLiteConverter's error text for an op it can neither lower nor keep: "'tf.Lgamma' op is
# neither a custom op nor a flex op"; with builtins only it lists the candidates for Flex.
_UNCONVERTIBLE_RE = re.compile(r"'tf\.(\w+)' op is neither a custom op nor a flex op")
_FLEX_CANDIDATES_RE = re.compile(r"Flex ops: ([^\n]+)")
_FLEX_NAME_RE = re.compile(r"Flex(\w+)")
# TF 2.21 words it "TF Select ops: MatrixDeterminant, Lgamma".
_SELECT_CANDIDATES_RE = re.compile(r"TF Select ops: ([^\n]+)")


# What TensorFlow raises when a GraphDef or flatbuffer reaches 2 GiB (recorded from real runs
# with TF 2.21: protobuf's "Failed to serialize proto" when the converter serializes a frozen
# GraphDef of 2 GiB or more).
_TOO_BIG_SIGNS = (
    "Failed to serialize proto",
    "exceeds maximum protobuf size",
    "larger than 2GB",
    "2GB limit",
    "size exceeds 2GB",
)


def too_big_reason(message: str, variant: str, weight_bytes: int) -> str | None:
    """The clear reason for a converter error that says the model hit a 2 GiB format limit."""
    if not any(sign in message for sign in _TOO_BIG_SIGNS):
        return None
    limit = model_size.flatbuffer_too_big(variant, max(weight_bytes, model_size.flatbuffer_limit()))
    first = message.strip().splitlines()[0] if message.strip() else ""
    return f"{limit} (TensorFlow: {first})"


def ops_from_error(message: str) -> list[str]:
    """The TensorFlow ops a converter error names as unconvertible or needing Flex."""
    ops = set(_UNCONVERTIBLE_RE.findall(message))
    for listing in _FLEX_CANDIDATES_RE.findall(message):
        ops.update(_FLEX_NAME_RE.findall(listing))
    for listing in _SELECT_CANDIDATES_RE.findall(message):
        ops.update(op.strip() for op in listing.split(",") if op.strip())
    return sorted(ops)


def converter_error(message: str) -> str:
    """The converter's error in a line when it names ops no TFLite file can hold (neither a
    builtin nor a Flex op, e.g. StringNGrams); else its first lines (an MLIR dump follows the
    cause, hundreds of lines of it)."""
    beyond = sorted(set(_UNCONVERTIBLE_RE.findall(message)))
    if not beyond:
        return first_lines(message)
    return (
        f"{', '.join(beyond)} {'is' if len(beyond) == 1 else 'are'} neither a TFLite builtin nor"
        " a Flex (TF Select) op: no TFLite runtime has a kernel for "
        f"{'it' if len(beyond) == 1 else 'them'} (only a custom op registered in the app could)"
    )


def first_lines(message: str, limit: int = 12) -> str:
    """The message's first ``limit`` non-blank lines, and how many more there were."""
    lines = [line for line in message.strip().splitlines() if line.strip()]
    text = "\n".join(lines[:limit])
    return text if len(lines) <= limit else text + f"\n… ({len(lines) - limit} more lines)"
