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

from ..policy.tolerances import REDERIVED_TOLERANCE
from ..report.artifact import Artifact, OutputDrift, Rederived, Tolerance
from ..report.vocabulary import Status
from .drift import compare_output
from .samples import Samples
from .specs import CutGraph, StagedArtifact
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
                drift = rederive_outputs(drift, job.cut_graphs, samples, outputs)
                status, reason = status_from_drift(drift)
    artifact = Artifact(
        target=job.target,
        variant=job.variant,
        status=status,
        reason=reason,
        tolerance=job.tolerance,
        drift=drift,
        coverage=candidate.coverage,
        made_by=candidate.made_by,
        input_shapes=candidate.input_shapes,
        conversion_seconds=candidate.conversion_seconds,
        validation_seconds=time.perf_counter() - started if candidate.staged else None,
        weight_types=candidate.weight_types,
        notes=candidate.notes,
        attempts=[*job.earlier_attempts, *candidate.attempts],
        mixed_precision=candidate.mixed_precision,
    )
    staged = candidate.staged if status != "failed" else None
    return StagedArtifact(artifact=artifact, staged=staged, file_name=job.file_name)


def status_from_drift(drift: list[OutputDrift]) -> tuple[Status, str | None]:
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


def rederive_outputs(
    drifts: list[OutputDrift],
    cut_graphs: dict[str, CutGraph],
    samples: Samples,
    outputs: list[dict[str, np.ndarray]],
) -> list[OutputDrift]:
    """``drifts`` with each order-dependent output that failed both comparisons re-derived
    (rederive.py): it passes when the original's post-processing, run on this file's own values
    of the outputs it is cut at, gives this file's output to float32 rounding
    (``REDERIVED_TOLERANCE``), and those outputs are within their own tolerance."""
    by_name = {d.output: d for d in drifts}
    result = []
    for drift in drifts:
        graph = cut_graphs.get(drift.output)
        if graph is None or drift.within_tolerance or not drift.compared or drift.problem:
            result.append(drift)
            continue
        feeding = [by_name.get(name) for name in graph.from_outputs]
        if not all(d is not None and d.compared and d.within_tolerance for d in feeding):
            result.append(drift)  # the decisions' inputs differ themselves: nothing to explain
            continue
        result.append(_rederived(drift, graph, samples, outputs))
    return result


def _rederived(
    drift: OutputDrift,
    graph: CutGraph,
    samples: Samples,
    outputs: list[dict[str, np.ndarray]],
) -> OutputDrift:
    from . import rederive

    try:
        expected = rederive.run(graph, samples.inputs, outputs)
    except Exception:  # the cut ran on the original's values in prepare; not on these
        return drift
    own = compare_output(
        drift.output, expected, [o[drift.output] for o in outputs], REDERIVED_TOLERANCE
    )
    matches = own.compared and own.within_tolerance and not own.problem
    rederived = Rederived(
        from_outputs=graph.from_outputs,
        decided_by=graph.decided_by,
        max_abs=own.max_abs,
        cosine=own.cosine,
        within_tolerance=matches,
    )
    return drift.model_copy(update={"rederived": rederived, "within_tolerance": matches})
