"""The report: one typed tree, serialised as ``report.json``.

``report.json`` is the contract between stages. The templates read only it, and
``hub-convert publish`` validates it with these models before posting anything, so a
report produced by an untrusted job (a fork's pull request) is checked, not trusted.
This module must not import TensorFlow.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from .comparison_schema import Comparison
from .limits import (
    MAX_ITEMS,
    MAX_NOTES,
    MAX_RANK,
    MAX_REPORT_BYTES,
    UNTRUSTED,
    Command,
    Count,
    Dimension,
    FiniteFloat,
    Name,
    PathText,
    Shape,
    Share,
    Text,
)
from .vocabulary import (
    FAIL_RULES,
    FailRule,
    SourceKind,
    Stage,
    Status,
    Target,
    UnsafeEffect,
    Variant,
)

SCHEMA_VERSION = 4
# 3 added the optional `timings` and `comparison`, 4 an output's optional `rederived`; an older
# report is a valid newer one.
READABLE_SCHEMA_VERSIONS = (2, 3, 4)


def printable(text: str, limit: int) -> str:
    """Untrusted text on one line, bounded: what is not printable becomes ``?``."""
    return "".join(c if c.isprintable() else "?" for c in text)[:limit]


def shape_text(dims: list[int | None]) -> str:
    """A shape as people write it, ``?`` for a dynamic dimension: ``[?, 224, 224, 3]``."""
    return "[" + ", ".join("?" if d is None else str(d) for d in dims) + "]"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class TensorInfo(_Model):
    """One input or output of the chosen signature."""

    name: Name
    dtype: Name
    shape: Shape = Field(description="Declared shape; None marks a dynamic dimension.")
    validation_shape: Annotated[list[Dimension], Field(max_length=MAX_RANK)] | None = Field(
        default=None, description="The concrete shape fed during validation (inputs only)."
    )


class UnsafeOp(_Model):
    """An op (or Keras layer) that reaches outside the computation: files, network, Python."""

    op: Name
    node: Name = Field(description="Node name (graphs) or layer name (Keras configs).")
    function: Name | None = Field(
        default=None, description="The library function holding the node; None: top graph."
    )
    effect: UnsafeEffect
    found_in: Literal["saved_model", "tfjs", "keras"]


class SourceInfo(_Model):
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


class Tolerance(_Model):
    """The bound an artifact's drift is judged against; unset fields are not checked.

    An output passes when its max abs error ≤ ``max_abs`` + ``max_rel`` × its peak (the
    largest |value| of the original's output: float rounding grows with the values' scale),
    its cosine ≥ ``min_cosine`` and its PSNR ≥ ``min_psnr_db``. With ``whole_min_cosine`` and
    ``whole_min_psnr_db`` set, an output over the max abs bound still passes when, as a whole,
    its cosine and PSNR reach them (rounding spread through a deep float32 model).
    """

    max_abs: float | None = Field(default=None, ge=0)
    max_rel: float | None = Field(
        default=None, ge=0, description="Max abs error allowed per unit of the output's peak."
    )
    min_cosine: float | None = Field(default=None, ge=-1, le=1)
    min_psnr_db: float | None = None
    whole_min_cosine: float | None = Field(
        default=None,
        ge=-1,
        le=1,
        description="With whole_min_psnr_db: the max abs bound is met by an output this close "
        "as a whole.",
    )
    whole_min_psnr_db: float | None = None

    def max_abs_rule(self) -> str | None:
        """The max abs bound in words, or None when unset."""
        if self.max_abs is not None and self.max_rel:
            return f"max abs ≤ {self.max_abs:g} + {self.max_rel:g}·peak"
        if self.max_rel:
            return f"max abs ≤ {self.max_rel:g}·peak"
        if self.max_abs is not None:
            return f"max abs ≤ {self.max_abs:g}"
        return None

    def describe(self) -> str:
        parts = []
        rule = self.max_abs_rule()
        if rule is not None:
            if self.whole_min_cosine is not None and self.whole_min_psnr_db is not None:
                rule += (
                    f" (or, as a whole, cosine ≥ 1 − {1 - self.whole_min_cosine:.0e} and "
                    f"PSNR ≥ {self.whole_min_psnr_db:g} dB)"
                )
            parts.append(rule)
        if self.min_cosine is not None:
            parts.append(f"cosine ≥ {self.min_cosine:g}")
        if self.min_psnr_db is not None:
            parts.append(f"PSNR ≥ {self.min_psnr_db:g} dB")
        return ", ".join(parts) or "none"


class OrderInsensitive(_Model):
    """An output that depends on TopK / NonMaxSuppression / sorting, compared both ways."""

    depends_on: Text = Field(description="The order-deciding op and node, from the graph.")
    method: Name = Field(description="How rows were matched: sorted or nearest-row matching.")
    max_abs: float
    cosine: float
    within_tolerance: bool


class Rederived(_Model):
    """An order-dependent output re-derived from the converted file's own continuous outputs:
    the original's post-processing (its graph cut at ``from_outputs``) run on the file's values
    of them, compared with the file's own output."""

    from_outputs: list[Name] = Field(
        max_length=MAX_ITEMS, description="The outputs the original's graph was cut at."
    )
    decided_by: Text = Field(description="The decision op in the cut graph, and its node.")
    max_abs: float | None = None
    cosine: float | None = None
    within_tolerance: bool


