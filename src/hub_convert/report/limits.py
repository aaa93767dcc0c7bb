"""Bounds on every string, list and number of an untrusted report.json (see schema.py).

``hub-convert publish`` renders, with a write token, a report.json that untrusted code may
have written: each field of the contract has a type from here, so an oversized or malformed
value is refused when the file is loaded, before anything is rendered.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo

# Bounds for an untrusted report.json, generous for real models (thousands of op types and
# nodes, long names and error texts). A text over its bound is refused when a report.json is
# loaded (``Report.load``) but cut short when hub-convert builds a report itself, so a long
# converter error never stops a run and a real report always loads again.
MAX_REPORT_BYTES = 64 * 1024 * 1024
MAX_NAME = 1_024
"""A tensor, op, node, signature, tag, dtype, version or provenance key."""
MAX_PATH = 4_096
MAX_TEXT = 16_384
"""An error text, note, warning, verdict line or provenance value."""
MAX_COMMAND = 65_536
MAX_ITEMS = 100_000
"""Op types, nodes of an unsupported op, inputs, outputs, drift rows."""
MAX_NOTES = 1_000
MAX_RANK = 64
MAX_INT = 2**63 - 1

UNTRUSTED = "untrusted"
"""Validation context key: set by ``Report.load``, where an over-long text is an error."""


def _bounded(limit: int) -> AfterValidator:
    def check(value: str, info: ValidationInfo) -> str:
        if len(value) <= limit:
            return value
        if isinstance(info.context, dict) and info.context.get(UNTRUSTED):
            raise ValueError(f"text longer than {limit:,} characters")
        return value[: limit - 14] + " … (truncated)"

    return AfterValidator(check)


Name = Annotated[str, _bounded(MAX_NAME)]
PathText = Annotated[str, _bounded(MAX_PATH)]
Text = Annotated[str, _bounded(MAX_TEXT)]
Command = Annotated[str, _bounded(MAX_COMMAND)]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]
Dimension = Annotated[int, Field(ge=-1, le=MAX_INT)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
"""A measured time, ratio or speed-up: never NaN or infinite."""
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Shape = Annotated[list[Dimension | None], Field(max_length=MAX_RANK)]
