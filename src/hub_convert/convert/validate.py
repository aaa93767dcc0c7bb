"""Where a converted file is compared with the original: run it on the validation samples,
measure each output's drift, and decide the artifact's status. Writes no files.

Status rules: ``failed`` when there is no file or it does not load or run; ``not-validated``
when this machine cannot run it (Flex ops) or an output has nothing comparable (all NaN);
``drift`` when any output is outside its tolerance; ``passed`` when every output was
compared and is within it.
"""

from __future__ import annotations

import time

import numpy as np

from ..report import Artifact, OutputDrift, Tolerance
from ..vocabulary import Status
from .drift import compare_output
from .samples import Samples
from .specs import StagedArtifact
from .targets import Candidate, module_for
from .tf_errors import one_line


def validate(candidate: Candidate, samples: Samples) -> StagedArtifact:
    """The Artifact for ``candidate``: validated against the original's recorded outputs."""
    job = candidate.job
    started = time.perf_counter()
    status: Status
    reason: str | None = None
    drift: list[OutputDrift] = []
    if candidate.staged is None:
        status, reason = "failed", candidate.error or "the converter produced no file"
    elif candidate.not_runnable:
        status, reason = "not-validated", candidate.not_runnable
    else:
        target = module_for(job.target)
        try:
            run = target.load(candidate.staged)
        except Exception as exc:
            status = "failed"
            reason = f"{target.RUNTIME} could not load the file: {one_line(exc)}"
        else:
            try:
                outputs = [run(sample) for sample in samples.inputs]
            except Exception as exc:
                status = "failed"
                reason = f"the converted file did not run in {target.RUNTIME}: {one_line(exc)}"
            else:
                drift = compare_outputs(samples, outputs, job.tolerance, job.order_depends_on)
                status, reason = _status(drift)
    artifact = Artifact(
        target=job.target,
        variant=job.variant,
        status=status,
        reason=reason,
        tolerance=job.tolerance,
        drift=drift,
        coverage=candidate.coverage,
        input_shapes=candidate.input_shapes,
        conversion_seconds=candidate.conversion_seconds,
        validation_seconds=time.perf_counter() - started if candidate.staged else None,
        weight_types=candidate.weight_types,
        notes=candidate.notes,
        attempts=[*job.earlier_attempts, *candidate.attempts],
    )
    staged = candidate.staged if status != "failed" else None
    return StagedArtifact(artifact=artifact, staged=staged, file_name=job.file_name)


def _status(drift: list[OutputDrift]) -> tuple[Status, str | None]:
    """drift if any output exceeds its tolerance; not-validated if any could not be compared
    (never passed); passed when every output was compared and is within tolerance."""
    if any(d.compared and not d.within_tolerance for d in drift):
        return "drift", None
    not_compared = [d for d in drift if not d.compared]
    if not_compared:
        reason = "; ".join(f"output {d.output!r}: {d.problem}" for d in not_compared)
        return "not-validated", reason
    return "passed", None


def compare_outputs(
    samples: Samples,
    outputs: list[dict[str, np.ndarray]],
    tolerance: Tolerance,
    order_depends_on: dict[str, str] | None = None,
) -> list[OutputDrift]:
    """One OutputDrift per output of the original, in the original's order."""
    order_depends_on = order_depends_on or {}
    drifts = []
    for name in samples.output_names:
        if any(name not in sample for sample in outputs):
            drifts.append(
                OutputDrift(output=name, within_tolerance=False, problem="output missing")
            )
            continue
        drifts.append(
            compare_output(
                name,
                samples.reference(name),
                [o[name] for o in outputs],
                tolerance,
                order_depends_on=order_depends_on.get(name),
            )
        )
    return drifts
