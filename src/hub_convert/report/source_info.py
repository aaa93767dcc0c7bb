"""The report's ``source`` section: what was converted, its signature and its unsafe ops."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .limits import MAX_ITEMS, MAX_NOTES, MAX_RANK, Count, Dimension, Name, PathText, Shape, Text
from .strict_model import StrictModel
from .vocabulary import SourceKind, UnsafeEffect


class TensorInfo(StrictModel):
    """One input or output of the chosen signature."""

    name: Name
    dtype: Name
    shape: Shape = Field(description="Declared shape; None marks a dynamic dimension.")
    validation_shape: Annotated[list[Dimension], Field(max_length=MAX_RANK)] | None = Field(
        default=None, description="The concrete shape fed during validation (inputs only)."
    )


class UnsafeOp(StrictModel):
    """An op (or Keras layer) that reaches outside the computation: files, network, Python."""

    op: Name
    node: Name = Field(description="Node name (graphs) or layer name (Keras configs).")
    function: Name | None = Field(
        default=None, description="The library function holding the node; None: top graph."
    )
    effect: UnsafeEffect
    found_in: Literal["saved_model", "tfjs", "keras"]


class SourceInfo(StrictModel):
    """What was converted, and where it came from."""

    kind: SourceKind
    path: PathText
    signature: Name
    available_signatures: list[Name] = Field(max_length=MAX_NOTES)
    tags: list[Name] = Field(max_length=MAX_NOTES)
    inputs: list[TensorInfo] = Field(max_length=MAX_ITEMS)
    outputs: list[TensorInfo] = Field(max_length=MAX_ITEMS)
    size_bytes: Count
    op_counts: dict[Name, Count] = Field(
        max_length=MAX_ITEMS,
        description="TensorFlow op types reachable from the converted signature (frozen and "
        "inlined, control-flow bodies included); the whole MetaGraph when it cannot be frozen.",
    )
    provenance: dict[Name, Text] = Field(default_factory=dict, max_length=MAX_NOTES)
    fixed_dimensions: list[Text] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Human-readable notes of dynamic dimensions given a fixed size.",
    )
    unsafe_ops: list[UnsafeOp] = Field(
        default_factory=list,
        max_length=MAX_NOTES,
        description="Ops that touch files, the network or Python; run only with "
        "--allow-unsafe-ops.",
    )
