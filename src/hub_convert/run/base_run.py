"""A run with a base: convert the head as usual, evaluate the base model the same way, and add
the base → head ``comparison`` to the head's report.json and report.md.

Main process, no TensorFlow: the base goes through the ordinary pipeline (pipeline.run) with
its files in a scratch directory that is thrown away; only its report.json is kept, in a
cache keyed by the base model's content hash and the settings, so the next run of the same
pull request converts only the head. The behaviour comparison (base and head originals on the
head's validation inputs) is one more worker task (convert/behaviour.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import __version__, sources
from ..convert.specs import BehaviourSpec
from ..convert.tasks import compare_behaviour, initialize_worker, materialize_source, scan_source
from ..errors import BadInputError, HubConvertError
from ..fsutil import write_atomic
from ..report.compare import compare_reports
from ..report.comparison_schema import Behaviour, Comparison
from ..report.render import render_report
from ..report.schema import Report
from ..safety import unsafe_ops
from ..sources.hub import cache_dir
from ..workers import isolation
from ..workers.pool import TaskError, WorkerFailure, WorkerPool
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


def run_with_base(
    config: ConvertConfig,
    base: Base,
    log: Log,
    *,
    cache: Path | None = None,
    debug: bool = False,
) -> Report:
    """The head's run (pipeline.run), its report completed with the comparison with ``base``."""
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
            comparison = _compare(config, base, base_hash, report, samples, cache, log, debug)
    comparison = comparison.model_copy(
        update={
            "base": base.label,
            "base_commit": base.commit,
            "base_content_sha256": base_hash,
            "head_content_sha256": head_hash,
        }
    )
    report = report.model_copy(update={"comparison": comparison})
    write_atomic(config.output_dir / "report.json", report.to_json())
    write_atomic(config.output_dir / "report.md", render_report(report))
    return report


def _compare(
    config: ConvertConfig,
    base: Base,
    base_hash: str | None,
    head: Report,
    head_samples: Path,
    cache: Path | None,
    log: Log,
    debug: bool,
) -> Comparison:
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
        run(base_config, lambda line: log(f"[base] {line}"), debug=debug)
        text = (base_config.output_dir / "report.json").read_text(encoding="utf-8")
    if cached is not None:
        try:
            write_atomic(cached, text)
        except BadInputError as exc:  # a cache that cannot be written only costs time
            log(f"base report not cached: {exc}")
    return text, False


def measure_behaviour(
    config: ConvertConfig, base: Report, head_samples: Path, log: Log, debug: bool
) -> Behaviour:
    """Run the base's original on the head's validation inputs in a worker; compare outputs."""
    log("running the base model on the head's validation inputs")
    user = isolation.worker_user()
    work_dir = Path(tempfile.mkdtemp(prefix="hub-convert-behaviour-"))
    log_path = None if debug else work_dir / "tensorflow.log"
    try:
        source = sources.resolve(
            config.model,
            work_dir=work_dir,
            kind=config.source_kind,
            allow_unsafe=config.allow_unsafe,
        )
        samples = work_dir / "samples.npz"
        shutil.copyfile(head_samples, samples)
        shared = [cache_dir()] if source.kind == "hub" else []
        initargs = (log_path, config.memory_limit(1))
        with (
            isolation.lent_to(user, work_dir, shared),
            WorkerPool(1, config.timeout, initialize_worker, initargs, user) as pool,
        ):
            if source.materializer is not None:
                args = (source.materializer, source.saved_model_dir, log_path)
                pool.result(pool.submit(materialize_source, *args))
            found, _ = pool.result(pool.submit(scan_source, source.saved_model_dir, log_path))
            unsafe_ops.check(
                source.display_path,
                [*source.unsafe_ops, *found],
                allowed=config.allow_unsafe_ops,
                log=log,
            )
            spec = BehaviourSpec(
                saved_model_dir=source.saved_model_dir,
                tags=tuple(base.source.tags),
                signature=base.source.signature,
                samples_path=samples,
                log_path=log_path,
            )
            return pool.result(pool.submit(compare_behaviour, spec))
    except (HubConvertError, TaskError, WorkerFailure) as exc:
        log(f"behaviour not compared: {exc}")
        return Behaviour(compared=False, reason=str(exc))
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
