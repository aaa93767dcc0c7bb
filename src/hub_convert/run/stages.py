"""The stages of one run that ready the original, each a task in the worker pool: materialize
the SavedModel, scan its graphs for unsafe ops, select the tag set and signature, prepare the
original (signature, validation inputs, its outputs). Progress lines while a task runs; the
workers' own timings added to the run's clock.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pebble import ProcessFuture

from ..convert.specs import PreparedSource, PrepareSpec, Selection, StageMark
from ..convert.tasks import (
    initialize_worker,
    materialize_source,
    prepare_source,
    scan_source,
    select_source,
)
from ..errors import BadInputError, HubConvertError
from ..fsutil import tree_size
from ..report.vocabulary import Stage
from ..safety import unsafe_ops
from ..sources.source_model import SourceModel
from ..workers import isolation
from ..workers.crash_site import read_crash_site
from ..workers.pool import TaskError, WorkerFailure, WorkerPool
from ..workers.progress import wait_logging_progress
from .config import ConvertConfig
from .latency_stage import LatencyStage
from .timings import Clock

Log = Callable[[str], None]
T = TypeVar("T")
# How the log says a stage was done: "converted in 3.1 s".
DONE: dict[Stage, str] = {
    "load": "loaded",
    "reference": "ran the original on the validation inputs",
    "export": "saved the signature at the validation shape for TFLite",
    "convert": "converted",
    "validate": "validated",
}


class Stages:
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
        self.second_shape_path = work_dir / "second_shape.npz"
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

    def wait(self, future: ProcessFuture[T], doing: str, since: float | None = None) -> T:
        """The task's result (see WorkerPool.result), with progress lines while it runs."""
        if self.first_task:  # no worker has finished a task: they may still be starting
            doing = f"starting the workers (importing TensorFlow), then {doing}"
        wait_logging_progress(future, doing, self.log, since)
        return self.pool.result(future)

    def add_worker_mark(self, mark: StageMark) -> None:
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
            found_ops, mark = self.wait(future, "reading the graphs")
            self.add_worker_mark(mark)
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
            extra, mark = self.wait(future, "preparing the model")
            self.add_worker_mark(mark)
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
            return self.wait(future, "reading the signatures")
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

    def materialize_and_scan(self, source: SourceModel) -> SourceModel:
        """The source's SavedModel written (when a materializer makes it), then scanned."""
        return self.scan(self.materialize(source))

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
            second_shape_path=self.second_shape_path if "onnx" in config.targets else None,
        )
        try:
            prepared = self.wait(
                self.pool.submit(prepare_source, spec), "running the original model"
            )
        except WorkerFailure as exc:
            if exc.crashed:
                exc = WorkerFailure(
                    f"{exc}{self._crash_site(spec)}", crashed=True, exitcode=exc.exitcode
                )
            raise self._fatal(source, "loading the model in TensorFlow", exc) from None
        except TaskError as exc:
            raise self._fatal(source, "loading the model in TensorFlow", exc) from None
        for mark in prepared.marks:
            self.clock.add(mark)
        self.log("  " + ", ".join(f"{DONE[m.stage]} in {m.seconds:.1f} s" for m in prepared.marks))
        return prepared
