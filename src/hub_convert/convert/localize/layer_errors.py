"""Per-layer error of a converted run against the original's tensors, and what it adds.

A layer's error is its output's relative L2 error (‖converted − original‖ / ‖original‖); what
it *introduces* is that minus the largest error among its inputs, so error carried from
upstream is not charged to it. Layers are judged by the artifact's own tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...policy.tolerances import judge
from ...report.artifact import Tolerance
from ...report.localization import MAX_LAYERS_SHOWN, LayerError, Localization
from ..drift import cosine_similarity, psnr_db
from .converted import ConvertedRun, ConvertedTensor
from .mapping import candidate_nodes, in_reference_layout
from .op_kinds import DISCRETE_TF_OPS, is_discrete
from .reference_tensors import ReferenceGraph, unprefixed


@dataclass(frozen=True)
class MeasuredLayer:
    """A mapped layer, its place in the original's graph, and whether it is ranked."""

    position: int
    layer: LayerError
    ranked: bool  # neither an op that compares, rounds, casts or indexes nor after one


def measure_layers(
    run: ConvertedRun,
    reference: ReferenceGraph,
    sample: dict[str, np.ndarray],
    tolerance: Tolerance,
) -> list[MeasuredLayer]:
    """Map ``run``'s tensors onto ``reference`` and measure each mapped one, in graph order."""
    candidates = {t.key: candidate_nodes(t, reference) for t in run.tensors}
    wanted = sorted({node for nodes in candidates.values() for node in nodes})
    values = reference.run(sample, wanted)
    errors = dict.fromkeys(run.graph_inputs, 0.0)  # carried error per converted tensor
    decided: set[str] = set()  # tensors computed from a comparison, rounding, cast or index
    layers: list[MeasuredLayer] = []
    for tensor in run.tensors:
        upstream = max((errors.get(key, 0.0) for key in tensor.inputs), default=0.0)
        if is_discrete(tensor.op, tensor.value) or decided.intersection(tensor.inputs):
            decided.add(tensor.key)
        best = _closest(tensor, candidates[tensor.key], values)
        if best is None:
            errors[tensor.key] = upstream
            continue
        node, expected, got = best
        layer = _layer_error(unprefixed(node), tensor.op, expected, got, upstream, tolerance)
        layer.tensor = tensor.name or ";".join(tensor.names)
        errors[tensor.key] = layer.relative_error
        if reference.ops.get(node) in DISCRETE_TF_OPS:
            decided.add(tensor.key)
        position = reference.order.get(node, 0)
        layers.append(MeasuredLayer(position, layer, tensor.key not in decided))
    layers.sort(key=lambda item: item.position)
    return layers


def most_error_first(layers: list[MeasuredLayer]) -> list[LayerError]:
    """The ranked layers, the one that adds the most error first."""
    return sorted((m.layer for m in layers if m.ranked), key=lambda layer: -layer.introduced)


def summarize(layers: list[MeasuredLayer], run: ConvertedRun) -> Localization:
    """The report's localization: how much mapped, the first ranked layer over the tolerance,
    the ranked layers that add the most error."""
    notes = list(run.notes)
    if not layers:
        notes.append("no tensor of the file could be matched to the original's graph")
    elif len(layers) < len(run.tensors) // 2:
        notes.append(
            f"only {len(layers)} of {len(run.tensors)} tensors matched the original's graph: "
            "layers between them are not shown"
        )
    over = (m.layer for m in layers if m.ranked and not m.layer.within_tolerance)
    decided_over = [m.layer for m in layers if not m.ranked and not m.layer.within_tolerance]
    if decided_over and all(m.layer.within_tolerance for m in layers if m.ranked):
        notes.append(
            f"every layer over the tolerance ({len(decided_over)}, from "
            f"{decided_over[0].node}) comes after a comparison, rounding or index: the "
            "outputs differ by a decision taken otherwise, not by precision lost in a layer"
        )
    return Localization(
        tensors=len(run.tensors),
        mapped=len(layers),
        first_over=next(over, None),
        worst=most_error_first(layers)[:MAX_LAYERS_SHOWN],
        notes=notes,
    )


