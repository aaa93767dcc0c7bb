"""The latency stage: every runtime timed alone, so that no conversion competes for the CPU.

Timing TensorFlow means loading the original again (1.5 s of a MobileNetV2 run, most of its
latency stage). With two workers or more that load need not wait: ``preload_tensorflow``
submits TensorFlow's task behind the last conversions; it loads the model when a worker is
free, then waits for a file the main process makes once no conversion runs any more
(``measure``), and only then times its runs. Timing stays one runtime at a time; only the
load overlaps. With one worker, or a model big enough to get a fresh worker per task, the
task is submitted when the stage begins, as for the converted files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pebble import ProcessFuture

from ..convert.specs import LatencySpec, PreparedSource, StagedArtifact, StageMark
from ..convert.tasks import measure_latency
from ..report.vocabulary import Variant
from ..workers.pool import WorkerPool
from ..workers.progress import wait_logging_progress
from .timings import Clock

Runtime = Literal["tensorflow", "tflite", "onnx"]
Timed = ProcessFuture[tuple[float, StageMark]]


class LatencyStage:
    """Median latency of TensorFlow (key "tensorflow") and of every staged file that ran (key:
    its file name)."""

    def __init__(
        self,
        pool: WorkerPool,
        clock: Clock,
        log: Callable[[str], None],
        runs: int,
        samples_path: Path,
        log_path: Path | None,
        work_dir: Path,
        preload: bool,
    ) -> None:
        """``preload``: whether TensorFlow's model may be loaded while conversions run (not
        for a model whose conversions get a fresh worker each: its load costs gigabytes)."""
        self.pool = pool
        self.clock = clock
        self.log = log
        self.runs = runs
        self.samples_path = samples_path
        self.log_path = log_path
        self.quiet = work_dir / "conversions-done"
        self.preload = preload
        self.preloaded: Timed | None = None

    def _spec(self, runtime: Runtime, path: Path, prepared: PreparedSource) -> LatencySpec:
        return LatencySpec(
            runtime=runtime,
            path=path,
            samples_path=self.samples_path,
            runs=self.runs,
            log_path=self.log_path,
            tags=tuple(prepared.tags),
            signature=prepared.signature,
        )

    def preload_tensorflow(self, saved_model_dir: Path, prepared: PreparedSource) -> None:
        """Submit TensorFlow's latency task now, behind the conversions already submitted."""
        if self.runs <= 0 or self.pool.workers < 2 or not self.preload:
            return
        spec = self._spec("tensorflow", saved_model_dir, prepared)
        # It may wait for the longest conversion still running; half the task's time limit
        # is left for loading the model and timing it.
        spec = dataclasses.replace(spec, measure_after=self.quiet, wait_limit=self.pool.timeout / 2)
        self.preloaded = self.pool.submit(measure_latency, spec)

    def measure(
        self, saved_model_dir: Path, prepared: PreparedSource, staged: list[StagedArtifact]
    ) -> dict[str, float | None]:
        """Time every runtime, one at a time; call once no conversion runs any more."""
        self.quiet.touch()  # a preloaded TensorFlow may time its runs now
        if self.runs <= 0:
            return {}
        self.log(f"measuring latency: median of {self.runs} runs, one runtime at a time")
        began = self.clock.elapsed()
        tensorflow = self.preloaded or self.pool.submit(
            measure_latency, self._spec("tensorflow", saved_model_dir, prepared)
        )
        latencies = {"tensorflow": self._result(tensorflow, "tensorflow", saved_model_dir)}
        for item in staged:
            if item.artifact.status in ("passed", "drift") and item.staged:
                artifact = item.artifact
                future = self.pool.submit(
                    measure_latency, self._spec(artifact.target, item.staged, prepared)
                )
                latencies[item.file_name] = self._result(
                    future, artifact.target, item.staged, artifact.variant
                )
        self.log(f"  latency measured in {self.clock.elapsed() - began:.1f} s")
        return latencies

    def _result(
        self, future: Timed, runtime: Runtime, path: Path, variant: Variant | None = None
    ) -> float | None:
        try:
            wait_logging_progress(future, f"measuring the latency of {path.name}", self.log)
            milliseconds, mark = self.pool.result(future)
        except Exception as exc:  # a latency failure must not fail the conversion
            self.log(f"  latency of {runtime} {path.name} not measured: {exc}")
            return None
        self.clock.add(mark, None if runtime == "tensorflow" else runtime, variant)
        return milliseconds
