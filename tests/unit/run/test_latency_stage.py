"""latency_stage.py with a real worker pool: TensorFlow's model is loaded while a conversion
still runs, and timed only after it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hub_convert.convert.samples import Samples
from hub_convert.convert.specs import PreparedSource
from hub_convert.convert.tasks import initialize_worker
from hub_convert.run.latency_stage import LatencyStage
from hub_convert.run.timings import Clock
from hub_convert.workers.pool import WorkerPool
from support import worker_tasks  # spawned workers import it by name (tests/ is on sys.path)

pytestmark = pytest.mark.tf


def _prepared() -> PreparedSource:
    return PreparedSource(
        signature="serving_default",
        available_signatures=["serving_default"],
        tags=["serve"],
        inputs=[],
        outputs=[],
        op_counts={},
        input_note="",
    )


def _stage(pool: WorkerPool, tmp_path: Path, clock: Clock, preload: bool) -> LatencyStage:
    samples = tmp_path / "samples.npz"
    features = np.random.default_rng(0).random((1, 16), dtype=np.float32)
    Samples(["features"], [], [{"features": features}], []).save(samples)
    return LatencyStage(pool, clock, lambda _: None, 20, samples, None, tmp_path, preload)


@pytest.mark.parametrize("preload", [True, False])
def test_tensorflow_is_timed_only_after_the_last_conversion(
    classifier_model: Path, tmp_path: Path, preload: bool
) -> None:
    clock = Clock()
    with WorkerPool(2, 120, initialize_worker, (None, None)) as pool:
        stage = _stage(pool, tmp_path, clock, preload)
        conversion = pool.submit(worker_tasks.busy, 4.0)
        stage.preload_tensorflow(classifier_model, _prepared())
        assert (stage.preloaded is not None) is preload
        conversion_ended = pool.result(conversion)
        latencies = stage.measure(classifier_model, _prepared(), [])

    assert latencies["tensorflow"] is not None and latencies["tensorflow"] > 0
    (mark,) = [s for s in clock.stages if s.stage == "latency"]
    began = clock.started_at + mark.start_seconds
    assert began + mark.seconds >= conversion_ended  # timed after the conversion
    if preload:  # loaded while the conversion ran, on the other worker
        assert began < conversion_ended - 1.0


def test_one_worker_never_preloads(classifier_model: Path, tmp_path: Path) -> None:
    """A preloaded task waits while holding its worker: with one worker nothing else could run."""
    with WorkerPool(1, 120, initialize_worker, (None, None)) as pool:
        stage = _stage(pool, tmp_path, Clock(), preload=True)
        stage.preload_tensorflow(classifier_model, _prepared())
        assert stage.preloaded is None
        assert stage.measure(classifier_model, _prepared(), [])["tensorflow"] is not None


def test_a_preloaded_runtime_that_never_gets_quiet_is_not_measured(
    classifier_model: Path, tmp_path: Path
) -> None:
    """Past its wait limit (half the task timeout) the task gives up rather than time
    TensorFlow against a conversion; the run goes on without that latency."""
    lines: list[str] = []
    with WorkerPool(2, 10, initialize_worker, (None, None)) as pool:
        stage = _stage(pool, tmp_path, Clock(), preload=True)
        stage.log = lines.append
        stage.preload_tensorflow(classifier_model, _prepared())
        stage.quiet = tmp_path / "never-made"  # so the wait limit (5 s) passes
        assert stage.measure(classifier_model, _prepared(), [])["tensorflow"] is None
    assert any("not measured" in line and "still ran" in line for line in lines), lines
