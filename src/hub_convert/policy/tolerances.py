"""Where drift tolerances are decided: defaults, precedence, and the check itself.

Precedence, most specific first: ``--max-drift`` (input ``max-drift``), then the policy
file's ``tolerances``, then ``DEFAULT_TOLERANCES``. Within each, ``target:variant`` beats
``variant`` beats ``*``. Every report states the tolerance each artifact was judged by.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import get_args

from ..errors import BadInputError
from ..parsing import Text, given
from ..report.artifact import Tolerance
from ..report.vocabulary import TARGETS, VARIANTS_BY_TARGET, Target, Variant

# Chosen from the real-model corpus (corpus/RESULTS.md), measured 2026-11:
# - float32: correct conversions differ by ≤ 1e-6 of the output's peak |value| (PSNR 90–168
#   dB); a fixed 1e-4 misjudged outputs in the hundreds (max abs 1.7e-4 at peak 162, cosine
#   1 − 5e-14). The bound is allclose-like: 1e-4 absolute (outputs of 1e-5 scale, where
#   rounding alone is 1e-7) plus 1e-4 of the peak — 100× the float32 noise measured, and still
#   10× under the smallest real defect seen (an UpSampling2D resize rule: 0.84 at peak 1).
# - float16, int8, dynamic: judged as quantization toolkits judge them, by direction (cosine)
#   and signal-to-noise (PSNR, peak = max |original|); float16 files measured cosine ≥ 0.9998
#   and PSNR 45–94 dB, while the old absolute 1e-2 failed them.
ALL_VARIANTS: tuple[str, ...] = get_args(Variant)

# - float32, whole: a deep recurrent model (Robust Video Matting) differs by up to 3.1e-4 at
#   peak 1 in ONNX, with cosine 1 − 1.2e-10 and PSNR 98.9 dB: rounding spread through many
#   layers, not a defect. An output over the max abs bound passes when, as a whole, cosine
#   ≥ 1 − 1e-6 and PSNR ≥ 80 dB (RMS error ≤ 1e-4 of the peak), the corpus's line between
#   rounding and defects; the report still shows the max abs and its bound.
#   What it waives is capped at WHOLE_WAIVER_CAP × the bound (about 1e-3 of the peak): cosine and
#   PSNR average over the output, so one value 5 % of the peak off in a million passes both;
#   the worst real rounding case (3.1e-4 at peak 1) is 1.6× its bound.
WHOLE_WAIVER_CAP = 10.0
_FLOAT32 = Tolerance(max_abs=1e-4, max_rel=1e-4, whole_min_cosine=1 - 1e-6, whole_min_psnr_db=80.0)
_FLOAT16 = Tolerance(min_cosine=0.999, min_psnr_db=40.0)
_INT8 = Tolerance(min_cosine=0.99, min_psnr_db=30.0)
DEFAULT_TOLERANCES: dict[tuple[Target, Variant], Tolerance] = {
    ("tflite", "float32"): _FLOAT32,
    ("tflite", "float16"): _FLOAT16,
    ("tflite", "dynamic"): _INT8,
    ("tflite", "int8"): _INT8,
    ("tflite", "int16x8"): Tolerance(min_cosine=0.999, min_psnr_db=40.0),
    ("tflite", "int8-mixed"): _INT8,  # an int8 file with some float layers: held to int8's
    ("onnx", "float32"): _FLOAT32,
    ("onnx", "float16"): _FLOAT16,
    ("onnx", "dynamic"): _INT8,
    ("onnx", "ort"): _FLOAT32,  # the float32 file in another format: the same numbers
}
# Re-deriving an order-dependent output (convert/rederive.py) runs the original's own
# post-processing on a converted file's own continuous outputs: the same arithmetic on the same
# values, measured identical (max abs 0) on CenterNet's TFLite and ONNX files. So the file's
# output must match it to float32 rounding of its peak, whatever the artifact's tolerance.
REDERIVED_TOLERANCE = Tolerance(max_rel=1e-6)


def check_key(key: str, where: str) -> None:
    """``*``, ``VARIANT`` or ``TARGET:VARIANT``; BadInputError naming ``where`` otherwise."""
    if key == "*":
        return
    target, _, variant = key.rpartition(":")
    if target and target not in TARGETS:
        raise BadInputError(f"{where}: unknown target in {key!r}; use {' or '.join(TARGETS)}")
    variants: tuple[str, ...] = ALL_VARIANTS
    for known, its_variants in VARIANTS_BY_TARGET.items():
        if target == known:
            variants = its_variants
    if variant not in variants:
        raise BadInputError(
            f"{where}: unknown variant in {key!r}; use one of {', '.join(sorted(variants))}"
        )


def parse_max_drift(value: Text, label: str) -> dict[str, float]:
    """``1e-3`` (every variant) or ``float32=1e-4,float16=1e-2`` (also ``onnx:float32=…``)."""
    result: dict[str, float] = {}
    for item in re.split(r"[,\s]+", given(value) or ""):
        if not item:
            continue
        key, _, number = item.rpartition("=")
        key = key or "*"
        try:
            bound = float(number)
        except ValueError:
            raise BadInputError(
                f"{label}: {item!r} is not a number or VARIANT=NUMBER, e.g. float32=1e-4"
            ) from None
        if not bound >= 0:  # also refuses NaN
            raise BadInputError(f"{label}: {item!r} must be a non-negative number")
        check_key(key, label)
        result[key] = bound
    return result


def _keys(target: str, variant: str) -> tuple[str, str, str]:
    """Keys from least to most specific."""
    return ("*", variant, f"{target}:{variant}")


def effective_tolerance(
    target: Target,
    variant: Variant,
    *,
    policy: Mapping[str, Tolerance],
    max_drift: Mapping[str, float],
) -> Tolerance:
    """The tolerance an artifact is judged by: defaults < policy file < ``--max-drift``."""
    tolerance = DEFAULT_TOLERANCES[(target, variant)]
    for key in _keys(target, variant):
        if key in policy:
            tolerance = tolerance.model_copy(update=policy[key].model_dump(exclude_unset=True))
    for key in reversed(_keys(target, variant)):
        if key in max_drift:
            # An absolute bound, as the option says: it replaces the scale-relative part too.
            absolute = {"max_abs": max_drift[key], "max_rel": None}
            return tolerance.model_copy(
                update={**absolute, "whole_min_cosine": None, "whole_min_psnr_db": None}
            )
    return tolerance


@dataclass(frozen=True)
class Judgement:
    """One output measured against a tolerance."""

    within: bool
    max_abs_bound: float | None  # the effective bound for this output's scale
    failed_checks: list[str]
    whole: str | None = None  # over the max abs bound, but close as a whole: how close


def judge(
    tolerance: Tolerance,
    *,
    max_abs: float,
    peak_abs: float,
    cosine: float,
    psnr_db: float | None,
    mse: float,
) -> Judgement:
    """Whether one output's measured drift is within ``tolerance``; each failed check named
    with its value and bound (unset bounds are not checked)."""
    failed: list[str] = []
    bound = None
    if tolerance.max_abs is not None or tolerance.max_rel:
        bound = (tolerance.max_abs or 0.0) + (tolerance.max_rel or 0.0) * peak_abs
        if not max_abs <= bound:
            scale = f" ({tolerance.max_abs_rule()}, peak {peak_abs:.3g})"
            failed.append(
                f"max abs {max_abs:.3g} > {bound:.3g}{scale if tolerance.max_rel else ''}"
            )
    over_bound = bool(failed)  # only the max abs check has run so far
    if tolerance.min_cosine is not None and not cosine >= tolerance.min_cosine:
        failed.append(f"cosine {cosine:.6g} < {tolerance.min_cosine:g}")
    if tolerance.min_psnr_db is not None:
        if psnr_db is None:
            # None: identical outputs (mse 0, infinite PSNR) or a constant original. A constant
            # original with a different artifact has no PSNR and is no pass.
            if mse != 0.0:
                failed.append("PSNR undefined (the original output is constant) and outputs differ")
        elif psnr_db < tolerance.min_psnr_db:
            failed.append(f"PSNR {psnr_db:.1f} dB < {tolerance.min_psnr_db:g} dB")
    whole = _close_as_a_whole(tolerance, cosine, psnr_db)
    if over_bound and len(failed) == 1 and whole:
        assert bound is not None  # over_bound means the max abs check ran
        if max_abs <= WHOLE_WAIVER_CAP * bound:
            return Judgement(True, bound, failed, whole=whole)
        failed[0] += (
            f"; close {whole.removeprefix('as a whole: ')} as a whole, but over "
            f"{WHOLE_WAIVER_CAP:g}× the bound: a local error, not rounding"
        )
    return Judgement(within=not failed, max_abs_bound=bound, failed_checks=failed)


def _close_as_a_whole(tolerance: Tolerance, cosine: float, psnr_db: float | None) -> str | None:
    """Why an output over the max abs bound still passes, or None: cosine and PSNR reach the
    tolerance's ``whole_*`` bounds."""
    min_cosine, min_psnr = tolerance.whole_min_cosine, tolerance.whole_min_psnr_db
    if min_cosine is None or min_psnr is None or psnr_db is None:
        return None
    if cosine >= min_cosine and psnr_db >= min_psnr:
        return (
            f"as a whole: cosine 1 − {max(1 - cosine, 0):.1e} ≥ 1 − {1 - min_cosine:.0e}, "
            f"PSNR {psnr_db:.1f} dB ≥ {min_psnr:g} dB"
        )
    return None
