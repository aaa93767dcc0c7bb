"""What a localization task needs, as plain data the main process hands to a worker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...report.artifact import Tolerance
from ...report.vocabulary import Target


@dataclass(frozen=True)
class LocalizeSpec:
    """One converted file, the SavedModel signature its converter saw, and sample 0."""

    target: Target
    path: Path  # the converted file
    saved_model_dir: Path
    signature: str
    samples_path: Path
    tolerance: Tolerance
