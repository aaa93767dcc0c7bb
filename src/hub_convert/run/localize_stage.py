"""The localization stage: each drifting artifact (every artifact with ``--explain``) compared
layer by layer with the original in a worker; a run with no drift costs nothing here."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path

from ..convert.localize.spec import LocalizeSpec, calibrated_file_name
from ..convert.specs import EXPORTED_SIGNATURE, PreparedSource, StagedArtifact
from ..convert.tasks import localize_artifacts
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
    float32 = next((i for i in staged if _is(i, "float32") and _made_plainly(i)), None)
    specs = {
        id(item): _spec(
            stages,
            source,
            prepared,
            item,
            propose=mixed is None or not _is(item, "int8"),
            float32=float32.staged if float32 else None,
        )
        for item in chosen
    }
    # One task per graph the files are compared with (TFLite's fixed-shape export, the
    # original for ONNX): it is frozen once and its tensors fetched once for all of them.
    groups: dict[tuple[Path, str], list[StagedArtifact]] = {}
    for item in chosen:
        spec = specs[id(item)]
        groups.setdefault((spec.saved_model_dir, spec.signature), []).append(item)
    futures = {
        id(group[0]): stages.pool.submit(localize_artifacts, [specs[id(i)] for i in group])
        for group in groups.values()
    }
    found_by_item: dict[int, Localization] = {}
    result = []
    with stages.clock.stage("localize"):
        for group in groups.values():
            names = ", ".join(item.file_name for item in group)
            try:
                found_all = stages.wait(futures[id(group[0])], f"localizing {names}")
            except WorkerFailure as exc:
                failed = f"the localization worker {exc}"
                found_all = [Localization(tensors=0, mapped=0, error=failed) for _ in group]
            found_by_item.update(zip(map(id, group), found_all, strict=True))
        for item in staged:
            found = found_by_item.get(id(item))
            if found is None:
                result.append(item)
                continue
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
    float32: Path | None = None,
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
        calibrated_path=_calibrated_path(stages, item) if calibrated else None,
        float32_path=float32 if item.artifact.variant in ("dynamic", "float16") else None,
        int8_io=stages.config.int8_io == "int8",
        order_depends_on=prepared.order_depends_on,
        cut_graphs=prepared.cut_graphs,
    )


def _calibrated_path(stages: Stages, item: StagedArtifact) -> Path:
    """Where the artifact's conversion left its calibrated, not yet quantized, model."""
    return stages.work_dir / calibrated_file_name(item.file_name)


def _made_plainly(item: StagedArtifact) -> bool:
    """A float32 TFLite file TensorFlow's converter made on its first attempt (builtins, from
    the fixed-shape export): the file a dynamic or float16 proposal would convert again."""
    artifact = item.artifact
    return item.staged is not None and artifact.status != "failed" and not artifact.attempts
