"""Measure drift: the original model's outputs against a converted file's, per output over all
samples (max/mean abs, RMSE, cosine, PSNR, top-k agreement). tolerances.py judges them.

Truth both ways: strings compare exactly; NaN and ±inf must sit at the same positions (and
signs) in both, and only the finite values are measured; an output with nothing finite to
compare is *not compared* — never a pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..policy.tolerances import Judgement, judge
from ..report.artifact import OrderInsensitive, OutputDrift, Tolerance
from .order import match_rows


def _is_text(array: np.ndarray) -> bool:
    return array.dtype.kind in ("S", "U", "O")


def compare_output(
    name: str,
    reference: list[np.ndarray],
    candidate: list[np.ndarray],
    tolerance: Tolerance,
    *,
    order_depends_on: str | None = None,
) -> OutputDrift:
    """Metrics and verdict for one output. ``order_depends_on`` names the TopK / NMS / sort op
    that decides the output's row order, when the graph has one."""
    for index, (ref, got) in enumerate(zip(reference, candidate, strict=True)):
        if ref.shape != got.shape:
            return _problem(
                name, f"sample {index}: shape {list(got.shape)}, expected {list(ref.shape)}"
            )
    if any(_is_text(r) for r in reference) or any(_is_text(c) for c in candidate):
        return _compare_text(name, reference, candidate)
    ref_all = np.concatenate([np.asarray(r, dtype=np.float64).ravel() for r in reference])
    got_all = np.concatenate([np.asarray(c, dtype=np.float64).ravel() for c in candidate])
    problem, nonfinite = _nonfinite_mismatch(ref_all, got_all)
    if problem:
        return _problem(name, problem)
    finite = np.isfinite(ref_all)
    ref_all, got_all = ref_all[finite], got_all[finite]
    if ref_all.size == 0:
        what = "the output is empty" if nonfinite is None else f"every value is {nonfinite}"
        return OutputDrift(
            output=name,
            compared=False,
            within_tolerance=False,
            nonfinite=nonfinite,
            problem=f"nothing to compare: {what}",
        )
    peak = float(np.abs(ref_all).max())
    measured = _measure(ref_all, got_all, tolerance, peak)
    verdict = measured.verdict
    top1, top5 = topk_agreement(reference, candidate)
    order = None
    if order_depends_on is not None and not verdict.within:
        order = _order_insensitive(reference, candidate, tolerance, peak, order_depends_on)
    return OutputDrift(
        output=name,
        max_abs=measured.max_abs,
        mean_abs=measured.mean_abs,
        rmse=float(np.sqrt(measured.mse)),
        cosine=measured.cosine,
        psnr_db=measured.psnr_db,
        top1_agreement=top1,
        top5_agreement=top5,
        peak_abs=peak,
        max_abs_bound=verdict.max_abs_bound,
        failed_checks=verdict.failed_checks,
        within_as_a_whole=verdict.whole,
        order_insensitive=order,
        nonfinite=nonfinite,
        within_tolerance=verdict.within or bool(order and order.within_tolerance),
    )


def _problem(name: str, problem: str) -> OutputDrift:
    return OutputDrift(output=name, within_tolerance=False, problem=problem)


def _compare_text(
    name: str, reference: list[np.ndarray], candidate: list[np.ndarray]
) -> OutputDrift:
    """Strings (and any non-numeric output) compare exactly, element by element."""
    total = differ = 0
    for ref, got in zip(reference, candidate, strict=True):
        if not (_is_text(ref) and _is_text(got)):
            return _problem(name, f"dtype {got.dtype}, expected {ref.dtype}")
        equal = np.asarray(
            [_as_bytes(a) == _as_bytes(b) for a, b in zip(ref.ravel(), got.ravel(), strict=True)]
        )
        total += equal.size
        differ += int(equal.size - equal.sum())
    if total == 0:
        return OutputDrift(
            output=name, compared=False, within_tolerance=False, problem="nothing to compare"
        )
    if differ:
        return _problem(name, f"{differ} of {total} strings differ")
    return OutputDrift(output=name, max_abs=0.0, within_tolerance=True)


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")


def _nonfinite_mismatch(ref: np.ndarray, got: np.ndarray) -> tuple[str | None, str | None]:
    """(a mismatch of NaN/inf positions, or None; a note on matching NaN/inf, or None)."""
    ref_nan, got_nan = np.isnan(ref), np.isnan(got)
    if not np.array_equal(ref_nan, got_nan):
        return (
            f"NaN at {int(got_nan.sum())} positions where the original has "
            f"{int(ref_nan.sum())} ({int((ref_nan != got_nan).sum())} positions differ)",
            None,
        )
    ref_inf, got_inf = np.isinf(ref), np.isinf(got)
    if not np.array_equal(ref_inf, got_inf) or not np.array_equal(ref[ref_inf], got[got_inf]):
        return (
            f"±inf at {int(got_inf.sum())} positions where the original has "
            f"{int(ref_inf.sum())}, or with another sign",
            None,
        )
    parts = []
    if ref_nan.any():
        parts.append(f"{int(ref_nan.sum())} NaN")
    if ref_inf.any():
        parts.append(f"{int(ref_inf.sum())} ±inf")
    return None, (" and ".join(parts) if parts else None)


