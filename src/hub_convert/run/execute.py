"""The run spine every entry point uses (the CLI, the Action, each of several models): one
conversion, compared with a base when there is one, and the report files written once.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from ..fsutil import write_atomic
from ..report.comparison_schema import Comparison
from ..report.render import render_report
from ..report.schema import Report
from .base_run import Base, compare_with_base
from .config import ConvertConfig
from .model_files import content_hash
from .pipeline import run

Log = Callable[[str], None]


def execute(
    config: ConvertConfig,
    log: Log,
    *,
    base: Base | None = None,
    cache: Path | None = None,
    debug: bool = False,
    notice: Log | None = None,
) -> Report:
    """Convert ``config.model``; with a ``base``, add the comparison with it (the base's
    report kept in ``cache``; a cache entry not used is said through ``notice``, default
    ``log``). Writes the artifacts, report.json and report.md; returns the Report."""
    if base is None:
        report = run(config, log, debug=debug)
    else:
        report = _with_base(config, base, log, cache, debug, notice or log)
    write_report_files(report, config.output_dir)
    return report


def write_report_files(report: Report, output_dir: Path) -> None:
    """report.json and report.md in ``output_dir``, each atomically."""
    write_atomic(output_dir / "report.json", report.to_json())
    write_atomic(output_dir / "report.md", render_report(report))


def verdict_line(report: Report) -> str:
    """``PASSED: …`` or ``FAILED: …``: the verdict in the line both entry points print."""
    verdict = report.verdict
    return ("PASSED: " if verdict.passed else "FAILED: ") + verdict.line


def _with_base(
    config: ConvertConfig, base: Base, log: Log, cache: Path | None, debug: bool, notice: Log
) -> Report:
    """The head's run, its report completed with the comparison with ``base``."""
    head_hash = content_hash(config.model)
    base_hash = content_hash(base.model) if base.model is not None else None
    comparison: Comparison
    if base.model is None:
        report = run(config, log, debug=debug)
        if base.reason:
            comparison = Comparison(status="not-compared", reason=base.reason)
        else:
            comparison = Comparison(status="new")
    elif head_hash is not None and head_hash == base_hash:
        log(f"the model's files are the same as at {base.label}: not converting the base")
        report = run(config, log, debug=debug)
        comparison = Comparison(status="unchanged")
    else:
        with tempfile.TemporaryDirectory(prefix="hub-convert-compare-") as scratch:
            samples = Path(scratch) / "head_samples.npz"
            report = run(config, log, debug=debug, keep_samples=samples)
            comparison = compare_with_base(
                config, base, base_hash, report, samples, cache, log, debug, notice
            )
    comparison = comparison.model_copy(
        update={
            "base": base.label,
            "base_commit": base.commit,
            "base_content_sha256": base_hash,
            "head_content_sha256": head_hash,
        }
    )
    return report.model_copy(update={"comparison": comparison})
