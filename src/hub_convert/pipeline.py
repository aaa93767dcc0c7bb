"""Orchestrate one conversion run: resolve → materialize → prepare → convert+validate → latency
→ publish files → report.

This process never imports TensorFlow or any runtime: every task runs in a worker process
(convert/worker.py, scheduled through workers.py). Workers stage files in a private work
directory; only this process writes into the output directory, each file atomically. When
this process is root and the image's unprivileged user exists, the workers run as that user
(isolation.py): the work directory, and the TF Hub cache while they run, are lent to it.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal, TypeVar

from pebble import ProcessFuture

from . import isolation, memory_limit, model_size, sources, unsafe_ops
from .config import CALIBRATED_VARIANTS, ConvertConfig
from .convert.specs import (
    ConversionJob,
    LatencySpec,
    PreparedSource,
    PrepareSpec,
    StagedArtifact,
)
from .convert.worker import (
    convert_and_validate,
    initialize_worker,
    materialize_source,
    measure_latency,
    prepare_source,
    scan_source,
)
from .errors import BadInputError, HubConvertError
from .fsutil import check_writable_dir, tree_size, write_atomic
from .outputs import build_report, into_output_dir
from .render import render_report
from .report import Artifact, Report
from .source_model import SourceModel
from .sources.hub import cache_dir
from .vocabulary import Target, Variant
from .workers import TaskError, WorkerFailure, WorkerPool

Log = Callable[[str], None]
T = TypeVar("T")

# While the main process waits on a long step it logs a line this often (seconds); tests
# shorten it through the environment variable.
PROGRESS_EVERY = 30.0
PROGRESS_EVERY_ENV = "HUB_CONVERT_PROGRESS_SECONDS"


def progress_every() -> float:
    try:
        return max(0.1, float(os.environ.get(PROGRESS_EVERY_ENV) or PROGRESS_EVERY))
    except ValueError:
        return PROGRESS_EVERY


def elapsed(seconds: float) -> str:
    """``130`` → ``2 min 10 s``."""
    whole = int(seconds)
    return f"{whole // 60} min {whole % 60} s" if whole >= 60 else f"{whole} s"


def artifact_stem(source: SourceModel) -> str:
    """A file-name-safe stem for the outputs, from the model directory's name."""
    name = source.stem or source.saved_model_dir.name
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return stem or "model"


