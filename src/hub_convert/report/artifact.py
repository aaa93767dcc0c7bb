"""The report's ``artifacts``: one converted file each, with its tolerance, its drift per
output and its op coverage."""

from __future__ import annotations

import os

from pydantic import Field

from .device import DeviceView
from .limits import MAX_ITEMS, MAX_NOTES, Count, FiniteFloat, Name, PathText, Shape, Share, Text
from .localization import Localization
from .mixed_precision import MixedPrecision
from .strict_model import StrictModel
from .vocabulary import MadeBy, Status, Target, Variant


class Tolerance(StrictModel):
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
        """Every bound in words, or ``none``."""
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


class OrderInsensitive(StrictModel):
    """An output that depends on TopK / NonMaxSuppression / sorting, compared both ways."""

    depends_on: Text = Field(description="The order-deciding op and node, from the graph.")
    method: Name = Field(description="How rows were matched: sorted or nearest-row matching.")
    max_abs: float
    cosine: float
    within_tolerance: bool


class Rederived(StrictModel):
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


class OutputDrift(StrictModel):
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


class UnsupportedOp(StrictModel):
    """A source op type a target cannot convert, and the nodes that use it."""

    op: Name
    nodes: list[Name] = Field(default_factory=list, max_length=MAX_ITEMS)


class OpCoverage(StrictModel):
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


class Artifact(StrictModel):
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
    made_by: MadeBy | None = Field(
        default=None,
        description="TFLite: the tool that wrote the file: TFLiteConverter (from the SavedModel) "
        "or ai-edge-quantizer (dynamic and float16, derived from the float32 file).",
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
    device: DeviceView | None = Field(
        default=None, description="Where the file will run: delegates, mobile runtimes, shapes."
    )
    localization: Localization | None = Field(
        default=None,
        description="Where it drifts: layer by layer against the original (drift, --explain).",
    )
    mixed_precision: MixedPrecision | None = Field(
        default=None,
        description="int8-mixed: the layers the int8 file keeps in float, and why.",
    )

    def worst_drift(self) -> OutputDrift | None:
        """The output that violates its tolerance, else the one with the largest max abs error."""
        if not self.drift:
            return None
        return min(self.drift, key=lambda d: (d.within_tolerance, -(d.max_abs or 0.0)))

    @property
    def file_name(self) -> str | None:
        """The converted file's name without its directory, or None when there is no file."""
        return os.path.basename(self.path) if self.path else None