def localize_run(
    run: ConvertedRun,
    reference: ReferenceGraph,
    sample: dict[str, np.ndarray],
    tolerance: Tolerance,
) -> Localization:
    """Map ``run``'s tensors onto ``reference``, measure each, and name where it drifts."""
    return summarize(measure_layers(run, reference, sample, tolerance), run)


# Candidates are compared on an even subset of this many values: the choice needs no more,
# and a detector's feature maps hold millions (measured: the full comparison was most of the
# localization's time on CenterNet).
_CHOICE_VALUES = 1 << 14
# A layer's own metrics are measured on at most this many values (evenly spaced): advice, at a
# cost that does not grow with the feature maps.
_MEASURED_VALUES = 1 << 17


def _closest(
    tensor: ConvertedTensor, nodes: list[str], values: dict[str, np.ndarray]
) -> tuple[str, np.ndarray, np.ndarray] | None:
    best: tuple[float, str, np.ndarray, np.ndarray] | None = None
    for node in nodes:
        expected = values.get(node)
        if expected is None or not np.issubdtype(np.asarray(expected).dtype, np.floating):
            continue
        expected = np.asarray(expected)
        got = in_reference_layout(tensor, expected.shape)
        if got is None:
            continue
        step = max(1, expected.size // _CHOICE_VALUES)
        distance = _relative_rms(
            expected.ravel()[::step].astype(np.float64), got.ravel()[::step].astype(np.float64)
        )
        if best is None or distance < best[0]:
            best = (distance, node, expected, got)
        if distance == 0.0:
            break  # the same values: no other candidate can be closer
    if best is None:
        return None
    _, node, expected, got = best
    step = max(1, expected.size // _MEASURED_VALUES)
    return node, expected.ravel()[::step].astype(np.float64), got.ravel()[::step].astype(np.float64)


def _relative_rms(expected: np.ndarray, got: np.ndarray) -> float:
    finite = np.isfinite(expected)
    if not finite.any():
        return 0.0
    diff = np.where(finite, got - expected, 0.0)
    if not np.isfinite(diff).all():
        return float("inf")
    # Relative to the signal's own size, so averaging or scaling a tensor does not change it.
    size = float(np.linalg.norm(np.where(finite, expected, 0.0)))
    return float(np.linalg.norm(diff)) / (size or 1.0)


def _layer_error(
    node: str, op: str, expected: np.ndarray, got: np.ndarray, upstream: float, tolerance: Tolerance
) -> LayerError:
    relative = _relative_rms(expected, got)
    finite = np.isfinite(got) & np.isfinite(expected)
    if not np.isfinite(relative) or not finite.all():
        # float16 overflow and the like: infinite error, shown as the largest finite number
        big = float(np.finfo(np.float64).max)
        return LayerError(
            node=node,
            op=op,
            relative_error=big,
            introduced=big - upstream if upstream < big else 0.0,
            max_abs=big,
            cosine=-1.0,
            within_tolerance=False,
        )
    diff = np.abs(got - expected)
    max_abs, mse = float(diff.max(initial=0.0)), float(np.mean(np.square(diff)))
    peak = float(np.abs(expected).max(initial=0.0))
    cosine = cosine_similarity(expected.ravel(), got.ravel())
    verdict = judge(
        tolerance,
        max_abs=max_abs,
        peak_abs=peak,
        cosine=cosine,
        psnr_db=psnr_db(expected, mse),
        mse=mse,
    )
    return LayerError(
        node=node,
        op=op,
        relative_error=relative,
        introduced=relative - upstream,
        max_abs=max_abs,
        cosine=cosine,
        within_tolerance=verdict.within,
    )
