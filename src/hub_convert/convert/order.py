"""Order-insensitive comparison for outputs whose row order comes from TopK / NMS / sorting.

On random inputs, candidates with nearly equal scores swap places when the arithmetic differs
in the last bit; compared as-is, the swapped rows look like a large error. Here the
candidate's values are put in the reference's order by two methods, and the closer one is
kept: values sorted along the last axis (TopK's values, sorted scores) and nearest-row
matching along the first axis with more than one row (NMS boxes: rows of coordinates).
"""

from __future__ import annotations

import numpy as np

# Pairwise distances of this many rows need 2048² floats (32 MiB): enough for NMS outputs.
MAX_ROWS = 2048


def match_rows(
    reference: list[np.ndarray], candidate: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, str] | None:
    """(reference values, candidate values in matched order, method), flattened over samples;
    None when neither method applies."""
    best: tuple[float, np.ndarray, np.ndarray, str] | None = None
    for method in (_sorted_last_axis, _matched_rows):
        result = method(reference, candidate)
        if result is None:
            continue
        ref_all, got_all, name = result
        with np.errstate(invalid="ignore"):
            error = float(np.nanmax(np.abs(ref_all - got_all), initial=0.0))
        if best is None or error < best[0]:
            best = (error, ref_all, got_all, name)
    return None if best is None else best[1:]


def _as_float(array: np.ndarray) -> np.ndarray:
    return np.asarray(array, dtype=np.float64)


def _sorted_last_axis(
    reference: list[np.ndarray], candidate: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, str] | None:
    if reference[0].ndim == 0 or reference[0].shape[-1] < 2:
        return None
    ref = np.concatenate([np.sort(_as_float(r), axis=-1).ravel() for r in reference])
    got = np.concatenate([np.sort(_as_float(c), axis=-1).ravel() for c in candidate])
    return ref, got, "values sorted along the last axis"


def _row_axis(shape: tuple[int, ...]) -> int | None:
    """The first axis with more than one entry that leaves row content after it."""
    for axis, size in enumerate(shape[:-1]):
        if size > 1:
            return axis
    return None


def _matched_rows(
    reference: list[np.ndarray], candidate: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, str] | None:
    axis = _row_axis(reference[0].shape)
    if axis is None or reference[0].shape[axis] > MAX_ROWS:
        return None
    ref_parts, got_parts = [], []
    for ref, got in zip(reference, candidate, strict=True):
        ref_rows = np.moveaxis(_as_float(ref), axis, 0)
        got_rows = np.moveaxis(_as_float(got), axis, 0)
        n = ref_rows.shape[0]
        ref_flat = ref_rows.reshape(n, -1)
        got_flat = got_rows.reshape(n, -1)
        order = _greedy_nearest(ref_flat, got_flat)
        ref_parts.append(ref_flat.ravel())
        got_parts.append(got_flat[order].ravel())
    method = f"rows matched to the nearest along axis {axis}"
    return np.concatenate(ref_parts), np.concatenate(got_parts), method


def _greedy_nearest(ref: np.ndarray, got: np.ndarray) -> np.ndarray:
    """For each reference row, the index of a distinct candidate row: closest pairs first."""
    ref = np.nan_to_num(ref, nan=0.0, posinf=0.0, neginf=0.0)
    got = np.nan_to_num(got, nan=0.0, posinf=0.0, neginf=0.0)
    distance = (
        np.square(ref).sum(axis=1)[:, None]
        + np.square(got).sum(axis=1)[None, :]
        - 2.0 * ref @ got.T
    )
    n = len(ref)
    order = np.full(n, -1)
    used = np.zeros(n, dtype=bool)
    for flat in np.argsort(distance, axis=None, kind="stable"):
        row, col = divmod(int(flat), n)
        if order[row] < 0 and not used[col]:
            order[row] = col
            used[col] = True
    return order
