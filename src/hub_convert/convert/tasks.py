"""The tasks the main process schedules into worker processes (see workers.py).

Each task imports what it needs lazily, sends TensorFlow's chatter to the run's log, and
returns plain, picklable data. A converter that raises becomes a ``failed`` Artifact here;
one that aborts or hangs is turned into one by the pool.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import faulthandler
import gc
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import HubConvertError
from ..report.comparison_schema import Behaviour
from ..report.source_info import UnsafeOp
from ..sources.source_model import Materializer
from ..workers import memory_limit
from ..workers.crash_site import TRACE_ENVIRONMENT
from ..workers.death import append_output
from ..workers.pool import TaskError
from .specs import (
    BehaviourSpec,
    ConversionJob,
    LatencySpec,
    PreparedSource,
    PrepareSpec,
    Selection,
    StagedArtifact,
    StageMark,
)
from .tf_errors import describe_failure

if TYPE_CHECKING:
    from ..report.localization import Localization
    from .localize.spec import LocalizeSpec
    from .samples import Samples
    from .targets import Candidate

# A file produced and not yet validated, with when and how long its conversion took.
Converted = tuple["Candidate", StageMark]


def initialize_worker(
    log_path: Path | None, max_memory: int | None = None, trace_nodes: bool = False
) -> None:
    """Limit the worker's memory, then import TensorFlow once, quietly, before any task.
    ``trace_nodes``: TensorFlow logs every node it starts (crash_site.py reads where it died)."""
    memory_limit.apply(max_memory)
    if trace_nodes:
        os.environ.update(TRACE_ENVIRONMENT)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # TensorFlow's oneDNN kernels are not the reference (test_reference_numerics.py):
    # on a real detector they moved an output by 2 % where LiteRT, onnxruntime and
    # TensorFlow's own Eigen kernels agree within 1e-5, and their graph rewrites crashed
    # TensorFlow on another model (sources/tfjs/tf_bugs.py). The original runs on Eigen.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    with output_to(log_path):
        import tensorflow  # noqa: F401
    # A fatal signal prints the Python stack to fd 2, wherever the task sends it: which code
    # (the converter, LiteRT, tf2onnx) a dead worker was in (workers/death.py reads it).
    with contextlib.suppress(AttributeError, ValueError, OSError, RuntimeError):
        faulthandler.enable()
    # TensorFlow's hundreds of thousands of module-level objects never become garbage; out of
    # the collector's reach, a full collection is cheap and Python runs one more often, which
    # is what frees tf2onnx's graph copies (targets/tf2onnx_conversion.collecting_optimizers).
    gc.freeze()


@contextmanager
def task(log_path: Path | None, doing: str) -> Iterator[None]:
    """Run a task's body with its output in the log; any error but a HubConvertError becomes
    a one-line TaskError (TensorFlow's exception classes must not reach the main process)."""
    with output_to(log_path):
        try:
            yield
        except HubConvertError:
            raise
        except Exception as exc:
            raise TaskError(describe_failure(doing, exc)) from None
        finally:
            _return_memory()


@contextmanager
def own_output(jobs: list[ConversionJob]) -> Iterator[Path]:
    """A conversion task's output in a file of its own while it runs (its worker may die: the
    file is then what says why), added to the run's log when the task ends."""
    path = jobs[0].output_path
    path.write_bytes(b"")
    try:
        yield path
    finally:
        append_output(path, jobs[0].log_path)


def _return_memory() -> None:
    """Free what the task left (reference cycles; the allocator's free pages): an idle worker
    otherwise holds its last task's peak while the other works (measured on MobileNetV2: the
    worker that prepared the model kept 1.28 GB through the latency stage, 0.49 GB with this)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # glibc only
        ctypes.CDLL("libc.so.6").malloc_trim(0)


@contextmanager
def output_to(log_path: Path | None) -> Iterator[None]:
    """Send this process's stdout/stderr (C++ included) to ``log_path`` while a task runs.

    TensorFlow and the MLIR converter print hundreds of lines per conversion; the log keeps
    them for ``--debug`` without burying the run's own output.
    """
    if log_path is None:
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log_path.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def materialize_source(
    materializer: Materializer, target: Path, log_path: Path | None
) -> tuple[dict[str, str], StageMark]:
    """Produce the SavedModel of a source kind that needs TensorFlow to get one."""
    began = time.time()
    with task(log_path, "preparing the model"):
        return materializer(target), StageMark.since("materialize", began)


def scan_source(saved_model_dir: Path, log_path: Path | None) -> tuple[list[UnsafeOp], StageMark]:
    """Unsafe ops in the SavedModel's graphs; reads the protobuf, runs nothing."""
    from .saved_model_scan import scan_saved_model

    began = time.time()
    with task(log_path, "reading the model's graphs"):
        return scan_saved_model(saved_model_dir), StageMark.since("scan", began)


def prepare_source(spec: PrepareSpec) -> PreparedSource:
    """Inspect the original model and record its outputs on the validation samples."""
    from .original import prepare

    with task(spec.log_path, "inspecting the model"):
        return prepare(spec)


def select_source(
    saved_model_dir: Path,
    tags: tuple[str, ...] | None,
    signature: str | None,
    display_path: str,
    log_path: Path | None,
) -> Selection:
    """The tag set and signature to convert, from the protobuf; loads and runs nothing."""
    from .signature import select

    with task(log_path, "reading the model's signatures"):
        return select(saved_model_dir, tags, signature, display_path)


def convert_only(jobs: list[ConversionJob]) -> list[Converted]:
    """Produce the jobs' files (all of one target) without validating them, for a target that
    needs no validation inputs to convert (ONNX): it runs while the original is prepared."""
    from .targets import module_for

    with own_output(jobs) as output, task(output, "the conversion"):
        began = time.time()
        # A batch's conversions all start with the task: derived ONNX variants include
        # tf2onnx's time, as their conversion_seconds do.
        return [
            (candidate, StageMark("convert", began, candidate.conversion_seconds))
            for candidate in module_for(jobs[0].target).produce(jobs)
        ]


def validate_converted(converted: list[Converted]) -> list[StagedArtifact]:
    """Validate files that ``convert_only`` produced; never raises for a conversion problem."""
    with task(converted[0][0].job.log_path, "the validation"):
        return _validate_all(converted)


def convert_and_validate(jobs: list[ConversionJob]) -> list[StagedArtifact]:
    """Produce the jobs' files (all of one target) and validate each; never raises for a
    conversion problem."""
    from .targets import module_for

    with own_output(jobs) as output, task(output, "the conversion"):
        began = time.time()
        return _validate_all(
            [
                (candidate, StageMark("convert", began, candidate.conversion_seconds))
                for candidate in module_for(jobs[0].target).produce(jobs)
            ]
        )


def _validate_all(converted: list[Converted]) -> list[StagedArtifact]:
    from .samples import Samples
    from .validate import validate

    samples = Samples.load(converted[0][0].job.samples_path)
    results = []
    for pending, conversion in converted:
        validating = time.time()
        candidate = _finish(pending, samples)
        item = with_memory_hint(validate(candidate, samples))
        marks = (conversion, StageMark.since("validate", validating))
        results.append(dataclasses.replace(item, marks=marks))
    return results


def _finish(candidate: Candidate, samples: Samples) -> Candidate:
    """What a target could only finish with the samples (ONNX outputs of unknown rank)."""
    if not candidate.pending_output_shapes:
        return candidate
    from .targets import onnx

    return onnx.finish(candidate, samples)


def with_memory_hint(item: StagedArtifact) -> StagedArtifact:
    """A converter that caught its own allocation failure: say which limit it hit."""
    reason = item.artifact.reason
    if item.artifact.status != "failed" or not reason or not memory_limit.looks_exhausted(reason):
        return item
    hint = memory_limit.exhausted("the conversion")
    artifact = item.artifact.model_copy(update={"reason": f"{hint}: {reason}"})
    return StagedArtifact(artifact=artifact, staged=item.staged, file_name=item.file_name)


def measure_latency(spec: LatencySpec) -> tuple[float, StageMark]:
    """Median milliseconds of one inference of ``spec.runtime``; when the task began and how
    long it took (a preloaded runtime's wait for quiet included)."""
    from .latency import measure

    began = time.time()
    with task(spec.log_path, "measuring latency"):
        return measure(spec), StageMark.since("latency", began)


def compare_behaviour(spec: BehaviourSpec) -> Behaviour:
    """The base model's original on the head's validation inputs, against the head's outputs."""
    from .behaviour import compare_behaviour as compare

    with task(spec.log_path, "running the base model on the head's inputs"):
        return compare(spec)


def localize_artifacts(specs: list[LocalizeSpec]) -> list[Localization]:
    """The localizations of files sharing a reference graph (localize/task.py), imported in
    the worker: the main process that schedules them would import numpy with it."""
    from .localize.task import localize_artifacts as localize

    return localize(specs)
