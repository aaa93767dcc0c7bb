"""What the first screen of report.md shows compactly: each tolerance rule once, with a marker
the artifact rows point at, and op coverage as one row per file.

Only selection and counting; the template formats and escapes every value.
"""

from __future__ import annotations

from dataclasses import dataclass

from .artifact import Artifact
from .schema import Report

_SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹"


@dataclass(frozen=True)
class ToleranceRule:
    """One distinct tolerance, stated once below the first table."""

    marker: str
    rule: str
    artifacts: tuple[str, ...]  # "tflite float32", ... in report order


@dataclass(frozen=True)
class CoverageRow:
    """One file's op coverage: counts first, names of what stands out."""

    artifact: str
    converted: int
    total: int
    flex_ops: tuple[str, ...]
    unsupported_ops: tuple[str, ...]
    added_ops: tuple[str, ...]  # op types this file has that its target's reference file lacks


def _label(artifact: Artifact) -> str:
    return f"{artifact.target} {artifact.variant}"


def _marker(index: int) -> str:
    return _SUPERSCRIPTS[index] if index < len(_SUPERSCRIPTS) else f"[{index + 1}]"


def tolerance_rules(report: Report) -> list[ToleranceRule]:
    """The distinct tolerances of the artifacts that were compared, in order of first use."""
    rules: dict[str, list[str]] = {}
    for artifact in report.artifacts:
        if artifact.drift:
            rules.setdefault(artifact.tolerance.describe(), []).append(_label(artifact))
    return [
        ToleranceRule(marker=_marker(index), rule=rule, artifacts=tuple(labels))
        for index, (rule, labels) in enumerate(rules.items())
    ]


def tolerance_marker(report: Report, artifact: Artifact) -> str:
    """The marker of the rule this artifact was judged by ('' when it was not compared)."""
    for rule in tolerance_rules(report):
        if _label(artifact) in rule.artifacts:
            return rule.marker
    return ""


def _reference(report: Report, artifact: Artifact) -> Artifact | None:
    """The file of the same target the others are compared with: float32, else the first."""
    same = [a for a in report.artifacts if a.target == artifact.target and a.coverage]
    plain = [a for a in same if a.variant == "float32"]
    chosen = plain or same
    return chosen[0] if chosen else None


def coverage_rows(report: Report) -> list[CoverageRow]:
    """One row per converted file with op coverage."""
    total = len(report.source.op_counts)
    rows = []
    for artifact in report.artifacts:
        coverage = artifact.coverage
        if coverage is None:
            continue
        reference = _reference(report, artifact)
        added: tuple[str, ...] = ()
        if reference is not None and reference is not artifact and reference.coverage:
            mine, theirs = coverage.output_op_counts, reference.coverage.output_op_counts
            added = tuple(sorted(set(mine) - set(theirs)))
        rows.append(
            CoverageRow(
                artifact=_label(artifact),
                converted=len(coverage.converted_ops),
                total=total,
                flex_ops=tuple(coverage.flex_ops),
                unsupported_ops=tuple(u.op for u in coverage.unsupported_ops),
                added_ops=added,
            )
        )
    return rows
