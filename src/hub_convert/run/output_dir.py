"""What a run leaves in the output directory: each converted file moved there from the work
directory atomically, its Artifact completed once (path, size, latency), and the Report.
Main process only (no TensorFlow)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from ..convert.specs import PreparedSource, StagedArtifact
from ..fsutil import produce_atomic
from ..policy import verdict
from ..report.artifact import Artifact
from ..report.limits import MAX_NOTES
from ..report.run_info import Timings, ValidationSetup
from ..report.schema import Report
from ..report.source_info import SourceInfo
from ..sources.source_model import SourceModel
from . import environment
from .config import ConvertConfig


def into_output_dir(
    item: StagedArtifact,
    output_dir: Path,
    source_size: int,
    latencies: dict[str, float | None],
    tf_latency: float | None,
) -> Artifact:
    """Move a staged file into the output directory (atomically) and complete its Artifact."""
    staged = item.staged
    if staged is None:
        return item.artifact
    path = output_dir / item.file_name
    # An ONNX model's external data (NAME.onnx.data) goes first: the model refers to it.
    staged_data = staged.with_name(staged.name + ".data")
    data_path = None
    if staged_data.is_file():
        data_path = path.with_name(path.name + ".data")
        produce_atomic(data_path, lambda tmp: shutil.copyfile(staged_data, tmp))
    produce_atomic(path, lambda tmp: shutil.copyfile(staged, tmp))
    size = path.stat().st_size + (data_path.stat().st_size if data_path else 0)
    latency = latencies.get(item.file_name)
    return item.artifact.model_copy(
        update={
            "path": str(path),
            "external_data": str(data_path) if data_path else None,
            "size_bytes": size,
            "size_ratio": size / source_size if source_size else None,
            "latency_ms": latency,
            "speedup_vs_tensorflow": tf_latency / latency if latency and tf_latency else None,
        }
    )


def build_report(
    config: ConvertConfig,
    source: SourceModel,
    prepared: PreparedSource,
    artifacts: list[Artifact],
    tf_latency: float | None,
    timings: Timings | None = None,
) -> Report:
    """The run's Report: the source as prepared, the finished artifacts, the verdict."""
    return Report(
        tool_version=__version__,
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        command=config.command,
        source=SourceInfo(
            kind=source.kind,
            path=source.display_path,
            signature=prepared.signature,
            available_signatures=prepared.available_signatures,
            tags=prepared.tags,
            inputs=prepared.inputs,
            outputs=prepared.outputs,
            size_bytes=source.size_bytes,
            op_counts=prepared.op_counts,
            provenance=source.provenance,
            fixed_dimensions=prepared.fixed_dimensions,
            unsafe_ops=list(source.unsafe_ops[:MAX_NOTES]),
        ),
        environment=environment.collect(),
        validation=ValidationSetup(
            samples=prepared.sample_count,
            seed=config.seed,
            input_note=prepared.input_note,
            input_choices=prepared.input_choices,
            data_source=prepared.data_source,
            calibration=prepared.calibration_note,
            latency_runs=config.latency_runs,
            tensorflow_latency_ms=tf_latency,
            warnings=prepared.warnings,
            nondeterminism=prepared.nondeterminism,
        ),
        fail_on=list(config.fail_on),
        require=list(config.require),
        artifacts=artifacts,
        verdict=verdict.decide(artifacts, list(config.fail_on), config.require),
        timings=timings,
    )
