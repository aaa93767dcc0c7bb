"""The device checks as worker tasks (pickled by module path: top-level functions only).

Each check that cannot run becomes a line in ``problems``: a device view never fails the
conversion it describes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ...report.device import DeviceView, ShapeCheck
from ..tasks import output_to
from .onnx_opset import default_opset, min_onnxruntime
from .ort_mobile import SHAPES_FIXED_NOTE, mobile_partitions
from .shape_specs import ShapeCheckSpec
from .xnnpack import GPU_NOT_CHECKED, xnnpack_coverage


@dataclass(frozen=True)
class DeviceSpec:
    """One converted file to look at."""

    target: Literal["tflite", "onnx"]
    path: Path
    log_path: Path | None


def _one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def device_view(spec: DeviceSpec) -> tuple[DeviceView, float]:
    """Where the file at ``spec.path`` will run, and the seconds the checks took."""
    began = time.perf_counter()
    problems: list[str] = []
    view = DeviceView()
    with output_to(spec.log_path):
        if spec.target == "tflite":
            try:
                view.xnnpack = xnnpack_coverage(spec.path)
            except Exception as exc:  # a device view never fails the conversion
                problems.append(f"XNNPACK not checked: {_one_line(exc)}")
            view.gpu = GPU_NOT_CHECKED
        else:
            try:
                view.opset = default_opset(spec.path)
                view.min_onnxruntime = min_onnxruntime(view.opset)
            except Exception as exc:
                problems.append(f"opset not read: {_one_line(exc)}")
            try:
                view.mobile, dynamic = mobile_partitions(spec.path)
                view.mobile_note = SHAPES_FIXED_NOTE if dynamic else None
            except Exception as exc:
                problems.append(f"NNAPI / CoreML not checked: {_one_line(exc)}")
    view.problems = problems
    return view, time.perf_counter() - began


def check_other_shapes(spec: ShapeCheckSpec) -> tuple[dict[str, ShapeCheck], bool]:
    """The second-shape check (shape_task.py), imported in the worker that runs it: the main
    process, which schedules it, would import numpy and the runtimes' wrappers with it."""
    from .shape_task import check_other_shapes as check

    return check(spec)
