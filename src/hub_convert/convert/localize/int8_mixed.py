"""The ``int8-mixed`` TFLite variant: the int8 file with its worst layers kept in float.

From one calibration (the conversion's, calibrate-only): the all-int8 file, validated; when it
drifts, localized on the first sample, then quantized again with its 1, 2, … worst weighted
layers left in float until one passes the int8 tolerance (convert/localize/float_layers.py, the
same search the localization proposes). When none of up to five does, the one that came
closest is the file, and its verdict says drift.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ...report.localization import MAX_LAYERS_SHOWN, KeepInFloat
from ...report.mixed_precision import MixedPrecision
from ..samples import Samples
from ..specs import EXPORTED_SIGNATURE, ConversionJob
from .float_layers import FloatLayersFile, candidates, fewest_in_float, requantize
from .layer_errors import measure_layers, most_error_first
from .op_kinds import WEIGHTED_TFLITE_OPS
from .proposal_check import measure
from .reference_tensors import load_reference
from .spec import LocalizeSpec
from .tflite_layers import run_tflite


def mix(job: ConversionJob, calibrated: bytes) -> tuple[bytes, MixedPrecision]:
    """The int8-mixed file made from ``calibrated`` (the converter's calibrate-only model of
    ``job``'s signature), and which layers it keeps in float."""
    int8 = requantize(calibrated, [], job.int8_io)
    with tempfile.TemporaryDirectory(dir=job.staging_dir) as scratch:
        int8_path = Path(scratch) / "int8.tflite"
        int8_path.write_bytes(int8)
        spec = _spec(job, int8_path)
        samples = Samples.load(job.samples_path)
        if measure(spec, int8, samples, [], 0).within_tolerance:
            return int8, MixedPrecision(
                tried=0, int8_size_bytes=len(int8), note="the all-int8 file passes as it is"
            )
        sample = samples.inputs[0]
        reference = load_reference(spec.saved_model_dir, spec.signature)
        layers = measure_layers(run_tflite(int8_path, sample), reference, sample, job.tolerance)
        worst = candidates([x for x in most_error_first(layers) if x.op in WEIGHTED_TFLITE_OPS])
        tried = fewest_in_float(spec, calibrated, worst)
    if not tried:
        return int8, MixedPrecision(
            tried=0,
            int8_size_bytes=len(int8),
            note="no weighted layer of the int8 file could be matched to the original's "
            "graph, so none could be chosen to keep in float",
        )
    best = tried[-1] if tried[-1].measured.within_tolerance else max(tried, key=_closeness)
    note = None
    if not best.measured.within_tolerance:
        note = (
            f"no set of the {len(tried)} worst weighted layers (at most {MAX_LAYERS_SHOWN}) "
            f"passes the int8 tolerance; the closest ({len(best.measured.layers)} kept) is the file"
        )
    return best.model, MixedPrecision(
        kept=worst[: len(best.measured.layers)],
        tried=len(tried),
        int8_size_bytes=len(int8),
        note=note,
    )


def _closeness(tried: FloatLayersFile) -> tuple[float, float]:
    measured: KeepInFloat = tried.measured
    cosine = measured.worst_cosine if measured.worst_cosine is not None else -1.0
    psnr = measured.worst_psnr_db if measured.worst_psnr_db is not None else float("inf")
    return cosine, psnr


def _spec(job: ConversionJob, int8_path: Path) -> LocalizeSpec:
    """The int8 file as localization sees it: beside the graph its converter saw."""
    model_dir, signature = job.saved_model_dir, job.signature
    if job.fixed_shape is not None and job.tflite_strategy == "concrete_function":
        model_dir, signature = job.fixed_shape.directory, EXPORTED_SIGNATURE
    return LocalizeSpec(
        target="tflite",
        path=int8_path,
        saved_model_dir=model_dir,
        signature=signature,
        samples_path=job.samples_path,
        tolerance=job.tolerance,
        variant="int8",
        calibration_path=job.calibration_path,
        int8_io=job.int8_io,
        order_depends_on=job.order_depends_on,
        cut_graphs=job.cut_graphs,
    )