class OutputDrift(_Model):
    """Difference between the original and an artifact for one output, over all samples.

    ``max_abs``, ``cosine`` etc. are measured as the outputs are (element by element). For an
    output whose row order comes from TopK / NMS, ``order_insensitive`` holds the comparison
    after matching rows; the output passes if either comparison does, and says which. When
    neither does and the model's other outputs are what the ordering decisions are made on,
    ``rederived`` holds the original's post-processing run on the file's own values of them:
    the output passes if that reproduces the file's output and those outputs pass.
    """

    output: Name
    # Drift metrics may be infinite (an output that overflowed): rendered as such, not refused.
    max_abs: float | None = None
    mean_abs: float | None = None
    rmse: float | None = None
    cosine: float | None = None
    psnr_db: float | None = Field(
        default=None,
        description="10·log10(peak² / MSE), peak = max |value| of the original's output; "
        "null when the outputs are identical (rmse 0) or the original is all zeros.",
    )
    top1_agreement: Share | None = Field(
        default=None, description="Share of rows whose argmax equals the original's."
    )
    top5_agreement: Share | None = Field(
        default=None, description="Share of rows whose original argmax is in the top 5."
    )
    peak_abs: float | None = Field(
        default=None, description="Largest |value| of the original's output (finite values)."
    )
    max_abs_bound: float | None = Field(
        default=None, description="The effective max abs bound for this output."
    )
    failed_checks: list[Text] = Field(
        default_factory=list,
        max_length=MAX_NOTES,
        description="Each check that failed, with value and bound.",
    )
    within_as_a_whole: Text | None = Field(
        default=None,
        description="Over the max abs bound but within as a whole: the cosine and PSNR, with "
        "the tolerance's whole_* bounds they reach.",
    )
    order_insensitive: OrderInsensitive | None = None
    rederived: Rederived | None = None
    nonfinite: Text | None = Field(
        default=None, description="NaN / inf found, at the same positions in both."
    )
    compared: bool = Field(
        default=True,
        description="False when nothing could be compared (no finite value): not validated.",
    )
    within_tolerance: bool
    problem: Text | None = Field(
        default=None,
        description="Why the output does not match or could not be compared (shape, NaN, strings).",
    )


class UnsupportedOp(_Model):
    op: Name
    nodes: list[Name] = Field(default_factory=list, max_length=MAX_ITEMS)


class OpCoverage(_Model):
    """How the source ops fared in one target, and what the output file contains."""

    converted_ops: list[Name] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Source op types that became native ops of the target.",
    )
    flex_ops: list[Name] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Ops kept as TensorFlow kernels (TFLite Flex).",
    )
    unsupported_ops: list[UnsupportedOp] = Field(default_factory=list, max_length=MAX_ITEMS)
    output_op_counts: dict[Name, Count] = Field(
        default_factory=dict,
        max_length=MAX_ITEMS,
        description="Op types present in the converted file.",
    )


class Artifact(_Model):
    """One converted file (target + variant) and everything measured about it."""

    target: Target
    variant: Variant
    path: PathText | None = None
    external_data: PathText | None = Field(
        default=None,
        description="ONNX over the external-data threshold: the NAME.onnx.data file beside "
        "path that holds its weights (size_bytes counts both).",
    )
    size_bytes: Count | None = None
    size_ratio: FiniteFloat | None = Field(default=None, description="size_bytes / source size.")
    status: Status
    reason: Text | None = Field(
        default=None, description="Error text for failed, reason for not-validated."
    )
    tolerance: Tolerance
    drift: list[OutputDrift] = Field(default_factory=list, max_length=MAX_ITEMS)
    coverage: OpCoverage | None = None
    input_shapes: dict[Name, Shape] = Field(
        default_factory=dict,
        max_length=MAX_ITEMS,
        description="Input shapes baked into the converted file.",
    )
    conversion_seconds: FiniteFloat | None = None
    validation_seconds: FiniteFloat | None = None
    latency_ms: FiniteFloat | None = Field(
        default=None, description="Median single-inference latency on this machine's CPU."
    )
    weight_types: dict[Name, Count] = Field(
        default_factory=dict,
        max_length=MAX_NOTES,
        description="Element type -> count of constant (weight) tensors in the file (TFLite).",
    )
    notes: list[Text] = Field(
        default_factory=list, max_length=MAX_NOTES, description="Facts worth knowing."
    )
    attempts: list[Text] = Field(
        default_factory=list,
        max_length=MAX_NOTES,
        description="Conversion attempts that failed (settings: error), before the one that "
        "produced the file, or all of them when none did.",
    )
    speedup_vs_tensorflow: FiniteFloat | None = None

    def worst_drift(self) -> OutputDrift | None:
        """The output that violates its tolerance, else the one with the largest max abs error."""
        if not self.drift:
            return None
        return min(self.drift, key=lambda d: (d.within_tolerance, -(d.max_abs or 0.0)))

    @property
    def file_name(self) -> str | None:
        return os.path.basename(self.path) if self.path else None


