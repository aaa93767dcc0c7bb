"""The device stage: where each converted file will run (XNNPACK; NNAPI and CoreML
partitions; the shapes it fixed), checked in the workers after the latency stage so no timing
competes with it. A check that cannot run is a line in the file's device view, never a failed
artifact."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from pebble import ProcessFuture

from ..convert.device.fixed_shapes import fixed_shapes_note
from ..convert.device.tasks import DeviceSpec, device_view
from ..convert.specs import TF2ONNX_FLOAT32_FILE, PreparedSource, StagedArtifact
from ..report.device import DeviceView
from .shape_stage import check_shapes
from .stages import Stages

Log = Callable[[str], None]
CHECKED_STATUSES = ("passed", "drift", "not-validated")
ORT_CHECKED_ON = (
    "the float32 .onnx file this .ort was made from: ONNX Runtime's usability checker reads "
    "ONNX files only; the .ort keeps that file's graph after basic optimizations, the graph "
    "the checker partitions, and the same opset"
)


def check_devices(
    stages: Stages, saved_model_dir: Path, prepared: PreparedSource, staged: list[StagedArtifact]
) -> list[StagedArtifact]:
    """``staged`` with each file's device view added (files that ran or at least loaded), and
    each ONNX file run at a second shape (shape_stage.py: one that breaks there fails)."""
    futures: dict[int, ProcessFuture[tuple[DeviceView, float]]] = {}
    for index, item in enumerate(staged):
        artifact = item.artifact
        if item.staged is None or artifact.status not in CHECKED_STATUSES:
            continue
        spec = DeviceSpec(artifact.target, _checked_file(stages, item), stages.log_path)
        futures[index] = stages.pool.submit(device_view, spec)
    if not futures:
        return check_shapes(stages, saved_model_dir, prepared, staged)
    stages.log(f"checking where {len(futures)} file(s) will run (XNNPACK, NNAPI, CoreML)")
    original = {t.name: list(t.shape) for t in prepared.inputs}
    result = list(staged)
    for index, future in futures.items():
        item = staged[index]
        try:
            view, seconds = stages.wait(future, f"checking where {item.file_name} will run")
        except Exception as exc:  # a device view never fails the conversion
            view = DeviceView(problems=[f"not checked: {exc}"])
            seconds = 0.0
        if item.artifact.target == "tflite":
            view.fixed_shapes = fixed_shapes_note(
                original, item.artifact.input_shapes, prepared.composite_inputs
            )
        if item.artifact.variant == "ort":
            view.checked_on = ORT_CHECKED_ON
        stages.log(f"  {item.file_name}: {summary(view)} ({seconds:.2f} s)")
        artifact = item.artifact.model_copy(update={"device": view})
        result[index] = dataclasses.replace(item, artifact=artifact)
    return check_shapes(stages, saved_model_dir, prepared, result)


def _checked_file(stages: Stages, item: StagedArtifact) -> Path:
    """The file the checks read: an .ort file's are read from the float32 .onnx it was made
    from, since ONNX Runtime's usability checker and the opset reader take ONNX files only."""
    assert item.staged is not None
    if item.artifact.variant == "ort":
        return stages.work_dir / TF2ONNX_FLOAT32_FILE
    return item.staged


def summary(view: DeviceView) -> str:
    """One line: XNNPACK ops, or each mobile provider's nodes and partitions."""
    parts = []
    if view.xnnpack is not None:
        parts.append(f"XNNPACK {view.xnnpack.delegated_ops}/{view.xnnpack.total_ops} ops")
    for mobile in view.mobile:
        parts.append(
            f"{mobile.provider} {mobile.supported_nodes}/{mobile.total_nodes} nodes "
            f"in {mobile.partitions} partition(s)"
        )
    parts.extend(view.problems)
    return ", ".join(parts) or "nothing checked"
