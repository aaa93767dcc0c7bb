"""Render a Report as Markdown with the jinja2 templates shipped in the package.

Formatting only: every number comes from the Report; nothing is computed here except
presentation (units, rounding). Every value a template writes is escaped as Markdown text
(``markdown_safety.markdown_text``) unless a filter escaped it for its own place: ``code`` and
``cell_code`` for code spans, ``fenced`` for a code block, ``html_text`` inside HTML tags.
"""

from __future__ import annotations

import math

import jinja2

from ..units import human_bytes
from .artifact import Artifact, OutputDrift
from .markdown_safety import (
    Safe,
    fenced_block,
    html_text,
    markdown_code,
    markdown_table_code,
    markdown_text,
)
from .plain_text import shape_text
from .run_info import StageTime
from .schema import Report
from .summary import coverage_rows, tolerance_marker, tolerance_rules


def metric(value: float | None, digits: int = 3) -> str:
    """A metric in scientific notation when small, fixed otherwise; — when not measured."""
    if value is None:
        return "—"
    if math.isnan(value):
        return "NaN"
    if value == 0:
        return "0"
    if abs(value) < 1e-2 or abs(value) >= 1e4:
        return f"{value:.{digits - 1}e}"
    return f"{value:.{digits + 1}f}".rstrip("0").rstrip(".")


def ratio(value: float | None) -> str:
    """A share as a percentage with one decimal; — when not measured."""
    return "—" if value is None else f"{value:.1%}"


def cosine(value: float | None) -> str:
    """Cosine similarity; close to 1 it is shown as 1 − gap, which is what matters there."""
    if value is None:
        return "—"
    if value >= 1.0:
        return "1"
    if value > 0.999:
        return f"1 − {1.0 - value:.1e}"
    return f"{value:.4f}"


def milliseconds(value: float | None) -> str:
    """A latency: three decimals under 1 ms, one above; — when not measured."""
    if value is None:
        return "—"
    return f"{value:.3f} ms" if value < 1 else f"{value:.1f} ms"


def psnr(drift: OutputDrift) -> str:
    """PSNR in dB; ∞ for identical outputs (rmse 0), — when not measured."""
    if drift.psnr_db is not None:
        return f"{drift.psnr_db:.1f} dB"
    return "∞" if drift.rmse == 0 else "—"


def within(drift: OutputDrift) -> Safe:
    """The per-output verdict, with what failed or how it was compared: Markdown for a table
    cell, the report's texts escaped (``markdown_text``) around the template's own bold."""
    text = markdown_text
    if not drift.compared:
        return Safe("not compared: " + text(drift.problem or "nothing to compare"))
    if drift.problem:
        return Safe("**no**: " + text(drift.problem))
    order, rederived = drift.order_insensitive, drift.rederived
    if drift.within_tolerance:
        verdict = "yes"
        if drift.within_as_a_whole:
            verdict += (
                f" ({text('; '.join(drift.failed_checks))}, but {text(drift.within_as_a_whole)})"
            )
        elif rederived is not None and rederived.within_tolerance:
            verdict += " (" + rederivation(drift) + ")"
        elif drift.failed_checks and order is not None:
            verdict += f" (order-insensitive, {text(order.method)}; order from "
            verdict += f"{text(order.depends_on)})"
    else:
        verdict = "**no**: " + text("; ".join(drift.failed_checks))
        if order is not None:
            verdict += f" (also after matching rows, {text(order.method)})"
        if rederived is not None:
            verdict += "; " + rederivation(drift)
    if drift.nonfinite:
        verdict += f"; {text(drift.nonfinite)} at the same positions"
    return Safe(verdict)


