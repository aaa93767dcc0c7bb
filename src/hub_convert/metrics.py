"""Drift between the original model's outputs and an artifact's, per output over all samples."""

from __future__ import annotations

import numpy as np

from .report import OutputDrift, Tolerance


def compare_output(
    name: str, reference: list[np.ndarray], candidate: list[np.ndarray], tolerance: Tolerance
) -> OutputDrift:
    """Metrics for one output; a shape or NaN mismatch is a problem, never a pass."""
    for index, (ref, got) in enumerate(zip(reference, candidate, strict=True)):
        if ref.shape != got.shape:
            return OutputDrift(
                output=name,
                within_tolerance=False,
                problem=f"sample {index}: shape {list(got.shape)}, expected {list(ref.shape)}",
            )
    ref_all = np.concatenate([np.asarray(r, dtype=np.float64).ravel() for r in reference])
    got_all = np.concatenate([np.asarray(c, dtype=np.float64).ravel() for c in candidate])
    ref_nan, got_nan = np.isnan(ref_all), np.isnan(got_all)
    if not np.array_equal(ref_nan, got_nan):
        return OutputDrift(
            output=name,
            within_tolerance=False,
            problem=f"NaN in {int(got_nan.sum())} values where the original has "
            f"{int(ref_nan.sum())}",
        )
    keep = ~ref_nan
    ref_all, got_all = ref_all[keep], got_all[keep]
    if ref_all.size == 0:
        return OutputDrift(output=name, within_tolerance=True, problem="output is empty")
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(ref_all - got_all)
        diff[np.isinf(ref_all) & np.isinf(got_all) & (ref_all == got_all)] = 0.0
    max_abs = float(diff.max())
    mean_abs = float(diff.mean())
    rmse = float(np.sqrt(np.mean(np.square(diff))))
    cosine = cosine_similarity(ref_all, got_all)
    within = (tolerance.max_abs is None or max_abs <= tolerance.max_abs) and (
        tolerance.min_cosine is None or cosine >= tolerance.min_cosine
    )
    return OutputDrift(
        output=name,
        max_abs=max_abs,
        mean_abs=mean_abs,
        rmse=rmse,
        cosine=cosine,
        within_tolerance=bool(within),
    )


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of the angle between two flattened outputs; 1.0 when both are all zeros."""
    norm_a, norm_b = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if norm_a == 0.0 and norm_b == 0.0:
        return 1.0
    if norm_a == 0.0 or norm_b == 0.0:
        return 0.0
    return float(np.clip(np.dot(a, b) / (norm_a * norm_b), -1.0, 1.0))
