"""What the second-shape check (shape_task.py) is given: plain data the main process builds
without importing the check itself (numpy, the runtimes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...report.artifact import Tolerance


@dataclass(frozen=True)
class ShapeFile:
    """One ONNX file to run at a second shape."""

    file_name: str
    path: Path
    tolerance: Tolerance
    input_shapes: dict[str, list[int | None]]


@dataclass(frozen=True)
class ShapeCheckSpec:
    """The original, its validation samples and the ONNX files to check."""

    saved_model_dir: Path
    tags: tuple[str, ...]
    signature: str
    samples_path: Path
    files: tuple[ShapeFile, ...]
    order_depends_on: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    recorded_path: Path | None = None  # the original at the second shapes, from prepare
    # outputs the original gives differently on every run: run, never compared
    random_outputs: tuple[str, ...] = ()
