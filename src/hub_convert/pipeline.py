"""Orchestrate one conversion run: resolve → prepare → convert+validate → report.

This process never imports TensorFlow; the workers do (see jobs.py, workers.py).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from . import __version__, environment, policy, sources
from .config import ConvertConfig
from .errors import BadInputError, HubConvertError
from .fsutil import write_atomic
from .inputs import INPUT_NOTE
from .jobs import (
    JobSpec,
    PrepareSpec,
    failed_artifact,
    initialize_worker,
    materialize_source,
    prepare_source,
    run_job,
)
from .render import render_report
from .report import Artifact, Report, SourceInfo, ValidationSetup
from .source_model import SourceModel
from .tfmodel import PreparedSource
from .workers import WorkerFailure, WorkerPool

EXTENSIONS = {"tflite": "tflite", "onnx": "onnx"}
Log = Callable[[str], None]


def artifact_stem(source: SourceModel) -> str:
    """A file-name-safe stem for the outputs, from the model directory's name."""
    name = source.stem or source.saved_model_dir.name
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return stem or "model"


def check_output_dir(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise BadInputError(f"--output-dir {path}: exists and is not a directory; choose another")


def run(config: ConvertConfig, log: Log, *, debug: bool = False) -> Report:
    """Convert, validate and report. Writes artifacts, report.json and report.md."""
    check_output_dir(config.output_dir)
    work_dir = Path(tempfile.mkdtemp(prefix="hub-convert-"))
    log_path = None if debug else work_dir / "tensorflow.log"
    try:
        source = sources.resolve(config.model, work_dir=work_dir)
        wanted = config.jobs_wanted()
        workers = min(config.worker_count(), max(1, len(wanted)))
        with WorkerPool(workers, config.timeout, initialize_worker, (log_path,)) as pool:
            if source.materializer is not None:
                log(f"preparing {source.display_path} ({source.kind}) as a SavedModel")
                try:
                    extra = pool.result(
                        pool.submit(
                            materialize_source,
                            source.materializer,
                            source.saved_model_dir,
                            log_path,
                        )
                    )
                except WorkerFailure as exc:
                    raise HubConvertError(
                        f"{source.display_path}: preparing the model {exc}"
                        + ("" if debug else "; run with --debug to see TensorFlow's output")
                    ) from None
                source = dataclasses.replace(source, provenance=source.provenance | extra)
            log(f"inspecting {source.display_path} and running the original model")
            prepare_spec = PrepareSpec(
                saved_model_dir=source.saved_model_dir,
                display_path=source.display_path,
                tags=config.tags if config.tags is not None else source.default_tags,
                signature=config.signature or source.default_signature,
                input_shapes=config.input_shapes,
                samples=config.samples,
                seed=config.seed,
                samples_path=work_dir / "samples.npz",
                log_path=log_path,
            )
            try:
                prepared = pool.result(pool.submit(prepare_source, prepare_spec))
            except WorkerFailure as exc:
                raise HubConvertError(
                    f"{source.display_path}: loading the model in TensorFlow {exc}"
                    + ("" if debug else "; run with --debug to see TensorFlow's output")
                ) from None
            config.output_dir.mkdir(parents=True, exist_ok=True)
            specs = [
                _job_spec(config, source, prepared, target, variant, work_dir, log_path)
                for target, variant in wanted
            ]
            futures = [pool.submit(run_job, spec) for spec in specs]
            log(f"converting {len(specs)} artifacts with {workers} worker process(es)")
            artifacts = []
            for spec, future in zip(specs, futures, strict=True):
                artifact = _collect(pool, spec, future)
                log(f"  {spec.target} {spec.variant}: {artifact.status}")
                artifacts.append(artifact)
        report = _report(config, source, prepared, artifacts)
        write_atomic(config.output_dir / "report.json", report.to_json())
        write_atomic(config.output_dir / "report.md", render_report(report))
        return report
    finally:
        if debug:
            log(f"work directory kept for debugging: {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)


def _collect(pool: WorkerPool, spec: JobSpec, future: object) -> Artifact:
    try:
        return pool.result(future)  # type: ignore[arg-type]
    except WorkerFailure as exc:
        return failed_artifact(spec, f"conversion {exc}")
    except HubConvertError:
        raise
    except Exception as exc:  # a bug in a job: keep the other artifacts, name the error
        return failed_artifact(spec, f"internal error: {type(exc).__name__}: {exc}")


def _job_spec(
    config: ConvertConfig,
    source: SourceModel,
    prepared: PreparedSource,
    target: str,
    variant: str,
    work_dir: Path,
    log_path: Path | None,
) -> JobSpec:
    stem = artifact_stem(source)
    return JobSpec(
        target=target,  # type: ignore[arg-type]
        variant=variant,
        saved_model_dir=source.saved_model_dir,
        tags=prepared.tags,
        signature=prepared.signature,
        shapes=prepared.validation_shapes(),
        output_path=config.output_dir / f"{stem}_{variant}.{EXTENSIONS[target]}",
        work_dir=work_dir,
        samples_path=work_dir / "samples.npz",
        tolerance=config.tolerance_for(target, variant),
        source_size=source.size_bytes,
        opset=config.opset,
        allow_flex=config.allow_flex,
        log_path=log_path,
    )


def _report(
    config: ConvertConfig,
    source: SourceModel,
    prepared: PreparedSource,
    artifacts: list[Artifact],
) -> Report:
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
        ),
        environment=environment.collect(),
        validation=ValidationSetup(samples=config.samples, seed=config.seed, input_note=INPUT_NOTE),
        fail_on=list(config.fail_on),
        artifacts=artifacts,
        verdict=policy.decide(artifacts, list(config.fail_on)),
    )
