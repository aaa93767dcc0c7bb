"""Scheduling the conversions of one run: ONNX started before the samples exist, one task per
TFLite variant, each batch's results collected (a crashed TFLite conversion tried once more
from the SavedModel), a task that did not return turned into failed artifacts.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

from pebble import ProcessFuture

from ..convert.derived_variants import DERIVED_FROM_FLOAT32
from ..convert.specs import (
    ConversionJob,
    CutGraph,
    FixedShapeModel,
    PreparedSource,
    Selection,
    StagedArtifact,
)
from ..convert.tasks import Converted, convert_and_validate, convert_only, validate_converted
from ..errors import HubConvertError
from ..names import slug
from ..report.artifact import Artifact
from ..report.vocabulary import Target, Variant
from ..sources.source_model import SourceModel
from ..workers import model_size
from ..workers.death import WorkerDeath, append_output, classify, read_tail
from ..workers.pool import TaskError, WorkerFailure
from .config import CALIBRATED_VARIANTS
from .stages import DONE, Stages


def artifact_stem(source: SourceModel) -> str:
    """A file-name-safe stem for the outputs, from the model directory's name."""
    return slug(source.stem or source.saved_model_dir.name) or "model"


def file_name(stem: str, target: Target, variant: Variant) -> str:
    """``stem_float32.tflite``, ``stem_float16.onnx``; the ONNX Runtime format file ``stem.ort``
    (the extension ONNX Runtime recognizes the format by)."""
    if target == "onnx" and variant == "ort":
        return f"{stem}.ort"
    return f"{stem}_{variant}.{target}"


@dataclasses.dataclass(frozen=True)
class EarlyConversions:
    """Conversions started before the original was prepared, and their task."""

    jobs: list[ConversionJob]
    future: ProcessFuture[list[Converted]]


