"""Render a Report as Markdown with the jinja2 templates shipped in the package.

Formatting only: every number comes from the Report; nothing is computed here except
presentation (units, rounding).
"""

from __future__ import annotations

import math

import jinja2

from .report import Artifact, OutputDrift, Report, shape_text


def human_bytes(value: int | None) -> str:
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.2f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


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
    if value is None:
        return "—"
    return f"{value:.3f} ms" if value < 1 else f"{value:.1f} ms"


def psnr(drift: OutputDrift) -> str:
    """PSNR in dB; ∞ for identical outputs (rmse 0), — when not measured."""
    if drift.psnr_db is not None:
        return f"{drift.psnr_db:.1f} dB"
    return "∞" if drift.rmse == 0 else "—"


def within(drift: OutputDrift) -> str:
    """The per-output verdict, with what failed or how it was compared."""
    if not drift.compared:
        return f"not compared: {drift.problem or 'nothing to compare'}"
    if drift.problem:
        return f"**no**: {drift.problem}"
    order = drift.order_insensitive
    if drift.within_tolerance:
        text = "yes"
        if drift.failed_checks and order is not None:
            text += f" (order-insensitive, {order.method}; order from {order.depends_on})"
    else:
        text = "**no**: " + "; ".join(drift.failed_checks)
        if order is not None:
            text += f" (also after matching rows, {order.method})"
    if drift.nonfinite:
        text += f"; {drift.nonfinite} at the same positions"
    return text


def top1(artifact: Artifact) -> str:
    """The lowest top-1 agreement over the artifact's classifier-like outputs."""
    values = [d.top1_agreement for d in artifact.drift if d.top1_agreement is not None]
    return ratio(min(values)) if values else "—"


def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def shape(dims: list[int | None] | None) -> str:
    return "—" if dims is None else shape_text(dims)


STATUS_BADGE = {
    "passed": "✅ passed",
    "drift": "⚠️ drift",
    "failed": "❌ failed",
    "not-validated": "➖ not validated",
}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("hub_convert", "templates"),
        autoescape=False,  # Markdown, not HTML; values are escaped with the md filter
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
        ms=milliseconds,
        cosine=cosine,
        psnr=psnr,
        top1=top1,
        within=lambda d: markdown_cell(within(d)),
        shape=shape,
        badge=lambda s: STATUS_BADGE.get(s, s),
        md=markdown_cell,
    )
    return env


def markdown_cell(value: object) -> str:
    """Make text safe inside a Markdown table cell (pipes, newlines, HTML brackets)."""
    text = str(value)
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", " ")
        .replace("\n", " ")
    )


def render_report(report: Report, *, details: bool = True) -> str:
    """The Markdown report (report.md, step summary, comment body).

    ``details=False`` drops the per-output and op tables, for bodies that must be short.
    """
    template = _environment().get_template("report.md.j2")
    return template.render(report=report, details=details)
