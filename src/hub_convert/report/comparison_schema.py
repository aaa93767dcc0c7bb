"""The report's ``comparison`` section: what a change to the model did, base → head.

Part of the ``report.json`` contract (schema.py holds ``Report.comparison``), so every field
is bounded (limits.py) like the rest: a fork's job may have written it. Computed by
compare.py (deltas and signature changes) and convert/behaviour.py (base and head on the
same inputs). No TensorFlow here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .limits import MAX_ITEMS, MAX_NOTES, Count, FiniteFloat, Name, PathText, Share, Text
from .strict_model import StrictModel
from .vocabulary import Status, Target, Variant

ComparisonStatus = Literal["changed", "unchanged", "new", "deleted", "not-compared"]
"""``changed``: base and head both converted and compared; ``unchanged``: the model's files
are identical (nothing converted twice); ``new`` / ``deleted``: the model is absent at base /
at head; ``not-compared``: there is a base, but it could not be evaluated (``reason``)."""


class ArtifactChange(StrictModel):
    """One converted file (target + variant), base → head; None where a side has none."""

    target: Target
    variant: Variant
    base_status: Status | None = None
    head_status: Status | None = None
    base_size_bytes: Count | None = None
    head_size_bytes: Count | None = None
    size_change: FiniteFloat | None = Field(
        default=None, description="(head − base) / base size; None when either is missing."
    )
    base_max_abs: float | None = Field(
        default=None, description="Worst output's max abs error against its own original."
    )
    head_max_abs: float | None = None
    base_cosine: float | None = Field(default=None, description="Worst output's cosine.")
    head_cosine: float | None = None
    base_latency_ms: FiniteFloat | None = None
    head_latency_ms: FiniteFloat | None = None
    ops_compared: bool = Field(
        default=False, description="Both sides produced a file whose op types were read."
    )
    ops_added: list[Name] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Op types in the head's converted file that the base's lacks.",
    )
    ops_removed: list[Name] = Field(default_factory=list, max_length=MAX_ITEMS)


class SignatureChange(StrictModel):
    """An input or output of the converted signature that differs between base and head."""

    io: Literal["input", "output"]
    name: Name = Field(description="The head's name; the base's for a removed one.")
    change: Literal["added", "removed", "renamed", "dtype", "shape"]
    base: Text | None = Field(default=None, description="Name, dtype and shape at base.")
    head: Text | None = None
    breaking: bool = Field(description="Callers written for the base can fail on the head.")
    why: Text


class OutputBehaviour(StrictModel):
    """Base and head originals on the same inputs: how far apart one output is."""

    output: Name
    max_abs: float | None = None
    mean_abs: float | None = None
    cosine: float | None = None
    top1_agreement: Share | None = Field(
        default=None, description="Share of rows whose argmax is the same in both models."
    )
    problem: Text | None = Field(default=None, description="Why it could not be compared.")


class Behaviour(StrictModel):
    """The base model run on the head's validation inputs, compared with the head's outputs."""

    compared: bool
    samples: Count = 0
    outputs: list[OutputBehaviour] = Field(default_factory=list, max_length=MAX_ITEMS)
    reason: Text | None = Field(default=None, description="Why nothing was compared.")


class Comparison(StrictModel):
    """What changed from the base (the pull request's base commit, or ``--base``) to head."""

    status: ComparisonStatus
    base: PathText | None = Field(default=None, description="What the base model was.")
    base_commit: Name | None = None
    base_content_sha256: Name | None = Field(
        default=None, description="Hash of the base model's files (names and contents)."
    )
    head_content_sha256: Name | None = None
    base_report_sha256: Name | None = Field(
        default=None, description="sha256 of the base run's report.json."
    )
    base_report_cached: bool = False
    reason: Text | None = Field(default=None, description="Why the base was not (fully) evaluated.")
    base_source_size_bytes: Count | None = None
    head_source_size_bytes: Count | None = None
    source_ops_added: list[Name] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="TensorFlow op types the head's signature reaches and the base's does not.",
    )
    source_ops_removed: list[Name] = Field(default_factory=list, max_length=MAX_ITEMS)
    signature_changes: list[SignatureChange] = Field(default_factory=list, max_length=MAX_ITEMS)
    artifacts: list[ArtifactChange] = Field(default_factory=list, max_length=128)
    behaviour: Behaviour | None = None
    notes: list[Text] = Field(default_factory=list, max_length=MAX_NOTES)

    @property
    def breaking(self) -> bool:
        """True when a signature change breaks callers of the base model."""
        return any(change.breaking for change in self.signature_changes)
