"""Base → head: what a change to a model did to its converted files and its signature.

Pure functions of two Reports (main process, no TensorFlow): per artifact (target, variant)
the size, status, drift and latency on both sides; op types added and removed; input and
output changes, each judged breaking or not. Behaviour (the two originals on the same
inputs) is measured in a worker (convert/behaviour.py) and attached by run/base_run.py.
"""

from __future__ import annotations

from .artifact import Artifact
from .comparison_schema import ArtifactChange, Comparison, SignatureChange
from .plain_text import shape_text
from .schema import Report
from .source_info import TensorInfo


def describe(tensor: TensorInfo) -> str:
    """``image: float32 [?, 224, 224, 3]``."""
    return f"{tensor.name}: {tensor.dtype} {shape_text(tensor.shape)}"


def compare_reports(base: Report, head: Report) -> Comparison:
    """The ``changed`` comparison of two runs' reports (base and head both converted)."""
    base_ops, head_ops = set(base.source.op_counts), set(head.source.op_counts)
    return Comparison(
        status="changed",
        base_source_size_bytes=base.source.size_bytes,
        head_source_size_bytes=head.source.size_bytes,
        source_ops_added=sorted(head_ops - base_ops),
        source_ops_removed=sorted(base_ops - head_ops),
        signature_changes=[
            *signature_changes("input", base.source.inputs, head.source.inputs),
            *signature_changes("output", base.source.outputs, head.source.outputs),
        ],
        artifacts=artifact_changes(base, head),
        notes=random_original_notes(base, head),
    )


def random_original_notes(base: Report, head: Report) -> list[str]:
    """A note for each side whose original is not deterministic: the behaviour measured
    between the two originals then includes that randomness, not only the change."""
    notes = []
    for side, report in (("base", base), ("head", head)):
        found = report.validation.nondeterminism
        if found is not None:
            outputs = ", ".join(d.output for d in found.outputs)
            notes.append(
                f"the {side}'s original is not deterministic (two runs on the same sample differ "
                f"in {outputs}): the behaviour measured there includes its randomness, not only "
                "the change"
            )
    return notes


def artifact_changes(base: Report, head: Report) -> list[ArtifactChange]:
    """One row per (target, variant) of either report: the head's order, then base-only ones."""
    keys = [(a.target, a.variant) for a in head.artifacts]
    keys += [(a.target, a.variant) for a in base.artifacts if (a.target, a.variant) not in keys]
    rows = []
    for target, variant in keys:
        old, new = base.artifact(target, variant), head.artifact(target, variant)
        any_side = new or old
        assert any_side is not None
        rows.append(_artifact_change(any_side, old, new))
    return rows


def _artifact_change(key: Artifact, old: Artifact | None, new: Artifact | None) -> ArtifactChange:
    old_worst = old.worst_drift() if old else None
    new_worst = new.worst_drift() if new else None
    old_ops = set(old.coverage.output_op_counts) if old and old.coverage else set()
    new_ops = set(new.coverage.output_op_counts) if new and new.coverage else set()
    both_files = bool(old and old.coverage and new and new.coverage)
    old_size = old.size_bytes if old else None
    new_size = new.size_bytes if new else None
    return ArtifactChange(
        target=key.target,
        variant=key.variant,
        base_status=old.status if old else None,
        head_status=new.status if new else None,
        base_size_bytes=old_size,
        head_size_bytes=new_size,
        size_change=(new_size - old_size) / old_size if old_size and new_size is not None else None,
        base_max_abs=old_worst.max_abs if old_worst else None,
        head_max_abs=new_worst.max_abs if new_worst else None,
        base_cosine=old_worst.cosine if old_worst else None,
        head_cosine=new_worst.cosine if new_worst else None,
        base_latency_ms=old.latency_ms if old else None,
        head_latency_ms=new.latency_ms if new else None,
        ops_compared=both_files,
        ops_added=sorted(new_ops - old_ops) if both_files else [],
        ops_removed=sorted(old_ops - new_ops) if both_files else [],
    )


def signature_changes(
    io: str, base: list[TensorInfo], head: list[TensorInfo]
) -> list[SignatureChange]:
    """Inputs (``io="input"``) or outputs that differ, each with whether it breaks callers.

    Inputs: every one is required, so an added, removed or renamed input breaks callers, as
    does a dtype change or a shape that refuses inputs the base accepted (another rank, a
    fixed size changed, a dynamic dimension fixed). Outputs: removing, renaming, another
    dtype or a shape callers relied on (rank, a fixed size changed or made dynamic) breaks;
    a new output does not.
    """
    assert io in ("input", "output")
    is_input = io == "input"
    old = {t.name: t for t in base}
    new = {t.name: t for t in head}
    changes: list[SignatureChange] = []
    for name in sorted(old.keys() & new.keys()):
        changes += _same_name(io, old[name], new[name])
    removed = [old[n] for n in sorted(old.keys() - new.keys())]
    added = [new[n] for n in sorted(new.keys() - old.keys())]
    for gone in list(removed):
        # Renamed: a removed and an added one of the same dtype and shape, one to one.
        twins = [t for t in added if t.dtype == gone.dtype and t.shape == gone.shape]
        if len(twins) == 1:
            removed.remove(gone)
            added.remove(twins[0])
            changes.append(_change(io, twins[0].name, "renamed", gone, twins[0], True, "renamed"))
    for gone in removed:
        why = "callers that pass it fail" if is_input else "callers that read it fail"
        changes.append(_change(io, gone.name, "removed", gone, None, True, why))
    for extra in added:
        why = "callers must now pass it" if is_input else "new output; callers are not affected"
        changes.append(_change(io, extra.name, "added", None, extra, is_input, why))
    return changes


def _same_name(io: str, old: TensorInfo, new: TensorInfo) -> list[SignatureChange]:
    if old.dtype != new.dtype:
        why = f"dtype {old.dtype} → {new.dtype}"
        return [_change(io, new.name, "dtype", old, new, True, why)]
    if old.shape == new.shape:
        return []
    breaking, why = _shape_breaks(io, old.shape, new.shape)
    return [_change(io, new.name, "shape", old, new, breaking, why)]


def _shape_breaks(io: str, old: list[int | None], new: list[int | None]) -> tuple[bool, str]:
    shown = f"shape {shape_text(old)} → {shape_text(new)}"
    if len(old) != len(new):
        return True, f"{shown}: rank {len(old)} → {len(new)}"
    for axis, (was, now) in enumerate(zip(old, new, strict=True)):
        if was == now:
            continue
        if was is not None and now is not None:
            return True, f"{shown}: axis {axis} {was} → {now}"
        if io == "input" and was is None:
            return True, f"{shown}: axis {axis} was dynamic, now only {now}"
        if io == "output" and now is None:
            return True, f"{shown}: axis {axis} was {was}, now dynamic"
    if io == "input":
        return False, f"{shown}: accepts every input the base accepted"
    return False, f"{shown}: every size the base promised still holds"


def _change(
    io: str,
    name: str,
    change: str,
    old: TensorInfo | None,
    new: TensorInfo | None,
    breaking: bool,
    why: str,
) -> SignatureChange:
    return SignatureChange.model_validate(
        {
            "io": io,
            "name": name,
            "change": change,
            "base": describe(old) if old else None,
            "head": describe(new) if new else None,
            "breaking": breaking,
            "why": why,
        }
    )