class ValidationSetup(_Model):
    samples: Count
    seed: Count
    input_note: Text
    data_source: PathText = Field(
        default="synthetic", description="'synthetic', or the representative data file used."
    )
    calibration: Text | None = Field(
        default=None, description="How quantized variants were calibrated, when any was."
    )
    input_choices: list[Text] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Inputs whose values were chosen from the graph (e.g. embedding indices).",
    )
    latency_runs: Count = 0
    tensorflow_latency_ms: FiniteFloat | None = None
    warnings: list[Text] = Field(default_factory=list, max_length=MAX_NOTES)


class Environment(_Model):
    python: Name
    platform: Name
    versions: dict[Name, Name] = Field(max_length=MAX_NOTES)


class Verdict(_Model):
    passed: bool
    line: Text
    failures: list[Text] = Field(default_factory=list, max_length=MAX_NOTES)


class StageTime(_Model):
    """One stage of the run: when it started (seconds after the run began) and how long it took
    (wall clock). Stages in different worker processes overlap."""

    stage: Stage
    target: Target | None = None
    variant: Variant | None = None
    start_seconds: float = Field(ge=0, allow_inf_nan=False)
    seconds: float = Field(ge=0, allow_inf_nan=False)


class Timings(_Model):
    """Where the time of the run went. Optional: reports written before it have none."""

    total_seconds: float = Field(ge=0, allow_inf_nan=False)
    workers: Count = Field(description="Worker processes that ran the stages.")
    stages: list[StageTime] = Field(default_factory=list, max_length=MAX_NOTES)


class Report(_Model):
    """The whole run. ``report.json`` is this, dumped."""

    schema_version: Count = SCHEMA_VERSION
    tool_version: Name
    created_at: Name
    command: Command
    source: SourceInfo
    environment: Environment
    validation: ValidationSetup
    fail_on: list[FailRule] = Field(max_length=len(FAIL_RULES))
    artifacts: list[Artifact] = Field(max_length=64)
    verdict: Verdict
    timings: Timings | None = None
    comparison: Comparison | None = Field(
        default=None, description="Base → head changes, when the run had a base to compare with."
    )

    def artifact(self, target: str, variant: str) -> Artifact | None:
        for artifact in self.artifacts:
            if artifact.target == target and artifact.variant == variant:
                return artifact
        return None

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"

    @classmethod
    def load(cls, path: Path) -> Report:
        """Read and validate a report.json; raises BadInputError naming the file."""
        from pydantic import ValidationError

        from ..errors import BadInputError

        try:
            if path.stat().st_size > MAX_REPORT_BYTES:
                raise BadInputError(
                    f"{path}: over {MAX_REPORT_BYTES // 2**20} MiB, not a hub-convert report"
                )
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise BadInputError(f"{path}: cannot read report ({exc.strerror})") from exc
        except UnicodeDecodeError as exc:
            raise BadInputError(f"{path}: not a hub-convert report (not UTF-8)") from exc
        try:
            report = cls.model_validate_json(text, context={UNTRUSTED: True})
        except ValidationError as exc:
            first = exc.errors()[0]
            # The location may hold a key from the file: shown printable, on one line, short.
            where = ".".join(str(p) for p in first["loc"]) or "(top level)"
            where, why = printable(where, 120), printable(first["msg"], 200)
            raise BadInputError(
                f"{path}: not a hub-convert report ({where}: {why}); "
                "pass the report.json written by `hub-convert convert`"
            ) from exc
        if report.schema_version not in READABLE_SCHEMA_VERSIONS:
            readable = " and ".join(map(str, READABLE_SCHEMA_VERSIONS))
            raise BadInputError(
                f"{path}: report schema_version {report.schema_version} is not supported "
                f"(this hub-convert reads {readable}); use the matching hub-convert version"
            )
        return report
