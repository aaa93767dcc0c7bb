"""One conversion run in order: resolve → materialize → scan → select → prepare (ONNX converting
meanwhile) → convert+validate → latency → files into the output directory → the Report.

This process never imports TensorFlow or any runtime: every task runs in a worker process
(convert/tasks.py, scheduled through workers/pool.py; the setup in session.py). Workers stage
files in a private work directory; only this process writes into the output directory, each
file atomically. The report files are written by the caller (execute.py), once.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path

from ..convert.specs import PreparedSource, StagedArtifact
from ..fsutil import check_writable_dir
from ..policy.randomness import judge_against_random_original, random_ops_note
from ..report.schema import Report
from ..sources.source_model import SourceModel
from ..units import GIB, human
from ..workers import model_size
from .config import ConvertConfig
from .conversions import Conversions
from .device_stage import check_devices
from .localize_stage import localize
from .output_dir import build_report, into_output_dir
from .session import run_session
from .stages import Stages

Log = Callable[[str], None]
# More work for a run's own pool once its conversion is done (see run's ``then``).
SamePoolWork = Callable[[Stages, SourceModel, PreparedSource], None]

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
    config: ConvertConfig,
    log: Log,
    *,
    debug: bool = False,
    keep_samples: Path | None = None,
    then: SamePoolWork | None = None,
) -> Report:
    """Convert and validate; moves the artifacts into the output directory and returns the
    Report (report.json and report.md are the caller's to write).

    ``keep_samples``: where to copy the validation samples file (inputs and the original's
    outputs) for a later comparison with another model (execute.py). ``then``: work given this
    run's stages and workers after the conversion, before they stop (the base's behaviour run,
    base_run.py), so it costs no second pool and TensorFlow import. Only work on the same
    model may run there: a model's code can tamper with the worker processes it runs in."""
    check_writable_dir(config.output_dir, "--output-dir")
    with run_session(config, log, debug=debug) as session:
        clock = session.clock
        source = session.resolve()
        weights = model_size.weight_bytes_on_disk(source.saved_model_dir)
        workers = worker_count(config, source, weights)
        if weights >= GIB // 4:
            log(
                f"{human(weights)} of weights: {workers} worker process(es), "
                f"each needing about {human(model_size.conversion_memory(weights))}"
                " to convert"
            )
        big = weights >= model_size.FRESH_WORKER_ABOVE
        with session.stages(
            source, workers, fresh_worker_per_task=big, preload_latency=not big
        ) as stages:
            conversions = Conversions(stages)
            source = stages.materialize_and_scan(source)
            selection = stages.select(source)
            early = conversions.convert_early(source, selection)  # while the original is prepared
            prepared = stages.prepare(source, selection)
            if keep_samples is not None:
                shutil.copyfile(stages.samples_path, keep_samples)
            staged = judged_for_randomness(
                conversions.convert(source, prepared, early), prepared, log
            )
            latencies = stages.latency.measure(source.saved_model_dir, prepared, staged)
            staged = check_devices(stages, source.saved_model_dir, prepared, staged)
            staged = localize(stages, source, prepared, staged, explain=config.explain)
            if then is not None:
                then(stages, source, prepared)
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
        return report


def judged_for_randomness(
    staged: list[StagedArtifact], prepared: PreparedSource, log: Log
) -> list[StagedArtifact]:
    """Each artifact not-validated when compared on an output the original gives differently
    from run to run, and noted when its file draws random values itself."""
    judged = []
    for item in staged:
        artifact = judge_against_random_original(item.artifact, prepared.nondeterminism)
        if artifact.status != item.artifact.status:
            log(f"  {item.file_name}: not-validated: the original is not deterministic")
        judged.append(dataclasses.replace(item, artifact=random_ops_note(artifact)))
    return judged