def _order_insensitive(
    reference: list[np.ndarray],
    candidate: list[np.ndarray],
    tolerance: Tolerance,
    peak: float,
    depends_on: str,
) -> OrderInsensitive | None:
    matched = match_rows(reference, candidate)
    if matched is None:
        return None
    ref_all, got_all, method = matched
    finite = np.isfinite(ref_all) & np.isfinite(got_all)
    if not finite.any():
        return None
    measured = _measure(ref_all[finite], got_all[finite], tolerance, peak)
    return OrderInsensitive(
        depends_on=depends_on,
        method=method,
        max_abs=measured.max_abs,
        cosine=measured.cosine,
        within_tolerance=measured.verdict.within,
    )


@dataclass(frozen=True)
class _Measured:
    max_abs: float
    mean_abs: float
    mse: float
    cosine: float
    psnr_db: float | None
    verdict: Judgement


def _measure(ref: np.ndarray, got: np.ndarray, tolerance: Tolerance, peak: float) -> _Measured:
    """The metrics of two finite, equally ordered value arrays, judged against ``tolerance``."""
    diff = np.abs(ref - got)
    max_abs = float(diff.max())
    mse = float(np.mean(np.square(diff)))
    cosine = cosine_similarity(ref, got)
    psnr = psnr_db(ref, mse)
    verdict = judge(tolerance, max_abs=max_abs, peak_abs=peak, cosine=cosine, psnr_db=psnr, mse=mse)
    return _Measured(max_abs, float(diff.mean()), mse, cosine, psnr, verdict)


def psnr_db(reference: np.ndarray, mse: float) -> float | None:
    """Peak signal-to-noise ratio in dB, the peak being the original output's largest |value|.

    (Not its range: an output that varies little around a large value, an age near 30, would
    get a low PSNR for a tiny relative error.) None when the outputs are identical (infinite
    PSNR) or the original is all zeros.
    """
    peak = float(np.abs(reference).max())
    if mse == 0.0 or peak == 0.0:
        return None
    return float(10.0 * np.log10(peak * peak / mse))


def topk_agreement(
    reference: list[np.ndarray], candidate: list[np.ndarray]
) -> tuple[float | None, float | None]:
    """Top-1 and top-5 agreement for classifier-like outputs, else (None, None).

    Classifier-like: floating point, last axis of at least 2 classes, and rows (all leading
    axes flattened) that are samples — rank 1 or 2 per sample. Top-5 needs 5 classes or more.
    Rows holding NaN/inf are left out.
    """
    first = reference[0]
    if first.ndim not in (1, 2) or first.shape[-1] < 2:
        return None, None
    if not np.issubdtype(first.dtype, np.floating):
        return None, None
    classes = first.shape[-1]
    ref_rows = np.concatenate([r.reshape(-1, classes) for r in reference]).astype(np.float64)
    got_rows = np.concatenate([c.reshape(-1, classes) for c in candidate]).astype(np.float64)
    keep = np.isfinite(ref_rows).all(axis=1) & np.isfinite(got_rows).all(axis=1)
    ref_rows, got_rows = ref_rows[keep], got_rows[keep]
    if not len(ref_rows):
        return None, None
    ref_top1 = ref_rows.argmax(axis=1)
    top1 = float(np.mean(ref_top1 == got_rows.argmax(axis=1)))
    if classes < 5:
        return top1, None
    got_top5 = np.argsort(-got_rows, axis=1, kind="stable")[:, :5]
    top5 = float(np.mean([ref_top1[i] in got_top5[i] for i in range(len(ref_top1))]))
    return top1, top5


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of the angle between two flattened outputs; 1.0 when both are all zeros.

    Computed on values scaled by their common peak, so outputs near float64's range do not
    overflow to a NaN cosine.
    """
    scale = max(float(np.abs(a).max(initial=0.0)), float(np.abs(b).max(initial=0.0)))
    if scale == 0.0:
        return 1.0
    a, b = a / scale, b / scale
    norm_a, norm_b = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if norm_a == 0.0 or norm_b == 0.0:
        return 0.0
    return float(np.clip(np.dot(a, b) / (norm_a * norm_b), -1.0, 1.0))
