"""A re-quantized file with layers kept in float, validated on the samples like the artifact."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ...report.localization import KeepInFloat
from ..samples import Samples
from ..specs import CutGraph
from ..targets import tflite_runner
from ..validate import compare_outputs, rederive_outputs, status_from_drift
from .spec import LocalizeSpec


def measure(
    spec: LocalizeSpec, model: bytes, samples: Samples, layers: list[str], tried: int
) -> KeepInFloat:
    """``model`` (``layers`` kept in float, the ``tried``-th set) judged by the artifact's
    tolerance: on the first sample, and on every sample when it passes there (a candidate
    that fails costs one run of the file, not one per sample)."""
    first = Samples(
        samples.input_names, samples.output_names, samples.inputs[:1], samples.outputs[:1]
    )
    quick = _judged(spec, model, first, layers, tried)
    if not quick.within_tolerance or len(samples.inputs) == 1:
        return quick
    return _judged(spec, model, samples, layers, tried)


def _judged(
    spec: LocalizeSpec, model: bytes, samples: Samples, layers: list[str], tried: int
) -> KeepInFloat:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "mixed.tflite"
        path.write_bytes(model)
        run = tflite_runner.load(path)
        outputs = [run(sample) for sample in samples.inputs]
    cut_graphs: dict[str, CutGraph] = dict(spec.cut_graphs)
    drift = compare_outputs(samples, outputs, spec.tolerance, dict(spec.order_depends_on))
    drift = rederive_outputs(drift, cut_graphs, samples, outputs)
    status, _ = status_from_drift(drift)
    cosines = [d.cosine for d in drift if d.cosine is not None]
    psnrs = [d.psnr_db for d in drift if d.psnr_db is not None]
    return KeepInFloat(
        layers=layers,
        within_tolerance=status == "passed",
        worst_cosine=min(cosines) if cosines else None,
        worst_psnr_db=min(psnrs) if psnrs else None,
        size_ratio=round(len(model) / max(1, spec.path.stat().st_size), 4),
        tried=tried,
    )
