"""Every shape an ONNX file claims, checked in a worker (convert/device/shape_task.py): each
file that loaded is run at a second shape against the original at that shape. A file that
breaks there is ``failed`` with the shape named: it declares a dimension open that it cannot
take. Main process only (no TensorFlow)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from ..convert.device.shape_specs import ShapeCheckSpec, ShapeFile
from ..convert.device.tasks import check_other_shapes
from ..convert.specs import PreparedSource, StagedArtifact
from ..report.device import DeviceView, ShapeCheck
from .stages import Stages

CHECKED_STATUSES = ("passed", "drift", "not-validated")
# Said when a file's second shape was not among those prepare ran the original at.
RELOADED = "the original loaded again for a shape not recorded while preparing"


def check_shapes(
    stages: Stages, saved_model_dir: Path, prepared: PreparedSource, staged: list[StagedArtifact]
) -> list[StagedArtifact]:
    """``staged`` with each ONNX file's second-shape check in its device view; a file that
    breaks at the second shape becomes ``failed`` (its file is not kept)."""
    files = [
        ShapeFile(item.file_name, item.staged, item.artifact.tolerance, item.artifact.input_shapes)
        for item in staged
        if item.staged is not None
        and item.artifact.target == "onnx"
        and item.artifact.status in CHECKED_STATUSES
    ]
    if not files:
        return staged
    found = prepared.nondeterminism
    spec = ShapeCheckSpec(
        saved_model_dir=saved_model_dir,
        tags=tuple(prepared.tags),
        signature=prepared.signature,
        samples_path=stages.samples_path,
        files=tuple(files),
        order_depends_on=prepared.order_depends_on,
        log_path=stages.log_path,
        recorded_path=stages.second_shape_path,
        random_outputs=tuple(d.output for d in found.outputs) if found else (),
    )
    stages.log(f"running {len(files)} ONNX file(s) at a second shape")
    began = time.perf_counter()
    reloaded = False
    try:
        task = stages.pool.submit(check_other_shapes, spec)
        checks, reloaded = stages.wait(task, "checking shapes")
    except Exception as exc:  # the check itself could not run: said, never a verdict
        checks = {}
        stages.log(f"  shapes not checked: {exc}")
    seconds = time.perf_counter() - began
    how = RELOADED if reloaded else "the original's outputs recorded while preparing"
    stages.log(f"  second shapes checked in {seconds:.2f} s ({how})")
    return [_with_check(item, checks.get(item.file_name), stages) for item in staged]


def _with_check(item: StagedArtifact, check: ShapeCheck | None, stages: Stages) -> StagedArtifact:
    if check is None:
        return item
    artifact = item.artifact
    view = artifact.device or DeviceView()
    view = view.model_copy(update={"shape_checks": [*view.shape_checks, check]})
    update: dict[str, object] = {"device": view}
    shown = "; ".join(f"{n}: {'×'.join(str(d) for d in s)}" for n, s in check.shapes.items())
    if check.passed:
        stages.log(
            f"  {item.file_name} at {shown}: ran" + (f" ({check.problem})" if check.problem else "")
        )
        return dataclasses.replace(item, artifact=artifact.model_copy(update=update))
    stages.log(f"  {item.file_name}: failed: {check.problem}")
    update |= {"status": "failed", "reason": check.problem}
    return dataclasses.replace(item, artifact=artifact.model_copy(update=update), staged=None)