def rederivation(drift: OutputDrift) -> Safe:
    """What re-deriving an order-dependent output from the file's own outputs showed, for a
    table cell: escaped report text, the template's own words."""
    rederived = drift.rederived
    if rederived is None:
        return Safe("")
    text = markdown_text
    own = ", ".join(markdown_table_code(name) for name in rederived.from_outputs)
    measured = f"max abs {metric(rederived.max_abs)}"
    if rederived.within_tolerance:
        return Safe(
            f"re-derived: the original's post-processing on this file's own {own} gives its "
            f"output, {measured}; as compared, it differs where near-ties decide "
            f"{text(rederived.decided_by)} on the validation inputs"
        )
    return Safe(
        f"re-derived by the original's post-processing from this file's own {own}: still "
        f"differs, {measured}"
    )


def top1(artifact: Artifact) -> str:
    """The lowest top-1 agreement over the artifact's classifier-like outputs."""
    values = [d.top1_agreement for d in artifact.drift if d.top1_agreement is not None]
    return ratio(min(values)) if values else "—"


def change(base: float | None, head: float | None) -> str:
    """The relative change base → head, signed: ``(+12.5%)``, ``(−3.0%)``; empty when unknown."""
    if base is None or head is None or not base or math.isnan(base) or math.isnan(head):
        return ""
    delta = (head - base) / abs(base)
    if abs(delta) < 0.0005:
        return "(±0%)"
    return f"({'+' if delta > 0 else '−'}{abs(delta):.1%})"


def seconds(value: float | None) -> str:
    """A duration in seconds, one decimal; — when not measured."""
    return "—" if value is None else f"{value:.1f} s"


def shape(dims: list[int | None] | None) -> str:
    """``[?, 224, 224, 3]``: only digits and ``?``, so written as it is (``Safe``)."""
    return Safe("—" if dims is None else shape_text(dims))


STAGE_NAMES = {
    "resolve": "resolve the model argument",
    "start": "start workers (import TensorFlow)",
    "materialize": "make the SavedModel",
    "scan": "scan the graphs for unsafe ops",
    "load": "load the model in TensorFlow",
    "reference": "run the original on the samples",
    "export": "save the signature at the validation shape",
    "convert": "convert",
    "validate": "validate",
    "localize": "localize the drift, layer by layer",
    "latency": "latency",
    "report": "write the files",
}


def stage(item: StageTime) -> str:
    """What a stage did, and on which artifact: ``convert tflite float16``."""
    name = STAGE_NAMES.get(item.stage, item.stage)
    if item.target is not None:
        return f"{name} {item.target} {item.variant or ''}".rstrip()
    return f"{name} (TensorFlow)" if item.stage == "latency" else name


STATUS_BADGE = {
    "passed": "✅ passed",
    "drift": "⚠️ drift",
    "failed": "❌ failed",
    "not-validated": "➖ not validated",
}


def _escape_by_default(value: object) -> str:
    """Jinja's finalize: what no filter escaped is escaped as Markdown text."""
    return value if isinstance(value, Safe) else markdown_text(value)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("hub_convert.templates", "."),
        autoescape=False,  # Markdown, not HTML: finalize escapes for Markdown instead
        finalize=_escape_by_default,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        human_bytes=human_bytes,
        metric=metric,
        ratio=ratio,
        seconds=seconds,
        stage=stage,
        ms=milliseconds,
        cosine=cosine,
        psnr=psnr,
        top1=top1,
        within=within,
        shape=shape,
        badge=lambda s: STATUS_BADGE.get(s, s),
        code=markdown_code,
        cell_code=markdown_table_code,
        fenced=fenced_block,
        html_text=html_text,
    )
    env.globals["newline"] = Safe("\n")
    env.globals["change"] = change
    env.globals["tolerance_rules"] = tolerance_rules
    env.globals["tolerance_marker"] = tolerance_marker
    env.globals["coverage_rows"] = coverage_rows
    return env


def render_report(report: Report, *, details: bool = True) -> str:
    """The Markdown report (report.md, step summary, comment body).

    ``details=False`` drops the per-output and op tables, for bodies that must be short.
    """
    template = _environment().get_template("report.md.j2")
    return template.render(report=report, details=details)
