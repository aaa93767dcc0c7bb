"""Randomness and the verdict: a file compared with an original that is not deterministic is
``not-validated`` (the recorded outputs are one draw among many, so no file can be blamed for
differing from them); a file that carries stateful random ops gets a note, never a verdict."""

from __future__ import annotations

from ..report.artifact import Artifact
from ..report.run_info import Nondeterminism

# TensorFlow ops that draw from a kernel's own random state: a new draw on every run.
STATEFUL_RANDOM_OPS = frozenset(
    {
        "RandomUniform",
        "RandomUniformInt",
        "RandomStandardNormal",
        "TruncatedNormal",
        "ParameterizedTruncatedNormal",
        "RandomGamma",
        "RandomPoisson",
        "RandomPoissonV2",
        "RandomShuffle",
        "RandomCrop",
        "Multinomial",
        "StatefulUniform",
        "StatefulUniformInt",
        "StatefulUniformFullInt",
        "StatefulStandardNormal",
        "StatefulStandardNormalV2",
        "StatefulTruncatedNormal",
        "StatefulRandomBinomial",
        "NonDeterministicInts",
        "SampleDistortedBoundingBox",
        "SampleDistortedBoundingBoxV2",
        "UniformCandidateSampler",
        "LogUniformCandidateSampler",
        "LearnedUnigramCandidateSampler",
        "ThreadUnsafeUnigramCandidateSampler",
        "FixedUnigramCandidateSampler",
        "AllCandidateSampler",
    }
)
# Random ops as each converted format names them; TFLite's Flex ops keep the TensorFlow op's
# name behind "Flex". A Dropout node is deterministic at inference: not listed.
RANDOM_FILE_OPS = frozenset(
    {
        "RandomUniform",
        "RandomUniformLike",
        "RandomNormal",
        "RandomNormalLike",
        "Multinomial",
        "Bernoulli",
        "RANDOM_UNIFORM",
        "RANDOM_STANDARD_NORMAL",
        "MULTINOMIAL",
    }
)
# What is left to judge on: only these can become not-validated.
_COMPARED_STATUSES = ("passed", "drift")


def nondeterminism_reason(found: Nondeterminism) -> str:
    """One line: how the two runs of the original differ, the random ops, what to do."""
    by = ", ".join(
        f"{d.max_abs:.3g} in {d.output}" if d.max_abs is not None else d.output
        for d in found.outputs
    )
    ops = (
        f"random ops: {', '.join(found.random_ops)}"
        if found.random_ops
        else "no stateful random op found on its path"
    )
    return (
        f"the original is not deterministic: two runs on the same sample differ by {by} "
        f"({ops}); feed inputs that make it deterministic with --representative-data (e.g. a "
        "dropout keep probability of 1), or export the model without its training-time "
        "randomness"
    )


def judge_against_random_original(artifact: Artifact, found: Nondeterminism | None) -> Artifact:
    """``artifact`` as not-validated when it was compared on an output the original gives
    differently from run to run; unchanged otherwise (its drift measurements are kept)."""
    if found is None or artifact.status not in _COMPARED_STATUSES:
        return artifact
    random_outputs = {d.output for d in found.outputs}
    if not any(d.compared and d.output in random_outputs for d in artifact.drift):
        return artifact
    reason = nondeterminism_reason(found)
    return artifact.model_copy(update={"status": "not-validated", "reason": reason})


def is_random_file_op(op: str) -> bool:
    """Whether a converted file's op type (ONNX, TFLite builtin or Flex) draws random values."""
    return op in RANDOM_FILE_OPS or (op.startswith("Flex") and op[4:] in STATEFUL_RANDOM_OPS)


def random_ops_note(artifact: Artifact) -> Artifact:
    """``artifact`` with a note when the file it describes contains stateful random ops."""
    counts = artifact.coverage.output_op_counts if artifact.coverage else {}
    random = {op: n for op, n in sorted(counts.items()) if is_random_file_op(op)}
    if not random:
        return artifact
    listed = ", ".join(f"{op} ×{n}" if n > 1 else op for op, n in random.items())
    note = (
        f"the file contains stateful random ops ({listed}): its outputs are random at run "
        "time, each run can differ (validation ran it once per sample)"
    )
    return artifact.model_copy(update={"notes": [*artifact.notes, note]})
