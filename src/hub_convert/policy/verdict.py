"""The run's verdict and exit code: which ``--fail-on`` rule failed for which artifact."""

from __future__ import annotations

from ..report.artifact import Artifact
from ..report.run_info import Verdict
from ..report.vocabulary import FailRule
from .device_rules import DeviceRule, device_failures


def broken_rules(artifact: Artifact, fail_on: list[FailRule]) -> list[FailRule]:
    """The ``--fail-on`` rules this artifact breaks."""
    broken: list[FailRule] = []
    coverage = artifact.coverage
    checks: dict[FailRule, bool] = {
        "error": artifact.status == "failed",
        "drift": artifact.status == "drift",
        "flex": bool(coverage and coverage.flex_ops),
        "unsupported-ops": bool(coverage and coverage.unsupported_ops),
        "not-validated": artifact.status == "not-validated",
    }
    for rule in fail_on:
        if checks[rule]:
            broken.append(rule)
    return broken


def decide(
    artifacts: list[Artifact], fail_on: list[FailRule], require: tuple[DeviceRule, ...] = ()
) -> Verdict:
    """The verdict: passed unless an artifact breaks one of the ``fail_on`` rules or of the
    ``require`` rules (where it must run; one line each)."""
    failures = []
    failing = 0
    for artifact in artifacts:
        rules = broken_rules(artifact, fail_on)
        if rules:
            failures.append(
                f"{artifact.target} {artifact.variant}: {artifact.status} (rule {', '.join(rules)})"
            )
        device_lines = device_failures(artifact, require)
        failures += device_lines
        failing += bool(rules or device_lines)
    counts: dict[str, int] = {}
    for artifact in artifacts:
        counts[artifact.status] = counts.get(artifact.status, 0) + 1
    tally = ", ".join(f"{n} {status}" for status, n in counts.items())
    if not artifacts:
        return Verdict(passed=False, line="no artifacts were requested", failures=[])
    if failures:
        return Verdict(
            passed=False,
            line=f"policy failed for {failing} of {len(artifacts)} artifacts ({tally})",
            failures=failures,
        )
    if counts.get("passed") == len(artifacts):
        return Verdict(passed=True, line=f"all {len(artifacts)} artifacts passed validation")
    return Verdict(passed=True, line=f"policy passed ({tally})")
