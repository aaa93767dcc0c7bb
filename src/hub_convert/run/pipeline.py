"""Orchestrate one conversion run: resolve → materialize → prepare → convert+validate → latency
→ publish files → report.

This process never imports TensorFlow or any runtime: every task runs in a worker process
(convert/worker.py, scheduled through workers.py). Workers stage files in a private work
directory; only this process writes into the output directory, each file atomically. When
this process is root and the image's unprivileged user exists, the workers run as that user
(isolation.py): the work directory, and the TF Hub cache while they run, are lent to it.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pebble import ProcessFuture

from .. import sources
from ..convert.specs import (
    ConversionJob,
    CutGraph,
    FixedShapeModel,
    PreparedSource,
    PrepareSpec,
    Selection,
    StagedArtifact,
    StageMark,
)
from ..convert.tasks import (
    Converted,
    convert_and_validate,
    convert_only,
    initialize_worker,
    materialize_source,
    prepare_source,
    scan_source,
    select_source,
    validate_converted,
)
from ..errors import BadInputError, HubConvertError
from ..fsutil import check_writable_dir, tree_size, write_atomic
from ..report.artifact import Artifact
from ..report.render import render_report
from ..report.schema import Report
from ..report.vocabulary import Stage, Target, Variant
from ..safety import unsafe_ops
from ..sources.hub import cache_dir
from ..sources.source_model import SourceModel
from ..units import GIB, human
from ..workers import isolation, model_size
from ..workers.crash_site import read_crash_site
from ..workers.pool import TaskError, WorkerFailure, WorkerPool
from ..workers.progress import wait_logging_progress
from .config import CALIBRATED_VARIANTS, ConvertConfig
from .latency_stage import LatencyStage
from .output_dir import build_report, into_output_dir
from .timings import Clock

Log = Callable[[str], None]
T = TypeVar("T")
# How the log says a stage was done: "converted in 3.1 s".
_DONE: dict[Stage, str] = {
    "load": "loaded",
    "reference": "ran the original on the validation inputs",
    "export": "saved the signature at the validation shape for TFLite",
    "convert": "converted",
    "validate": "validated",
}


def artifact_stem(source: SourceModel) -> str:
    """A file-name-safe stem for the outputs, from the model directory's name."""
    name = source.stem or source.saved_model_dir.name
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return stem or "model"


# Under this size on disk a model converts in well under a second per artifact, and a second
# worker costs more than it saves: its TensorFlow import (about 3 s of CPU and 550 MB) is more
# work than the conversions it would take over (measured with `make bench` on the demo model).
SMALL_MODEL_BYTES = 1 << 20


def worker_count(config: ConvertConfig, source: SourceModel, weight_bytes: int = 0) -> int:
    """Worker processes for the run: ``--jobs``, else one per core that memory can hold
    converting ``weight_bytes`` of weights at once (config.worker_count), no more than there
    are conversions, and one for a small model (``SMALL_MODEL_BYTES``) of known size."""
    wanted = min(config.worker_count(weight_bytes), max(1, len(config.jobs_wanted())))
    if not config.jobs and 0 < source.size_bytes < SMALL_MODEL_BYTES:
        return 1
    return wanted


