"""The corpus's totals: how many models and artifacts ended which way."""

from __future__ import annotations

from typing import Any


def totals(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The counts RESULTS.md and results.json give for ``records``."""

    def float32_all_passed(r: dict[str, Any]) -> bool:
        f32 = [a for a in r.get("artifacts", []) if a["variant"] == "float32"]
        return bool(f32) and all(a["status"] == "passed" for a in f32)

    def any_status(r: dict[str, Any], status: str) -> bool:
        return any(a["status"] == status for a in r.get("artifacts", []))

    artifact_counts: dict[str, int] = {}
    for r in records:
        for a in r.get("artifacts", []):
            artifact_counts[a["status"]] = artifact_counts.get(a["status"], 0) + 1
    return {
        "models": len(records),
        "every_float32_passed": sum(float32_all_passed(r) for r in records),
        "every_artifact_passed": sum(
            bool(r.get("artifacts")) and all(a["status"] == "passed" for a in r["artifacts"])
            for r in records
        ),
        "exit_0": sum(r.get("outcome") == "passed" for r in records),
        "with_drift": sum(any_status(r, "drift") for r in records),
        "with_failed": sum(any_status(r, "failed") for r in records),
        "exit_2": sum(r.get("outcome") == "exit 2" for r in records),
        "exit_1_no_report": sum(r.get("outcome") == "exit 1" for r in records),
        "crash": sum(r.get("outcome") == "crash" for r in records),
        "timeout": sum(r.get("outcome") == "timeout" for r in records),
        "fetch_failed": sum(r.get("outcome") == "fetch-failed" for r in records),
        "artifacts": artifact_counts,
        "seconds": round(sum(r.get("total_seconds") or 0.0 for r in records), 1),
    }
