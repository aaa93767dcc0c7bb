"""The comparison with a base: the base model evaluated the same way as the head, its report
diffed with the head's, and its original run on the head's validation inputs.

Main process, no TensorFlow: the base goes through the ordinary pipeline (pipeline.run) with
its files in a scratch directory that is thrown away; only its report.json text is kept, in a
cache keyed by the base model's content hash and the settings, so the next run of the same
pull request converts only the head. The behaviour comparison is behaviour.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import BadInputError, HubConvertError
from ..fsutil import write_atomic
from ..report.compare import compare_reports
from ..report.comparison_schema import Comparison
from ..report.schema import Report
from .behaviour import measure_behaviour
from .config import ConvertConfig
from .model_files import content_hash
from .pipeline import run

Log = Callable[[str], None]


@dataclass(frozen=True)
class Base:
    """The model to compare with. ``model`` None: there is none (new in this change), with
    ``reason`` set: there is one, but it could not be obtained."""

    model: str | None
    label: str
    commit: str | None = None
    reason: str | None = None


def default_cache(env: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME/hub-convert/base-reports``, else under ``~/.cache``. In the Action,
    HOME is /github/home (``${{ runner.temp }}/_github_home``): actions/cache can keep it."""
    root = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(root) / "hub-convert" / "base-reports"


def compare_with_base(
    config: ConvertConfig,
    base: Base,
    base_hash: str | None,
    head: Report,
    head_samples: Path,
    cache: Path | None,
    log: Log,
    debug: bool,
) -> Comparison:
    """The head's report compared with the base's (converted, or from ``cache``), with the
    behaviour of both originals on ``head_samples``; "not-compared" when the base fails."""
    assert base.model is not None
    base_config = dataclasses.replace(config, model=base.model, command="")
    try:
        base_text, cached = _base_report(base_config, base_hash, cache, log, debug)
    except HubConvertError as exc:
        log(f"the base model could not be evaluated: {exc}")
        return Comparison(status="not-compared", reason=f"the base model: {exc}")
    base_report = Report.model_validate_json(base_text)
    comparison = compare_reports(base_report, head).model_copy(
        update={
            "base_report_sha256": hashlib.sha256(base_text.encode()).hexdigest(),
            "base_report_cached": cached,
        }
    )
    behaviour = measure_behaviour(base_config, base_report, head_samples, log, debug)
    return comparison.model_copy(update={"behaviour": behaviour})


def cache_key(config: ConvertConfig, base_hash: str) -> str:
    """What decides the base's report: its files, the tool's version and every setting that
    changes what is converted or measured (not where files go, nor how many workers)."""
    settings = dataclasses.asdict(config)
    for name in ("model", "output_dir", "command", "jobs", "timeout", "max_memory"):
        settings.pop(name)
    data = settings.pop("representative_data")
    settings["representative_data"] = content_hash(str(data)) if data else None
    text = json.dumps([__version__, base_hash, settings], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _base_report(
    config: ConvertConfig, base_hash: str | None, cache: Path | None, log: Log, debug: bool
) -> tuple[str, bool]:
    """The base's report.json text, and whether it came from the cache."""
    key = cache_key(config, base_hash) if base_hash is not None else None
    cached = cache / f"{key}.json" if cache is not None and key is not None else None
    if cached is not None and cached.is_file():
        text = cached.read_text(encoding="utf-8")
        try:
            Report.model_validate_json(text)
        except ValueError:
            log(f"ignoring the unreadable cached base report {cached}")
        else:
            log(f"base report from the cache: {cached}")
            return text, True
    with tempfile.TemporaryDirectory(prefix="hub-convert-base-") as scratch:
        log(f"converting the base model {config.model} for the comparison")
        base_config = dataclasses.replace(config, output_dir=Path(scratch) / "out")
        # The text report.json would hold: the cache and the comparison's hash are of it.
        text = run(base_config, lambda line: log(f"[base] {line}"), debug=debug).to_json()
    if cached is not None:
        try:
            write_atomic(cached, text)
        except BadInputError as exc:  # a cache that cannot be written only costs time
            log(f"base report not cached: {exc}")
    return text, False
