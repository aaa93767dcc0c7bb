"""Measure drift: the original model's outputs against a converted file's, per output over all
samples (max/mean abs, RMSE, cosine, PSNR, top-k agreement). The bound is tolerances.py's."""

from __future__ import annotations

import numpy as np

from ..report import OutputDrift, Tolerance
from ..tolerances import within


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
    mse = float(np.mean(np.square(diff)))
    rmse = float(np.sqrt(mse))
    cosine = cosine_similarity(ref_all, got_all)
    psnr = psnr_db(ref_all, mse)
    top1, top5 = topk_agreement(reference, candidate)
    return OutputDrift(
        output=name,
        max_abs=max_abs,
        mean_abs=mean_abs,
        rmse=rmse,
        cosine=cosine,
        psnr_db=psnr,
        top1_agreement=top1,
        top5_agreement=top5,
        within_tolerance=within(tolerance, max_abs=max_abs, cosine=cosine, psnr_db=psnr, mse=mse),
    )


def psnr_db(reference: np.ndarray, mse: float) -> float | None:
    """Peak signal-to-noise ratio in dB, the peak being the original output's range.

    None when the outputs are identical (infinite PSNR) or the original is constant.
    """
    peak = float(reference.max() - reference.min())
    if mse == 0.0 or peak == 0.0:
        return None
    return float(10.0 * np.log10(peak * peak / mse))


def topk_agreement(
    reference: list[np.ndarray], candidate: list[np.ndarray]
) -> tuple[float | None, float | None]:
    """Top-1 and top-5 agreement for classifier-like outputs, else (None, None).

    Classifier-like: floating point, last axis of at least 2 classes, and rows (all leading
    axes flattened) that are samples — rank 1 or 2 per sample. Top-5 needs 5 classes or more.
    """
    first = reference[0]
    if first.ndim not in (1, 2) or first.shape[-1] < 2:
        return None, None
    if not np.issubdtype(first.dtype, np.floating):
        return None, None
    classes = first.shape[-1]
    ref_rows = np.concatenate([r.reshape(-1, classes) for r in reference]).astype(np.float64)
    got_rows = np.concatenate([c.reshape(-1, classes) for c in candidate]).astype(np.float64)
    ref_top1 = ref_rows.argmax(axis=1)
    top1 = float(np.mean(ref_top1 == got_rows.argmax(axis=1)))
    if classes < 5:
        return top1, None
    got_top5 = np.argsort(-got_rows, axis=1, kind="stable")[:, :5]
    top5 = float(np.mean([ref_top1[i] in got_top5[i] for i in range(len(ref_top1))]))
    return top1, top5


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of the angle between two flattened outputs; 1.0 when both are all zeros."""
    norm_a, norm_b = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if norm_a == 0.0 and norm_b == 0.0:
        return 1.0
    if norm_a == 0.0 or norm_b == 0.0:
        return 0.0
    return float(np.clip(np.dot(a, b) / (norm_a * norm_b), -1.0, 1.0))
