"""ONNX: convert a SavedModel signature with tf2onnx, check it, run it with onnxruntime.

A model counts only if tf2onnx left no TensorFlow op in it (tf2onnx_conversion.py), it passes
``onnx.checker`` and it loads in onnxruntime. Big models keep their weights as ONNX external
data (onnx_external_data.py).
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from ...report.artifact import OpCoverage
from ...units import human
from ...workers import model_size
from ..samples import Samples
from ..specs import TF2ONNX_FLOAT32_FILE, ConversionJob
from . import Candidate, SampleRunner
from .onnx_external_data import data_file, write_external
from .onnx_file import check, input_shapes, operator_counts
from .onnx_names import RENAMED_OUTPUTS_KEY
from .onnx_ort import REPLAY_OPTION, STYLE_NOTE, ort_operator_counts
from .onnx_output_shapes import missing_shapes_reason, shape_from_inference, shape_from_samples
from .onnx_variants import derive
from .tf2onnx_conversion import convert

RUNTIME = "onnxruntime"


def load(path: Path) -> SampleRunner:
    """Run one sample through onnxruntime (CPU), outputs keyed by the signature's names."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    if path.suffix == ".ort":
        options.add_session_config_entry(REPLAY_OPTION, "1")
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    output_names = [o.name for o in session.get_outputs()]
    input_names = {i.name for i in session.get_inputs()}
    renamed = json.loads(session.get_modelmeta().custom_metadata_map.get(RENAMED_OUTPUTS_KEY, "{}"))
    keys = [renamed.get(name, name) for name in output_names]

    def run(sample: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        feed = {name: value for name, value in sample.items() if name in input_names}
        values = session.run(output_names, feed)
        return dict(zip(keys, (np.asarray(v) for v in values), strict=True))

    return run


def produce(jobs: list[ConversionJob]) -> list[Candidate]:
    """One tf2onnx conversion; every variant derived from it, checked and staged.

    A model counts only if tf2onnx left no TensorFlow op in it and it passes
    ``onnx.checker``; onnxruntime loading it is checked when it is validated.
    """
    first = jobs[0]
    started = time.perf_counter()
    weights = model_size.weight_bytes_on_disk(first.saved_model_dir)
    large = weights > model_size.external_data_threshold()
    conversion = convert(
        first.saved_model_dir,
        first.tags,
        first.signature,
        first.opset,
        sorted(first.shapes),
        large_model=large,
    )
    seconds = time.perf_counter() - started
    unsupported_names = {u.op for u in conversion.unsupported}
    coverage = OpCoverage(
        converted_ops=[op for op in conversion.source_ops if op not in unsupported_names],
        unsupported_ops=conversion.unsupported,
    )
    if conversion.model is None:
        error = conversion.error or "tf2onnx returned no model"
        return [Candidate(job, None, coverage, seconds, error=error) for job in jobs]
    problems = []
    if conversion.unsupported:
        problems.append(
            "tf2onnx could not convert "
            + ", ".join(f"{u.op} (at {', '.join(u.nodes[:3])})" for u in conversion.unsupported)
            + " and left the TensorFlow op in the graph"
        )
    pending = shape_from_inference(conversion.model)
    float32_path = first.staging_dir / TF2ONNX_FLOAT32_FILE
    if conversion.external is not None:
        write_external(conversion.model, conversion.external, float32_path)
    else:
        float32_path.write_bytes(conversion.model.SerializeToString())
    if pending and not problems:  # the checker would refuse them: shaped once samples exist
        return [
            Candidate(job, float32_path, coverage, seconds, pending_output_shapes=pending)
            for job in jobs
        ]
    checker_error = check(float32_path)
    if checker_error:
        problems.append(checker_error)
    if problems:
        coverage.output_op_counts = operator_counts(conversion.model)
        error = "; ".join(problems)
        return [Candidate(job, None, coverage, seconds, error=error) for job in jobs]
    large_note = _large_note(weights) if conversion.external is not None else None
    del conversion
    return [_derive_candidate(job, float32_path, coverage, seconds, large_note) for job in jobs]


def _large_note(weights: int) -> str:
    return (
        f"{human(weights)} of weights, over the {human(model_size.external_data_threshold())}"
        " external-data threshold: converted with tf2onnx's large_model, the weights written"
        " as ONNX external data in {data} beside the .onnx (keep the two files together)"
    )


def finish(candidate: Candidate, samples: Samples) -> Candidate:
    """A candidate whose float32 file has outputs of unknown rank (``pending_output_shapes``):
    those outputs get the rank the original produced on the samples, then the file is checked
    and the job's variant derived as ``produce`` does. Any other candidate is returned as is."""
    import onnx

    if not candidate.pending_output_shapes or candidate.staged is None:
        return candidate
    job, float32_path = candidate.job, candidate.staged
    model = onnx.load(str(float32_path), load_external_data=False)
    renamed = json.loads(
        {p.key: p.value for p in model.metadata_props}.get(RENAMED_OUTPUTS_KEY, "{}")
    )
    produced = {
        name: samples.reference(renamed.get(name, name))
        for name in candidate.pending_output_shapes
        if renamed.get(name, name) in samples.output_names
    }
    left = shape_from_samples(model, produced)
    if left:
        error = missing_shapes_reason(left)
        return Candidate(job, None, candidate.coverage, candidate.conversion_seconds, error=error)
    onnx.save(model, str(float32_path))  # the graph only: external data stays where it is
    weights = model_size.weight_bytes_on_disk(job.saved_model_dir)
    large = weights > model_size.external_data_threshold()
    checker_error = check(float32_path)
    if checker_error:
        return dataclasses.replace(candidate, staged=None, error=checker_error)
    derived = _derive_candidate(
        job,
        float32_path,
        candidate.coverage,
        candidate.conversion_seconds,
        _large_note(weights) if large else None,
    )
    listed = ", ".join(repr(n) for n in candidate.pending_output_shapes)
    derived.notes.append(
        f"output(s) {listed} have unknown rank in the signature: the file declares the rank "
        "the original produced on the validation samples, every dimension symbolic"
    )
    return derived


def _derive_candidate(
    job: ConversionJob,
    float32_path: Path,
    base_coverage: OpCoverage,
    tf2onnx_seconds: float,
    large_note: str | None,
) -> Candidate:
    """Derive one variant from the float32 model, stage it, check it."""
    import onnx

    started = time.perf_counter()
    try:
        derive(float32_path, job.variant, job.staged_path, float16_io=job.onnx_float16_io)
    except Exception as exc:
        error = f"deriving the {job.variant} model failed: {type(exc).__name__}: {exc}"
        return Candidate(job, None, base_coverage, tf2onnx_seconds, error=error)
    seconds = tf2onnx_seconds + time.perf_counter() - started
    if job.variant == "ort":  # no ONNX graph to check: ONNX Runtime loads it when validated
        return _ort_candidate(job, float32_path, base_coverage, seconds)
    model = onnx.load(str(job.staged_path), load_external_data=False)  # the graph, not weights
    coverage = base_coverage.model_copy(update={"output_op_counts": operator_counts(model)})
    checker_error = check(job.staged_path)
    if checker_error:
        return Candidate(job, None, coverage, seconds, error=checker_error)
    return Candidate(
        job,
        job.staged_path,
        coverage,
        seconds,
        input_shapes=input_shapes(model),
        notes=[large_note.format(data=data_file(job.staged_path).name)] if large_note else [],
    )


def _ort_candidate(
    job: ConversionJob, float32_path: Path, base_coverage: OpCoverage, seconds: float
) -> Candidate:
    """The staged .ort file: its own ops, the float32 file's input shapes."""
    import onnx

    try:
        counts = ort_operator_counts(job.staged_path)
    except Exception as exc:
        error = f"the ORT converter wrote an unreadable file: {type(exc).__name__}: {exc}"
        return Candidate(job, None, base_coverage, seconds, error=error)
    coverage = base_coverage.model_copy(update={"output_op_counts": counts})
    source = onnx.load(str(float32_path), load_external_data=False)
    return Candidate(
        job,
        job.staged_path,
        coverage,
        seconds,
        input_shapes=input_shapes(source),
        notes=[STYLE_NOTE],
    )