def run(config: ConvertConfig, log: Log, *, debug: bool = False) -> Report:
    """Convert, validate and report. Writes artifacts, report.json and report.md."""
    check_writable_dir(config.output_dir, "--output-dir")
    user = isolation.worker_user()
    work_dir = Path(tempfile.mkdtemp(prefix="hub-convert-"))
    log_path = None if debug else work_dir / "tensorflow.log"
    try:
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
        workers = min(config.worker_count(weights), max(1, len(config.jobs_wanted())))
        if weights >= model_size.GIB // 4:
            log(
                f"{memory_limit.human(weights)} of weights: {workers} worker process(es), "
                f"each needing about {memory_limit.human(model_size.conversion_memory(weights))}"
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
            stages = _Stages(config, pool, work_dir, log_path, log, debug)
            source = stages.scan(stages.materialize(source))
            prepared = stages.prepare(source)
            staged = stages.convert(source, prepared)
            latencies = stages.latency(source, prepared, staged)
        tf_latency = latencies.pop("tensorflow", None)
        artifacts = [
            into_output_dir(item, config.output_dir, source.size_bytes, latencies, tf_latency)
            for item in staged
        ]
        report = build_report(config, source, prepared, artifacts, tf_latency)
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
    ) -> None:
        self.config = config
        self.pool = pool
        self.work_dir = work_dir
        self.log_path = log_path
        self.log = log
        self.debug = debug
        self.samples_path = work_dir / "samples.npz"
        self.calibration_path = work_dir / "calibration.npz"

    def _wait_only(self, future: ProcessFuture[T], doing: str, since: float | None = None) -> None:
        """Wait for the task, logging "still <doing> (elapsed)" every PROGRESS_EVERY seconds."""
        since = time.monotonic() if since is None else since
        every = progress_every()
        while not concurrent.futures.wait([future], timeout=every).done:
            self.log(f"  still {doing} ({elapsed(time.monotonic() - since)})")

    def _wait(self, future: ProcessFuture[T], doing: str) -> T:
        """The task's result (see WorkerPool.result), with progress lines while it runs."""
        self._wait_only(future, doing)
        return self.pool.result(future)

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
            found = [
                f for f in self._wait(future, "reading the graphs") if f not in source.unsafe_ops
            ]
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
            extra = self._wait(future, "preparing the model")
        except (WorkerFailure, TaskError) as exc:
            raise self._fatal(source, "preparing the model", exc) from None
        return dataclasses.replace(
            source,
            provenance=source.provenance | extra,
            # A download's size is known only now.
            size_bytes=source.size_bytes or tree_size(source.saved_model_dir),
        )

    def prepare(self, source: SourceModel) -> PreparedSource:
        """Inspect the model, choose the samples, record the original's outputs."""
        config = self.config
        self.log(f"inspecting {source.display_path} and running the original model")
        spec = PrepareSpec(
            saved_model_dir=source.saved_model_dir,
            display_path=source.display_path,
            tags=config.tags if config.tags is not None else source.default_tags,
            signature=config.signature or source.default_signature,
            input_shapes=config.input_shapes,
            samples=config.samples,
            seed=config.seed,
            samples_path=self.samples_path,
            log_path=self.log_path,
            representative_data=config.representative_data,
            calibration_samples=config.calibration_samples if config.needs_calibration() else 0,
            calibration_path=self.calibration_path,
        )
        try:
            return self._wait(self.pool.submit(prepare_source, spec), "running the original model")
        except (WorkerFailure, TaskError) as exc:
            raise self._fatal(source, "loading the model in TensorFlow", exc) from None

    def convert(self, source: SourceModel, prepared: PreparedSource) -> list[StagedArtifact]:
        """Every requested artifact, concurrently: one task per TFLite variant, one for ONNX."""
        jobs = [
            self._job(source, prepared, target, variant)
            for target, variant in self.config.jobs_wanted()
        ]
        batches = [[job] for job in jobs if job.target == "tflite"]
        onnx = [job for job in jobs if job.target == "onnx"]
        if onnx:
            batches.append(onnx)
        self.log(f"converting {len(jobs)} artifacts with {self.pool.workers} worker process(es)")
        futures = [self.pool.submit(convert_and_validate, batch) for batch in batches]
        by_key: dict[tuple[str, str], StagedArtifact] = {}
        started = time.monotonic()
        for batch, future in zip(batches, futures, strict=True):
            doing = "converting " + ", ".join(f"{job.target} {job.variant}" for job in batch)
            self._wait_only(future, doing, started)
            for item in self._collect(batch, future):
                artifact = item.artifact
                self.log(f"  {artifact.target} {artifact.variant}: {artifact.status}")
                by_key[(artifact.target, artifact.variant)] = item
        return [by_key[(job.target, job.variant)] for job in jobs]

    def _collect(self, batch: list[ConversionJob], future: object) -> list[StagedArtifact]:
        """The batch's results; a TFLite conversion whose worker died is tried once more, from
        the SavedModel as ``tflite_convert`` does (the converter crashes on some graphs from
        one path and not the other)."""
        try:
            return self.pool.result(future)  # type: ignore[arg-type]
        except WorkerFailure as exc:
            job = batch[0]
            retry_from_saved_model = (
                exc.crashed
                and job.target == "tflite"
                and len(batch) == 1
                and job.tflite_strategy == "concrete_function"
            )
            if not retry_from_saved_model:
                return [_failed(j, f"conversion {exc}") for j in batch]
            self.log(f"  {job.target} {job.variant}: {exc}; trying again from the SavedModel")
            retry = dataclasses.replace(
                job,
                tflite_strategy="saved_model",
                earlier_attempts=(f"from the signature at the validation shape: {exc}",),
            )
            future = self.pool.submit(convert_and_validate, [retry])
            self._wait_only(future, f"converting {job.target} {job.variant} again")
            return self._collect([retry], future)
        except TaskError as exc:
            return [_failed(job, str(exc)) for job in batch]
        except HubConvertError:
            raise
        except Exception as exc:  # a bug in a task: keep the other artifacts, name the error
            reason = f"internal error: {type(exc).__name__}: {exc}"
            return [_failed(job, reason) for job in batch]

    def latency(
        self, source: SourceModel, prepared: PreparedSource, staged: list[StagedArtifact]
    ) -> dict[str, float | None]:
        """Median latency of TensorFlow (key "tensorflow") and of every staged file that ran
        (key: its file name), one at a time so that no conversion competes for the CPU."""
        runs = self.config.latency_runs
        if runs <= 0:
            return {}
        self.log(f"measuring latency: median of {runs} runs, one runtime at a time")

        def timed(runtime: Literal["tensorflow", "tflite", "onnx"], path: Path) -> float | None:
            spec = LatencySpec(
                runtime=runtime,
                path=path,
                samples_path=self.samples_path,
                runs=runs,
                log_path=self.log_path,
                tags=tuple(prepared.tags),
                signature=prepared.signature,
            )
            try:
                future = self.pool.submit(measure_latency, spec)
                return self._wait(future, f"measuring the latency of {runtime} {path.name}")
            except Exception as exc:  # a latency failure must not fail the conversion
                self.log(f"  latency of {runtime} {path.name} not measured: {exc}")
                return None

        latencies = {"tensorflow": timed("tensorflow", source.saved_model_dir)}
        for item in staged:
            if item.artifact.status in ("passed", "drift") and item.staged:
                latencies[item.file_name] = timed(item.artifact.target, item.staged)
        return latencies

    def _job(
        self, source: SourceModel, prepared: PreparedSource, target: Target, variant: Variant
    ) -> ConversionJob:
        config = self.config
        calibrated = target == "tflite" and variant in CALIBRATED_VARIANTS
        return ConversionJob(
            target=target,
            variant=variant,
            saved_model_dir=source.saved_model_dir,
            tags=prepared.tags,
            signature=prepared.signature,
            shapes=prepared.validation_shapes(),
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
            order_depends_on=prepared.order_depends_on,
        )


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
