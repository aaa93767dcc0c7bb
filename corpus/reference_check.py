"""What hub-convert's samples.npz adds to a model's record: each input's and output's value
statistics, and for graphs with TopK/NMS an order-insensitive rerun of every ``drift`` file.

The rerun's comparison is the corpus's own, not hub_convert.convert.order.match_rows: that one
keeps the closer of two orderings and reports one number, while RESULTS.md shows both (every
sample's values sorted as one multiset; rows along the last axis matched by max-abs distance)
and counts the rows still off, which the failure classes and the drift table are built on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hub_convert.convert.drift import cosine_similarity
from hub_convert.convert.samples import Samples
from hub_convert.convert.targets import module_for
from log_lines import first_line

Outputs = dict[str, np.ndarray]

# Beyond this many pairwise row distances the matching is skipped (memory).
_MAX_PAIRWISE = 20_000_000


def check_against_samples(record: dict[str, Any], samples_path: Path, out_dir: Path) -> None:
    """Add ``input_stats`` / ``output_stats`` and, where it applies, each drift artifact's
    ``order_insensitive`` comparison (or the error that stopped it) to ``record``."""
    if not samples_path.exists():
        return
    samples = Samples.load(samples_path)
    record["input_stats"] = {
        n: value_stats([s[n] for s in samples.inputs]) for n in samples.input_names
    }
    record["output_stats"] = {
        n: value_stats([s[n] for s in samples.outputs]) for n in samples.output_names
    }
    if not record.get("order_ops"):
        return
    for artifact in record.get("artifacts", []):
        if artifact["status"] != "drift":
            continue
        path = _artifact_path(out_dir, artifact)
        if path is None:
            continue
        try:
            run = module_for(artifact["target"]).load(path)
            got = [run(sample) for sample in samples.inputs]
            artifact["order_insensitive"] = compare_unordered(samples.outputs, got)
        except Exception as exc:  # the extra check must not lose the model's result
            artifact["order_insensitive_error"] = first_line(f"{type(exc).__name__}: {exc}")


def value_stats(arrays: list[np.ndarray]) -> dict[str, Any]:
    """dtype, shape, NaN/inf counts, finite min/max/max |value| over the samples, and whether
    every sample gave the same values."""
    first = np.asarray(arrays[0])
    stats: dict[str, Any] = {"dtype": str(first.dtype), "shape": list(first.shape)}
    if first.dtype.kind in "OSU":
        stats["strings"] = True
        return stats
    values = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])
    finite = values[np.isfinite(values)]
    stats.update(
        count=int(values.size),
        nan=int(np.isnan(values).sum()),
        inf=int(np.isinf(values).sum()),
        min=float(finite.min()) if finite.size else None,
        max=float(finite.max()) if finite.size else None,
        max_abs=float(np.abs(finite).max()) if finite.size else None,
    )
    if len(arrays) > 1 and all(np.shape(a) == first.shape for a in arrays):
        spread = max(
            float(np.nanmax(np.abs(np.asarray(a, np.float64) - first.astype(np.float64))))
            if np.asarray(a).size
            else 0.0
            for a in arrays[1:]
        )
        stats["same_for_every_sample"] = spread == 0.0
    return stats


def _artifact_path(out_dir: Path, artifact: dict[str, Any]) -> Path | None:
    suffix = ".tflite" if artifact["target"] == "tflite" else ".onnx"
    found = sorted(out_dir.glob(f"*_{artifact['variant']}{suffix}"))
    return found[0] if found else None


def compare_unordered(reference: list[Outputs], got: list[Outputs]) -> dict[str, Any]:
    """Per output: the as-is max abs and cosine; the same after sorting each sample's values
    (the multiset of values: reordering tied candidates leaves it unchanged); and after
    matching each sample's rows (last axis) one to one, nearest first, with the number of
    rows still off by more than 1e-4 + 1e-4·|value|."""
    result: dict[str, Any] = {}
    for name in reference[0]:
        refs = [np.asarray(r[name], np.float64) for r in reference]
        gots = [np.asarray(g.get(name), np.float64) for g in got]
        if any(r.shape != g.shape for r, g in zip(refs, gots, strict=True)):
            result[name] = {"shape_differs": True}
            continue
        if not refs[0].size:
            continue
        as_is = (
            np.concatenate([r.ravel() for r in refs]),
            np.concatenate([g.ravel() for g in gots]),
        )
        ordered = (
            np.concatenate([np.sort(r.ravel()) for r in refs]),
            np.concatenate([np.sort(g.ravel()) for g in gots]),
        )
        entry: dict[str, Any] = {
            "max_abs": _max_abs(*as_is),
            "cosine": _cosine(*as_is),
            "sorted_max_abs": _max_abs(*ordered),
            "sorted_cosine": _cosine(*ordered),
        }
        matched = [_match_rows(r, g) for r, g in zip(refs, gots, strict=True)]
        if all(m is not None for m in matched):
            ref_rows = np.concatenate([_rows(r) for r in refs])
            got_rows = np.concatenate([m for m in matched if m is not None])
            bound = 1e-4 + 1e-4 * np.abs(ref_rows)
            off = np.nan_to_num(np.abs(ref_rows - got_rows), nan=np.inf) > bound
            entry.update(
                rows=len(ref_rows),
                matched_max_abs=_max_abs(ref_rows.ravel(), got_rows.ravel()),
                matched_cosine=_cosine(ref_rows.ravel(), got_rows.ravel()),
                matched_rows_off=int(off.any(axis=1).sum()),
            )
        result[name] = entry
    return result


def _rows(array: np.ndarray) -> np.ndarray:
    return array.reshape(-1, array.shape[-1]) if array.ndim >= 2 else array.reshape(-1, 1)


def _match_rows(ref: np.ndarray, got: np.ndarray) -> np.ndarray | None:
    """``got``'s rows reordered to pair with ``ref``'s: greedy, smallest max-abs distance
    first. None when the pairwise table would be too large."""
    r, g = _rows(ref), _rows(got)
    if len(r) * len(g) * r.shape[1] > _MAX_PAIRWISE:
        return None
    distance = np.nan_to_num(np.abs(r[:, None, :] - g[None, :, :]).max(axis=2), nan=np.inf)
    match = np.full(len(r), -1)
    used = np.zeros(len(g), dtype=bool)
    for flat in np.argsort(distance, axis=None, kind="stable"):
        i, j = divmod(int(flat), len(g))
        if match[i] < 0 and not used[j]:
            match[i], used[j] = j, True
    reordered: np.ndarray = g[match]
    return reordered


def _max_abs(a: np.ndarray, b: np.ndarray) -> float | None:
    keep = np.isfinite(a) & np.isfinite(b)
    return float(np.abs(a[keep] - b[keep]).max()) if keep.any() else None


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    """The product's cosine over the positions finite in both."""
    keep = np.isfinite(a) & np.isfinite(b)
    return cosine_similarity(a[keep], b[keep])