class Conversions:
    """The conversion and validation tasks of one run, in the run's pool (``stages``)."""

    def __init__(self, stages: Stages) -> None:
        self.stages = stages
        self.config = stages.config
        self.pool = stages.pool
        self.log = stages.log

    def convert_early(self, source: SourceModel, selection: Selection) -> EarlyConversions | None:
        """Start the conversions that need no validation inputs (ONNX: tf2onnx converts the
        signature as it is), so that they run while another worker prepares the original."""
        variants = [v for target, v in self.config.jobs_wanted() if target == "onnx"]
        if not variants:
            return None
        shapes: dict[str, tuple[int, ...]] = {name: () for name in selection.input_names}
        jobs = [
            self._job(source, "onnx", v, selection.tags, selection.signature, shapes)
            for v in variants
        ]
        return EarlyConversions(jobs, self.pool.submit(convert_only, jobs))

    def convert(
        self, source: SourceModel, prepared: PreparedSource, early: EarlyConversions | None
    ) -> list[StagedArtifact]:
        """Every requested artifact, concurrently: one task per TFLite variant; ONNX, converted
        early, validated in one task."""
        jobs = [
            self._prepared_job(source, prepared, target, variant)
            for target, variant in self.config.jobs_wanted()
        ]
        small = (
            model_size.weight_bytes_on_disk(source.saved_model_dir) < model_size.FRESH_WORKER_ABOVE
        )
        batches = tflite_batches(jobs, derive=small)
        self.log(f"converting {len(jobs)} artifacts with {self.pool.workers} worker process(es)")
        collected: list[Callable[[], list[StagedArtifact]]] = []
        if early is not None and early.future.done():  # ready to validate: before TFLite
            collected.append(self._validate_early(early, jobs))
        futures = [self.pool.submit(convert_and_validate, batch) for batch in batches]
        self.stages.latency.preload_tensorflow(source.saved_model_dir, prepared)
        collected += [
            functools.partial(self._collect, batch, future)
            for batch, future in zip(batches, futures, strict=True)
        ]
        if early is not None and not early.future.done():
            collected.append(self._validate_early(early, jobs))
        by_key: dict[tuple[str, str], StagedArtifact] = {}
        for results in collected:
            for item in results():
                artifact = item.artifact
                for mark in item.marks:
                    self.stages.clock.add(mark, artifact.target, artifact.variant)
                took = ", ".join(f"{DONE[m.stage]} in {m.seconds:.1f} s" for m in item.marks)
                took = f" ({took})" if took else ""
                self.log(f"  {artifact.target} {artifact.variant}: {artifact.status}{took}")
                by_key[(artifact.target, artifact.variant)] = item
        return [by_key[(job.target, job.variant)] for job in jobs]

    def _validate_early(
        self, early: EarlyConversions, jobs: list[ConversionJob]
    ) -> Callable[[], list[StagedArtifact]]:
        """Submit the validation of the early conversions as soon as they are done; returns
        how to collect it. Each candidate gets its job as the prepared source completes it."""
        try:
            converted = self.stages.wait(early.future, "converting " + _names(early.jobs))
        except WorkerFailure as exc:
            failed = self._failures(early.jobs, exc, "conversion")
            if exc.crashed:
                death = self._death(early.jobs, exc)
                said = death.describe(self.config.memory_limit(self.pool.workers))
                failed = [_failed(job, _with_advice(death, said, job)) for job in early.jobs]
            return lambda: failed
        except Exception as exc:
            failed = self._failures(early.jobs, exc, "conversion")
            return lambda: failed
        by_variant = {(job.target, job.variant): job for job in jobs}
        ready = [
            (
                dataclasses.replace(
                    candidate, job=by_variant[(candidate.job.target, candidate.job.variant)]
                ),
                mark,
            )
            for candidate, mark in converted
        ]
        batch = [candidate.job for candidate, _ in ready]
        future = self.pool.submit(validate_converted, ready)
        return functools.partial(self._collect, batch, future, "validation")

    def _failures(
        self, batch: list[ConversionJob], exc: Exception, doing: str
    ) -> list[StagedArtifact]:
        """Failed artifacts for a batch whose task did not return."""
        if isinstance(exc, WorkerFailure):
            return [_failed(j, f"{doing} {exc}") for j in batch]
        if isinstance(exc, TaskError):
            return [_failed(job, str(exc)) for job in batch]
        if isinstance(exc, HubConvertError):
            raise exc
        # A bug in a task: keep the other artifacts, name the error.
        reason = f"internal error: {type(exc).__name__}: {exc}"
        return [_failed(job, reason) for job in batch]

    def _death(self, batch: list[ConversionJob], exc: WorkerFailure) -> WorkerDeath:
        """Why the batch's worker died, from the output its task left (then added to the
        run's log, as a task that returns adds it)."""
        output_path = batch[0].output_path
        output = read_tail(output_path)
        append_output(output_path, batch[0].log_path)
        return classify(exc.exitcode, output)

    def _collect(
        self, batch: list[ConversionJob], future: object, doing: str = "conversion"
    ) -> list[StagedArtifact]:
        """The batch's results; a TFLite conversion whose worker crashed is tried once more,
        from the SavedModel as ``tflite_convert`` does (the converter crashes on some graphs
        from one path and not the other); one that ran out of memory is not (the other path
        needs as much)."""
        try:
            verb = "validating" if doing == "validation" else "converting"
            return self.stages.wait(future, f"{verb} {_names(batch)}")  # type: ignore[arg-type]
        except WorkerFailure as exc:
            if not exc.crashed or doing != "conversion":
                return self._failures(batch, exc, doing)
            death = self._death(batch, exc)
            said = death.describe(self.config.memory_limit(self.pool.workers))
            job = batch[0]
            retry_from_saved_model = (
                not death.out_of_memory
                and job.target == "tflite"
                and job.tflite_strategy == "concrete_function"
            )
            if not retry_from_saved_model:
                return [_failed(j, _with_advice(death, said, j)) for j in batch]
            self.log(f"  tflite {_variants(batch)}: {said}; trying again from the SavedModel")
            retry = [
                dataclasses.replace(
                    each,
                    tflite_strategy="saved_model",
                    earlier_attempts=(f"from the signature at the validation shape: {said}",),
                )
                for each in batch
            ]
            results = self._collect(retry, self.pool.submit(convert_and_validate, retry))
            return [_after_retry(item, said) for item in results]
        except Exception as exc:
            return self._failures(batch, exc, doing)

    def _prepared_job(
        self, source: SourceModel, prepared: PreparedSource, target: Target, variant: Variant
    ) -> ConversionJob:
        return self._job(
            source,
            target,
            variant,
            prepared.tags,
            prepared.signature,
            prepared.validation_shapes(),
            order_depends_on=prepared.order_depends_on,
            cut_graphs=prepared.cut_graphs,
            fixed_shape=prepared.fixed_shape if target == "tflite" else None,
        )

    def _job(
        self,
        source: SourceModel,
        target: Target,
        variant: Variant,
        tags: list[str],
        signature: str,
        shapes: dict[str, tuple[int, ...]],
        *,
        order_depends_on: dict[str, str] | None = None,
        cut_graphs: dict[str, CutGraph] | None = None,
        fixed_shape: FixedShapeModel | None = None,
    ) -> ConversionJob:
        config = self.config
        stages = self.stages
        calibrated = target == "tflite" and variant in CALIBRATED_VARIANTS
        return ConversionJob(
            target=target,
            variant=variant,
            saved_model_dir=source.saved_model_dir,
            tags=tags,
            signature=signature,
            shapes=shapes,
            file_name=file_name(artifact_stem(source), target, variant),
            staging_dir=stages.work_dir,
            samples_path=stages.samples_path,
            tolerance=config.tolerance_for(target, variant),
            opset=config.opset,
            allow_flex=config.allow_flex,
            log_path=stages.log_path,
            calibration_path=stages.calibration_path if calibrated else None,
            int8_io=config.int8_io == "int8",
            onnx_float16_io=config.onnx_float16_io == "float16",
            order_depends_on=order_depends_on or {},
            cut_graphs=cut_graphs or {},
            fixed_shape=fixed_shape,
        )


