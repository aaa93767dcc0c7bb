"""Whether the original gives the same outputs twice: its outputs on the first validation
sample compared with a second run on it (prepare runs it, worker only; numpy, no TensorFlow).

A model with a stateful random op on an output's path (a TF1 dropout fed a keep probability
below 1, a sampling layer) gives different outputs on every run, so no converted file can match
the recorded ones: comparing against them would blame the file for the original's randomness.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..report.run_info import DifferingOutput, Nondeterminism

# Two runs count as different when an output moves by more than this share of its largest
# magnitude. A tenth of the tightest default tolerance (float32: 1e-4 + 1e-4·peak), so a
# difference below it cannot make a file fail by itself. Measured: MobileNetV2 (the bench's)
# and basic-pitch's SavedModel give bit-identical outputs over 6 runs on this CPU.
RELATIVE_NOISE = 1e-5


def differing_outputs(first: dict[str, Any], again: dict[str, Any]) -> dict[str, float | None]:
    """Per output that differs between two runs on the same sample, its max abs difference
    (None when that is not a finite number: shapes differ, NaN in one run only, strings);
    identical outputs are left out. NaN in the same place in both runs counts as equal."""
    differing: dict[str, float | None] = {}
    for name, value in first.items():
        one, two = np.asarray(value), np.asarray(again.get(name))
        if one.shape != two.shape:
            differing[name] = None
        elif one.dtype.kind in "fc" and two.dtype.kind in "fc":
            gap = _max_gap(_real_parts(one), _real_parts(two))
            if gap is not None:
                differing[name] = gap if np.isfinite(gap) else None
        elif not np.array_equal(one, two):
            numeric = one.dtype.kind in "iub" and two.dtype.kind in "iub"
            differing[name] = _exact_gap(one, two) if numeric else None
    return differing


def _real_parts(value: np.ndarray) -> np.ndarray:
    """A complex output as its real and imaginary parts (a NaN in either compared as a float
    NaN: array_equal called the same complex NaN twice a difference); a float as it is."""
    return np.stack([value.real, value.imag]) if value.dtype.kind == "c" else value


def _exact_gap(one: np.ndarray, two: np.ndarray) -> float:
    return float(np.max(np.abs(one.astype(np.float64) - two.astype(np.float64))))


def _max_gap(one: np.ndarray, two: np.ndarray) -> float | None:
    """The max abs difference when it is above the noise level (NaN in the same places equal;
    NaN in one run only is infinitely far), else None."""
    a, b = one.astype(np.float64), two.astype(np.float64)
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    if np.any(nan_a != nan_b):
        return float("inf")
    keep = ~nan_a
    if not np.any(keep):
        return None
    a, b = a[keep], b[keep]
    with np.errstate(invalid="ignore"):
        gaps = np.abs(a - b)
    gaps[a == b] = 0.0  # the same infinity twice
    gap = float(np.max(gaps))
    finite = np.abs(a[np.isfinite(a)])
    peak = float(np.max(finite)) if finite.size else 0.0
    return gap if gap > RELATIVE_NOISE * peak else None


def check_repeatable(
    function: Any, samples: list[dict[str, np.ndarray]], recorded: list[dict[str, Any]]
) -> Nondeterminism | None:
    """Run the signature ``function`` on the first sample again and compare with its
    ``recorded`` outputs: None when equal, else which outputs differ and the random ops behind
    them. When a stateful random op is on an output's path yet the first sample repeats (a
    small dropout mask can draw the same values twice), every other sample is run again too."""
    from .random_ops import random_ops_upstream
    from .signature import run_reference

    behind = random_ops_upstream(function, list(recorded[0]))
    rerun = len(samples) if any(behind.values()) else 1
    differing: dict[str, float | None] = {}
    for sample, first in zip(samples[:rerun], recorded[:rerun], strict=True):
        [again] = run_reference(function, [sample])
        differing = differing_outputs(first, again)
        if differing:
            break
    if not differing:
        return None
    random_ops = sorted({op for name in differing for op in behind.get(name, [])})
    return Nondeterminism(
        outputs=[DifferingOutput(output=n, max_abs=gap) for n, gap in sorted(differing.items())],
        random_ops=random_ops,
    )
