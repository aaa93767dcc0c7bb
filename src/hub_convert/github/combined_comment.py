"""One comment for several models (the ``models`` input): a table of every model, then a
section per converted model, collapsed when it passed with no breaking change.

Model paths come from the workflow's inputs, report text from report.json: both escaped as
everywhere else (markdown_safety.py); the marker is the first line only (comment_body.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..report.markdown_safety import html_text, markdown_table_code, markdown_text
from ..report.render import STATUS_BADGE, render_report
from ..report.schema import Report
from .comment_body import COMMENT_LIMIT, comment_marker, fit_comment

ModelState = Literal["converted", "unchanged", "deleted"]


@dataclass(frozen=True)
class ModelSection:
    """One model of the run: its path, what happened to it, and its report when converted."""

    model: str
    state: ModelState
    report: Report | None = None
    base: str | None = None


def _result(section: ModelSection) -> str:
    if section.state == "unchanged":
        return "unchanged since the base " + markdown_text(section.base or "") + ", not converted"
    if section.state == "deleted":
        return (
            "**deleted** in this change (present at the base "
            + markdown_text(section.base or "")
            + ")"
        )
    report = section.report
    assert report is not None
    parts = [STATUS_BADGE["passed"] if report.verdict.passed else STATUS_BADGE["failed"]]
    comparison = report.comparison
    if comparison is not None:
        parts.append(
            {"changed": "changed", "new": "new", "unchanged": "files unchanged"}.get(
                comparison.status, "not compared with the base"
            )
        )
        if comparison.breaking:
            parts.append("**⚠️ breaking change**")
    return " · ".join(parts)


def combined_markdown(sections: list[ModelSection], *, details: bool) -> str:
    """The several models' report: the overview table, then each converted model's report."""
    converted = [s for s in sections if s.report is not None]
    lines = [
        f"## hub-convert: {len(sections)} models, {len(converted)} converted",
        "",
        "| model | result |",
        "|---|---|",
        *(f"| {markdown_table_code(s.model)} | {_result(s)} |" for s in sections),
        "",
    ]
    for section in converted:
        assert section.report is not None
        rendered = render_report(section.report, details=details).rstrip()
        comparison = section.report.comparison
        quiet = section.report.verdict.passed and not (comparison and comparison.breaking)
        if quiet:
            summary = html_text(f"{section.model}: passed")
            lines += [f"<details><summary>{summary}</summary>", "", rendered, "", "</details>", ""]
        else:
            lines += [rendered, ""]
    return "\n".join(lines)


def build_combined_comment_body(
    sections: list[ModelSection],
    *,
    key: str,
    run_url: str | None,
    artifact_url: str | None = None,
    limit: int = COMMENT_LIMIT,
) -> str:
    """Marker + the several models' report + footer, within ``limit`` (comment_body.fit_comment)."""
    full = combined_markdown(sections, details=True)
    short = combined_markdown(sections, details=False) if len(full) + 200 > limit else full
    return fit_comment(
        comment_marker(key), full, short, run_url=run_url, artifact_url=artifact_url, limit=limit
    )
