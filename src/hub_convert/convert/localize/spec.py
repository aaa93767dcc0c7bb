"""What a localization task needs, as plain data the main process hands to a worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...report.artifact import Tolerance
from ...report.vocabulary import Target, Variant
from ..specs import CutGraph


@dataclass(frozen=True)
class LocalizeSpec:
    """One converted file, the SavedModel signature its converter saw, and the samples."""

    target: Target
    path: Path  # the converted file
    saved_model_dir: Path
    signature: str
    samples_path: Path
    tolerance: Tolerance
    variant: Variant = "float32"
    node_data_path: Path | None = None  # where to write Model Explorer node data
    # int8/int16x8, to re-quantize with layers kept in float: how the artifact was made
    fixed_shape_dir: Path | None = None
    calibration_path: Path | None = None
    # The conversion's calibrated model (calibrated_file_name), reused when it was kept
    calibrated_path: Path | None = None
    # dynamic/float16: the run's float32 file, which their proposal's quantizer starts from
    float32_path: Path | None = None
    int8_io: bool = False
    order_depends_on: dict[str, str] = field(default_factory=dict)
    cut_graphs: dict[str, CutGraph] = field(default_factory=dict)


def calibrated_file_name(file_name: str) -> str:
    """Where an int8 conversion keeps its calibrated model beside the file (in the run's work
    directory), for the localization's keep-in-float search to quantize again."""
    return f"{file_name}.calibrated.tflite"
