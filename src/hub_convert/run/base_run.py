"""The comparison with a base: the base model evaluated the same way as the head, its report
diffed with the head's, and its original run on the head's validation inputs.

Main process, no TensorFlow: the base goes through the ordinary pipeline (pipeline.run) with
its files in a scratch directory that is thrown away; only its report.json text is kept, in a
cache keyed by the base model's content hash and the settings (base_cache.py), so the next run
of the same pull request converts only the head. A converted base's behaviour is measured by
the workers that converted it. A cached report is believed only as far as the base model itself
confirms it: the behaviour run (behaviour.py) reads the base's tag set, signature, inputs and
outputs, and an entry that claims others is discarded and the base converted again.

Worker processes are never shared between the head and the base: the head's pool has stopped
before the base's starts, and no work on the base is given to a pool that ran the head.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..convert.specs import PreparedSource
from ..errors import BadInputError, HubConvertError
from ..report.compare import compare_reports
from ..report.comparison_schema import Comparison
from ..report.schema import Report
from ..sources.source_model import SourceModel
from .base_cache import CacheEntry, CacheEntryError, cache_entry, read_entry, write_entry
from .behaviour import MeasuredBehaviour, measure_behaviour, measure_in_base_run
from .config import ConvertConfig
from .pipeline import run
from .stages import Stages

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
    notice: Log | None = None,
) -> Comparison:
    """The head's report compared with the base's (converted, or from ``cache`` when the base
    model confirms it), with the behaviour of both originals on ``head_samples``;
    "not-compared" when the base fails. ``notice``: where a discarded cache entry is said
    (default ``log``)."""
    assert base.model is not None
    notice = notice or log
    base_config = dataclasses.replace(config, model=base.model, command="")
    entry = cache_entry(base_config, base_hash, cache)
    try:
        base_text = _cached_report(entry, log, notice)
        cached = base_text is not None
        if base_text is not None:
            base_report = Report.model_validate_json(base_text)
            measured = measure_behaviour(
                base_config, base_report, head_samples, log, debug, check_interface=True
            )
            if measured.interface_problem is not None:
                assert entry is not None
                notice(
                    f"ignoring the cached base report {entry.path.name}: "
                    f"{measured.interface_problem}; converting the base again"
                )
                cached = False
                base_text = None
        if base_text is None:
            base_text, measured = _convert_base(base_config, entry, head_samples, log, debug)
            base_report = Report.model_validate_json(base_text)
    except HubConvertError as exc:
        log(f"the base model could not be evaluated: {exc}")
        return Comparison(status="not-compared", reason=f"the base model: {exc}")
    return compare_reports(base_report, head).model_copy(
        update={
            "base_report_sha256": hashlib.sha256(base_text.encode()).hexdigest(),
            "base_report_cached": cached,
            "behaviour": measured.behaviour,
        }
    )


def _cached_report(entry: CacheEntry | None, log: Log, notice: Log) -> str | None:
    """The base's report.json text from the cache, or None (no entry, or one not usable)."""
    if entry is None or not entry.path.is_file():
        return None
    try:
        text = read_entry(entry)
    except CacheEntryError as exc:
        notice(f"ignoring the cached base report {entry.path.name}: {exc}")
        return None
    log(f"base report from the cache: {entry.path}")
    return text


def _convert_base(
    config: ConvertConfig, entry: CacheEntry | None, head_samples: Path, log: Log, debug: bool
) -> tuple[str, MeasuredBehaviour]:
    """The base's report.json text from a conversion into a scratch directory (cached), and
    its original's behaviour on ``head_samples``, measured in the same worker pool."""
    # The pool that converted the base measures its behaviour too: one TensorFlow import fewer.
    # Never the head's pool: a model's code can tamper with the workers it runs in, and a
    # hostile head model could then forge the base's numbers the comparison rests on.
    measured: list[MeasuredBehaviour] = []

    def behaviour(stages: Stages, source: SourceModel, prepared: PreparedSource) -> None:
        measured.append(measure_in_base_run(stages, source, prepared, head_samples, log))

    with tempfile.TemporaryDirectory(prefix="hub-convert-base-") as scratch:
        log(f"converting the base model {config.model} for the comparison")
        base_config = dataclasses.replace(config, output_dir=Path(scratch) / "out")
        # The text report.json would hold: the cache and the comparison's hash are of it.
        text = run(
            base_config, lambda line: log(f"[base] {line}"), debug=debug, then=behaviour
        ).to_json()
    if entry is not None:
        try:
            write_entry(entry, text)
        except BadInputError as exc:  # a cache that cannot be written only costs time
            log(f"base report not cached: {exc}")
    return text, measured[0]