def run(
    config: ConvertConfig, log: Log, *, debug: bool = False, keep_samples: Path | None = None
) -> Report:
    """Convert, validate and report. Writes artifacts, report.json and report.md.

    ``keep_samples``: where to copy the validation samples file (inputs and the original's
    outputs) for a later comparison with another model (base_run.py)."""
    check_writable_dir(config.output_dir, "--output-dir")
    user = isolation.worker_user()
    clock = Clock()
    work_dir = Path(tempfile.mkdtemp(prefix="hub-convert-"))
    log_path = None if debug else work_dir / "tensorflow.log"
    try:
        with clock.stage("resolve"):
            source = sources.resolve(
                config.model,
                work_dir=work_dir,
                kind=config.source_kind,
                allow_unsafe=config.allow_unsafe,
            )
        if not config.allow_unsafe_ops:  # refused before any worker exists
            unsafe_ops.check(source.display_path, source.unsafe_ops, allowed=False, log=log)
        if user is not None:
            _check_readable(config, source, user)
        shared = [cache_dir()] if source.kind == "hub" else []
        weights = model_size.weight_bytes_on_disk(source.saved_model_dir)
        workers = worker_count(config, source, weights)
        if weights >= GIB // 4:
            log(
                f"{human(weights)} of weights: {workers} worker process(es), "
                f"each needing about {human(model_size.conversion_memory(weights))}"
                " to convert"
            )
        initargs = (log_path, config.memory_limit(workers))
        with (
            isolation.lent_to(user, work_dir, shared),
            WorkerPool(
                workers,
                config.timeout,
                initialize_worker,
                initargs,
                user,
                max_tasks=1 if weights >= model_size.FRESH_WORKER_ABOVE else 0,
            ) as pool,
        ):
            preload_latency = weights < model_size.FRESH_WORKER_ABOVE
            stages = _Stages(config, pool, work_dir, log_path, log, debug, clock, preload_latency)
            source = stages.scan(stages.materialize(source))
            selection = stages.select(source)
            early = stages.convert_early(source, selection)  # while the original is prepared
            prepared = stages.prepare(source, selection)
            if keep_samples is not None:
                shutil.copyfile(stages.samples_path, keep_samples)
            staged = stages.convert(source, prepared, early)
            latencies = stages.latency.measure(source.saved_model_dir, prepared, staged)
        tf_latency = latencies.pop("tensorflow", None)
        with clock.stage("report"):
            artifacts = [
                into_output_dir(item, config.output_dir, source.size_bytes, latencies, tf_latency)
                for item in staged
            ]
        report = build_report(
            config, source, prepared, artifacts, tf_latency, clock.timings(workers)
        )
        log(f"done in {clock.elapsed():.1f} s")
        write_atomic(config.output_dir / "report.json", report.to_json())
        write_atomic(config.output_dir / "report.md", render_report(report))
        return report
    finally:
        if debug:
            log(f"work directory kept for debugging: {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)


def _check_readable(config: ConvertConfig, source: SourceModel, user: isolation.WorkerUser) -> None:
    """What workers read in place must be readable by their user (not an archive: this process
    extracts it into the work directory)."""
    paths = [] if source.kind in ("hub", "archive") else [Path(config.model)]
    if config.representative_data is not None:
        paths.append(config.representative_data)
    for path in paths:
        denied = isolation.unreadable_by(user, path)
        if denied is not None:
            raise BadInputError(
                f"{path}: {denied} is not readable by user {user.name} (uid {user.uid}), which "
                "runs the model code; make it readable for all users (chmod -R a+rX)"
            )


class _Stages:
    """The stages of one run, each submitted to the worker pool."""

    def __init__(
        self,
        config: ConvertConfig,
        pool: WorkerPool,
        work_dir: Path,
        log_path: Path | None,
        log: Log,
        debug: bool,
        clock: Clock,
        preload_latency: bool = False,
    ) -> None:
        self.clock = clock
        self.config = config
        self.pool = pool
        self.work_dir = work_dir
        self.log_path = log_path
        self.log = log
        self.debug = debug
        self.samples_path = work_dir / "samples.npz"
        self.pool_started_at = time.time()
        self.first_task = True
        self.calibration_path = work_dir / "calibration.npz"
        self.latency = LatencyStage(
            pool,
            clock,
            log,
            config.latency_runs,
            self.samples_path,
            log_path,
            work_dir,
            preload=preload_latency,
        )

    def _wait(self, future: ProcessFuture[T], doing: str, since: float | None = None) -> T:
        """The task's result (see WorkerPool.result), with progress lines while it runs."""
        if self.first_task:  # no worker has finished a task: they may still be starting
            doing = f"starting the workers (importing TensorFlow), then {doing}"
        wait_logging_progress(future, doing, self.log, since)
        return self.pool.result(future)

    def _add_worker_mark(self, mark: StageMark) -> None:
        """A stage timed in a worker; before the first, the workers' start."""
        if self.first_task:
            self.first_task = False
            began = self.pool_started_at
            self.clock.add(StageMark("start", began, max(0.0, mark.started_at - began)))
        self.clock.add(mark)

    def _fatal(self, source: SourceModel, doing: str, exc: Exception) -> HubConvertError:
        """The model could not be read, prepared or run: bad input (exit 2), in one line."""
        if isinstance(exc, TaskError):
            return BadInputError(f"{source.display_path}: {exc}")
        hint = "" if self.debug else "; run with --debug to see TensorFlow's output"
        return BadInputError(f"{source.display_path}: {doing} {exc}{hint}")

    def scan(self, source: SourceModel) -> SourceModel:
        """Refuse unsafe ops in the SavedModel — as given, or as a materializer wrote it —
        before TensorFlow loads it."""
        future = self.pool.submit(scan_source, source.saved_model_dir, self.log_path)
        try:
            found_ops, mark = self._wait(future, "reading the graphs")
            self._add_worker_mark(mark)
            found = [f for f in found_ops if f not in source.unsafe_ops]
        except (WorkerFailure, TaskError) as exc:
            raise self._fatal(source, "reading the model's graphs", exc) from None
        source = dataclasses.replace(source, unsafe_ops=(*source.unsafe_ops, *found))
        allowed = self.config.allow_unsafe_ops
        unsafe_ops.check(source.display_path, source.unsafe_ops, allowed=allowed, log=self.log)
        return source

    def materialize(self, source: SourceModel) -> SourceModel:
        """Produce the SavedModel of sources that need TensorFlow for it."""
        if source.materializer is None:
            return source
        self.log(f"preparing {source.display_path} ({source.kind}) as a SavedModel")
        future = self.pool.submit(
            materialize_source, source.materializer, source.saved_model_dir, self.log_path
        )
        try:
            extra, mark = self._wait(future, "preparing the model")
            self._add_worker_mark(mark)
        except (WorkerFailure, TaskError) as exc:
            raise self._fatal(source, "preparing the model", exc) from None
        return dataclasses.replace(
            source,
            provenance=source.provenance | extra,
            # A download's size is known only now.
            size_bytes=source.size_bytes or tree_size(source.saved_model_dir),
        )

    def select(self, source: SourceModel) -> Selection:
        """The tag set and signature to convert (bad --tags / --signature stop here)."""
        config = self.config
        future = self.pool.submit(
            select_source,
            source.saved_model_dir,
            config.tags if config.tags is not None else source.default_tags,
            config.signature or source.default_signature,
            source.display_path,
            self.log_path,
        )
        try:
            return self._wait(future, "reading the signatures")
        except (WorkerFailure, TaskError) as exc:
            raise self._fatal(source, "reading the model's signatures", exc) from None

    def _crash_site(self, spec: PrepareSpec) -> str:
        """``; TensorFlow was running node 'x' (Op) when it died``, from running ``spec``
        again in a fresh worker that logs each node it starts; empty when that run does not
        die or names no node."""
        self.log("  the worker died: running the model again to see which node it dies in")
        trace = self.work_dir / "node-trace.log"
        initargs = (trace, self.config.memory_limit(1), True)
        user = isolation.worker_user()
        try:
            with WorkerPool(1, self.config.timeout, initialize_worker, initargs, user) as pool:
                pool.result(pool.submit(prepare_source, dataclasses.replace(spec, log_path=trace)))
        except WorkerFailure as again:
            site = read_crash_site(trace) if again.crashed else None
            if site is not None:
                return f"; {site.describe()}"
        except Exception:
            pass
        return ""

    def convert_early(self, source: SourceModel, selection: Selection) -> _Early | None:
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
        return _Early(jobs, self.pool.submit(convert_only, jobs))

    def prepare(self, source: SourceModel, selection: Selection) -> PreparedSource:
        """Inspect the model, choose the samples, record the original's outputs."""
        config = self.config
        self.log(f"inspecting {source.display_path} and running the original model")
        spec = PrepareSpec(
            saved_model_dir=source.saved_model_dir,
            display_path=source.display_path,
            tags=tuple(selection.tags),
            signature=selection.signature,
            input_shapes=config.input_shapes,
            samples=config.samples,
            seed=config.seed,
            samples_path=self.samples_path,
            log_path=self.log_path,
            representative_data=config.representative_data,
            calibration_samples=config.calibration_samples if config.needs_calibration() else 0,
            calibration_path=self.calibration_path,
            fixed_shape_dir=self.work_dir / "fixed_shape" if "tflite" in config.targets else None,
        )
        try:
            prepared = self._wait(
                self.pool.submit(prepare_source, spec), "running the original model"
            )
        except WorkerFailure as exc:
            if exc.crashed:
                exc = WorkerFailure(f"{exc}{self._crash_site(spec)}", crashed=True)
            raise self._fatal(source, "loading the model in TensorFlow", exc) from None
        except TaskError as exc:
            raise self._fatal(source, "loading the model in TensorFlow", exc) from None
        for mark in prepared.marks:
            self.clock.add(mark)
        self.log("  " + ", ".join(f"{_DONE[m.stage]} in {m.seconds:.1f} s" for m in prepared.marks))
        return prepared

    def convert(
        self, source: SourceModel, prepared: PreparedSource, early: _Early | None
    ) -> list[StagedArtifact]:
        """Every requested artifact, concurrently: one task per TFLite variant; ONNX, converted
        early, validated in one task."""
        jobs = [
            self._prepared_job(source, prepared, target, variant)
            for target, variant in self.config.jobs_wanted()
        ]
        batches = [[job] for job in jobs if job.target == "tflite"]
        self.log(f"converting {len(jobs)} artifacts with {self.pool.workers} worker process(es)")
        collected: list[Callable[[], list[StagedArtifact]]] = []
        if early is not None and early.future.done():  # ready to validate: before TFLite
            collected.append(self._validate_early(early, jobs))
        futures = [self.pool.submit(convert_and_validate, batch) for batch in batches]
        self.latency.preload_tensorflow(source.saved_model_dir, prepared)
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
                    self.clock.add(mark, artifact.target, artifact.variant)
                took = ", ".join(f"{_DONE[m.stage]} in {m.seconds:.1f} s" for m in item.marks)
                took = f" ({took})" if took else ""
                self.log(f"  {artifact.target} {artifact.variant}: {artifact.status}{took}")
                by_key[(artifact.target, artifact.variant)] = item
        return [by_key[(job.target, job.variant)] for job in jobs]

    def _validate_early(
        self, early: _Early, jobs: list[ConversionJob]
    ) -> Callable[[], list[StagedArtifact]]:
        """Submit the validation of the early conversions as soon as they are done; returns
        how to collect it. Each candidate gets its job as the prepared source completes it."""
        try:
            converted = self._wait(early.future, "converting " + _names(early.jobs))
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

    def _collect(
        self, batch: list[ConversionJob], future: object, doing: str = "conversion"
    ) -> list[StagedArtifact]:
        """The batch's results; a TFLite conversion whose worker died is tried once more, from
        the SavedModel as ``tflite_convert`` does (the converter crashes on some graphs from
        one path and not the other)."""
        try:
            verb = "validating" if doing == "validation" else "converting"
            return self._wait(future, f"{verb} {_names(batch)}")  # type: ignore[arg-type]
        except WorkerFailure as exc:
            job = batch[0]
            retry_from_saved_model = (
                exc.crashed
                and job.target == "tflite"
                and len(batch) == 1
                and job.tflite_strategy == "concrete_function"
            )
            if not retry_from_saved_model or doing != "conversion":
                return self._failures(batch, exc, doing)
            self.log(f"  {job.target} {job.variant}: {exc}; trying again from the SavedModel")
            retry = dataclasses.replace(
                job,
                tflite_strategy="saved_model",
                earlier_attempts=(f"from the signature at the validation shape: {exc}",),
            )
            return self._collect([retry], self.pool.submit(convert_and_validate, [retry]))
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
        calibrated = target == "tflite" and variant in CALIBRATED_VARIANTS
        return ConversionJob(
            target=target,
            variant=variant,
            saved_model_dir=source.saved_model_dir,
            tags=tags,
            signature=signature,
            shapes=shapes,
            file_name=f"{artifact_stem(source)}_{variant}.{target}",
            staging_dir=self.work_dir,
            samples_path=self.samples_path,
            tolerance=config.tolerance_for(target, variant),
            opset=config.opset,
            allow_flex=config.allow_flex,
            log_path=self.log_path,
            calibration_path=self.calibration_path if calibrated else None,
            int8_io=config.int8_io == "int8",
            onnx_float16_io=config.onnx_float16_io == "float16",
            order_depends_on=order_depends_on or {},
            cut_graphs=cut_graphs or {},
            fixed_shape=fixed_shape,
        )


@dataclasses.dataclass(frozen=True)
class _Early:
    """Conversions started before the original was prepared, and their task."""

    jobs: list[ConversionJob]
    future: ProcessFuture[list[Converted]]


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
