"""The localization stage: each drifting artifact (every artifact with ``--explain``) compared
layer by layer with the original in a worker; a run with no drift costs nothing here."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path

from ..convert.fixed_shape import EXPORTED_SIGNATURE
from ..convert.localize.spec import LocalizeSpec
from ..convert.localize.task import localize_artifact
from ..convert.specs import PreparedSource, StagedArtifact
from ..fsutil import produce_atomic
from ..report.localization import Localization
from ..sources.source_model import SourceModel
from ..workers.pool import WorkerFailure
from .stages import Stages

Log = Callable[[str], None]


def wanted(item: StagedArtifact, explain: bool) -> bool:
    """Whether an artifact gets a localization: it drifts, or ``--explain`` asks for all.
    Not an .ort file: it has no ONNX graph to add layer outputs to (localize the float32 .onnx)."""
    if item.artifact.variant == "ort":
        return False
    return item.staged is not None and (item.artifact.status == "drift" or explain)


def localize(
    stages: Stages,
    source: SourceModel,
    prepared: PreparedSource,
    staged: list[StagedArtifact],
    *,
    explain: bool = False,
) -> list[StagedArtifact]:
    """``staged`` with a ``localization`` on each artifact ``wanted`` picks."""
    chosen = [item for item in staged if wanted(item, explain)]
    if not chosen:
        return staged
    # The int8-mixed file is the int8 proposal's own search, made: not searched twice.
    mixed = next((i.artifact for i in staged if _is(i, "int8-mixed") and i.staged), None)
    futures = {
        id(item): stages.pool.submit(
            localize_artifact,
            _spec(stages, source, prepared, item, propose=mixed is None or not _is(item, "int8")),
        )
        for item in chosen
    }
    result = []
    with stages.clock.stage("localize"):
        for item in staged:
            future = futures.get(id(item))
            if future is None:
                result.append(item)
                continue
            try:
                found = stages.wait(future, f"localizing {item.file_name}")
            except WorkerFailure as exc:
                found = Localization(tensors=0, mapped=0, error=f"the localization worker {exc}")
            if mixed is not None and _is(item, "int8") and found.first_over is not None:
                found.notes.append(
                    f"its worst layers kept in float: this run's int8-mixed file ({mixed.status})"
                )
            stages.log(f"  {item.artifact.target} {item.artifact.variant}: {summary(found)}")
            found = _publish_node_data(stages, item, found)
            artifact = item.artifact.model_copy(update={"localization": found})
            result.append(dataclasses.replace(item, artifact=artifact))
    return result


def _node_data_path(stages: Stages, item: StagedArtifact) -> Path:
    return stages.work_dir / f"{item.file_name}.node_data.json"


def _publish_node_data(stages: Stages, item: StagedArtifact, found: Localization) -> Localization:
    """The worker's node data file into the output directory (atomically), named after the
    artifact's file; the localization names it."""
    staged = _node_data_path(stages, item)
    if not staged.is_file():
        return found
    name = staged.name
    produce_atomic(stages.config.output_dir / name, lambda tmp: shutil.copyfile(staged, tmp))
    return found.model_copy(update={"node_data": name})


def summary(found: Localization) -> str:
    """One log line: where the artifact first goes over its tolerance, and how much mapped."""
    if found.error is not None:
        return f"not localized ({found.error})"
    mapped = f"{found.mapped} of {found.tensors} tensors mapped to the original"
    if found.first_over is not None:
        first = found.first_over
        line = f"first over the tolerance at {first.node} ({first.op}); {mapped}"
        fix = found.keep_in_float
        if fix is not None:
            kept = f"{len(fix.layers)} layer(s) in float ({', '.join(fix.layers)})"
            if fix.within_tolerance:
                line += f"; keeping {kept} passes, {fix.size_ratio:.2f}x the size"
            else:
                line += f"; keeping {kept} still drifts"
        return line
    return f"no layer over the tolerance before a decision (comparison, index); {mapped}"


def _is(item: StagedArtifact, variant: str) -> bool:
    return item.artifact.target == "tflite" and item.artifact.variant == variant


def _spec(
    stages: Stages,
    source: SourceModel,
    prepared: PreparedSource,
    item: StagedArtifact,
    *,
    propose: bool = True,
) -> LocalizeSpec:
    # The graph each converter saw: TFLite's the signature saved at the validation shape.
    model_dir: Path = source.saved_model_dir
    signature = prepared.signature
    if item.artifact.target == "tflite" and prepared.fixed_shape is not None:
        model_dir, signature = prepared.fixed_shape.directory, EXPORTED_SIGNATURE
    assert item.staged is not None
    calibrated = propose and item.artifact.variant in ("int8", "int16x8")
    return LocalizeSpec(
        target=item.artifact.target,
        path=item.staged,
        saved_model_dir=model_dir,
        signature=signature,
        samples_path=stages.samples_path,
        tolerance=item.artifact.tolerance,
        variant=item.artifact.variant,
        node_data_path=_node_data_path(stages, item),
        fixed_shape_dir=prepared.fixed_shape.directory if prepared.fixed_shape else None,
        calibration_path=stages.calibration_path if calibrated else None,
        int8_io=stages.config.int8_io == "int8",
        order_depends_on=prepared.order_depends_on,
        cut_graphs=prepared.cut_graphs,
    )