def tflite_batches(jobs: list[ConversionJob], *, derive: bool) -> list[list[ConversionJob]]:
    """One task per TFLite variant, except that with ``derive`` the dynamic and float16
    variants join the float32 one (after it), which derives them from its file in a fraction
    of a conversion's time (convert/targets/tflite_derive.py). Big models (every task in a
    fresh worker) keep one task each: ai-edge-quantizer's memory on them is not measured."""
    tflite = [job for job in jobs if job.target == "tflite"]
    float32 = [job for job in tflite if job.variant == "float32" and derive]
    joining = [job for job in tflite if float32 and job.variant in DERIVED_FROM_FLOAT32]
    batches = [[*float32, *joining]] if float32 else []
    return batches + [[job] for job in tflite if job not in float32 and job not in joining]


def _variants(jobs: list[ConversionJob]) -> str:
    """``float32, dynamic``."""
    return ", ".join(job.variant for job in jobs)


def _names(jobs: list[ConversionJob]) -> str:
    """``onnx float32, onnx float16``."""
    return ", ".join(f"{job.target} {job.variant}" for job in jobs)


def _failed(job: ConversionJob, reason: str) -> StagedArtifact:
    artifact = Artifact(
        target=job.target,
        variant=job.variant,
        status="failed",
        reason=reason,
        tolerance=job.tolerance,
        attempts=list(job.earlier_attempts),
    )
    return StagedArtifact(artifact=artifact, staged=None, file_name=job.file_name)


def _with_advice(death: WorkerDeath, said: str, job: ConversionJob) -> str:
    """A dead worker's reason, with what to do: memory advice is in ``said`` already; a crash
    is the converter's bug, said where it happened (after the retry, when there was one)."""
    if death.out_of_memory:
        return said
    retried = ""
    if job.tflite_strategy == "saved_model":
        retried = (
            " converting from the SavedModel, as it did from the signature at the validation shape"
        )
    what = f"the model and {death.op}" if death.op else "the model"
    whose = f"{death.who}'s" if death.who else "the converter's"
    return (
        f"{said}{retried}; its output shows no failed allocation, so likely {whose} bug: "
        f"report it upstream with {what}"
    )


def _after_retry(item: StagedArtifact, first: str) -> StagedArtifact:
    """A retried artifact says so: a file made by the retry notes the first crash."""
    artifact = item.artifact
    if artifact.status == "failed":
        return item
    note = (
        "converted from the SavedModel (tflite_convert's path) after the worker died "
        f"converting the signature at the validation shape: {first}"
    )
    updated = artifact.model_copy(update={"notes": [*artifact.notes, note]})
    return dataclasses.replace(item, artifact=updated)
