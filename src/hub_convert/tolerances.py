"""Where drift tolerances are decided: defaults, precedence, and the check itself.

Precedence, most specific first: ``--max-drift`` (input ``max-drift``), then the policy
file's ``tolerances``, then ``DEFAULT_TOLERANCES``. Within each, ``target:variant`` beats
``variant`` beats ``*``. Every report states the tolerance each artifact was judged by.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import get_args

from .errors import BadInputError
from .parsing import Text, given
from .report import TARGETS, VARIANTS_BY_TARGET, Target, Tolerance, Variant

# float32 follows what ONNX exporters use to validate (optimum: atol 1e-4/1e-5).
# Reduced-precision variants cannot meet an absolute bound that is independent of the
# output's scale, so they are judged as quantization toolkits judge them: by direction
# (cosine) and signal-to-noise (PSNR, peak = the original output's range), with a loose
# absolute bound for float16.
ALL_VARIANTS: tuple[str, ...] = get_args(Variant)

_FLOAT16 = Tolerance(max_abs=1e-2, min_cosine=0.999)
_INT8 = Tolerance(min_cosine=0.99, min_psnr_db=30.0)
DEFAULT_TOLERANCES: dict[tuple[Target, Variant], Tolerance] = {
    ("tflite", "float32"): Tolerance(max_abs=1e-4),
    ("tflite", "float16"): _FLOAT16,
    ("tflite", "dynamic"): _INT8,
    ("tflite", "int8"): _INT8,
    ("tflite", "int16x8"): Tolerance(min_cosine=0.999, min_psnr_db=40.0),
    ("onnx", "float32"): Tolerance(max_abs=1e-4),
    ("onnx", "float16"): _FLOAT16,
    ("onnx", "dynamic"): _INT8,
}


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
            return tolerance.model_copy(update={"max_abs": max_drift[key]})
    return tolerance


def within(
    tolerance: Tolerance,
    *,
    max_abs: float,
    cosine: float,
    psnr_db: float | None,
    mse: float,
) -> bool:
    """Whether one output's measured drift is within ``tolerance`` (unset bounds pass)."""
    if tolerance.max_abs is not None and not max_abs <= tolerance.max_abs:
        return False
    if tolerance.min_cosine is not None and not cosine >= tolerance.min_cosine:
        return False
    if tolerance.min_psnr_db is not None:
        if psnr_db is None:
            # None: identical outputs (mse 0, infinite PSNR) or a constant original. A constant
            # original with a different artifact has no PSNR and is no pass.
            return mse == 0.0
        return psnr_db >= tolerance.min_psnr_db
    return True
