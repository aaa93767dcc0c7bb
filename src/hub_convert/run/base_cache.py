"""The base report cache: the base run's report.json text kept under a key of what decides it
(the base model's files, the settings, the tool's version), so the next run of the same pull
request converts only the head.

The cache is untrusted input: in the Action, actions/cache restores it, and a pull request's
job may have saved it. An entry is read with the same bounds as any report.json, bound to what
it describes (the key's parts are stored in it and checked again), and carries the sha256 of
the report the run wrote. That checksum detects a damaged entry, not a forged one: anyone who
can write the cache can compute it. What a forged entry could claim about the base's interface
is checked against the base model itself (base_run.py). No TensorFlow.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import BadInputError
from ..fsutil import write_atomic
from ..report.limits import MAX_REPORT_BYTES, UNTRUSTED
from ..report.schema import READABLE_SCHEMA_VERSIONS, Report
from ..safety.safe_read import parse_json, read_file
from .config import ConvertConfig
from .model_files import content_hash

FORMAT = "hub-convert base report cache 1"
# The report travels as a JSON string inside the entry: escaping at most doubles its size.
MAX_ENTRY_BYTES = 2 * MAX_REPORT_BYTES + (1 << 20)
# The entry is a flat object (its settings one level deeper); the report is a string in it.
_MAX_ENTRY_DEPTH = 8


class CacheEntryError(Exception):
    """Why a cache entry is not used; the message is one line."""


@dataclass(frozen=True)
class CacheEntry:
    """Where the base report for these settings is kept, and what it must say it describes."""

    path: Path
    parts: dict[str, Any]


def key_parts(config: ConvertConfig, base_hash: str) -> dict[str, Any]:
    """What decides the base's report: its files, the tool's version and every setting that
    changes what is converted or measured (not where files go, nor how many workers)."""
    settings = dataclasses.asdict(config)
    for name in ("model", "output_dir", "command", "jobs", "timeout", "max_memory"):
        settings.pop(name)
    data = settings.pop("representative_data")
    settings["representative_data"] = content_hash(str(data)) if data else None
    # Through JSON once, so that what is stored compares equal to what is read back.
    settings = json.loads(json.dumps(settings, sort_keys=True, default=str))
    return {"tool_version": __version__, "base_content_sha256": base_hash, "settings": settings}


def cache_key(config: ConvertConfig, base_hash: str) -> str:
    """The entry's name: a hash of ``key_parts``."""
    parts = key_parts(config, base_hash)
    text = json.dumps(
        [parts["tool_version"], base_hash, parts["settings"]], sort_keys=True, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()


def cache_entry(
    config: ConvertConfig, base_hash: str | None, cache: Path | None
) -> CacheEntry | None:
    """The entry for the base whose files hash to ``base_hash``; None without a cache or a
    local base (nothing to key it by)."""
    if cache is None or base_hash is None:
        return None
    path = cache / f"{cache_key(config, base_hash)}.json"
    return CacheEntry(path, key_parts(config, base_hash))


def write_entry(entry: CacheEntry, report_text: str) -> None:
    """Keep ``report_text`` in ``entry`` atomically (BadInputError when it cannot be written)."""
    record = {
        "format": FORMAT,
        **entry.parts,
        "report_sha256": hashlib.sha256(report_text.encode()).hexdigest(),
        "report": report_text,
    }
    write_atomic(entry.path, json.dumps(record, sort_keys=True) + "\n")


def read_entry(entry: CacheEntry) -> str:
    """The report.json text kept in ``entry``, checked: read within bounds, made by this
    format, for the same key's parts, intact, and a valid report (CacheEntryError otherwise)."""
    where = entry.path.name
    try:
        raw = read_file(entry.path, MAX_ENTRY_BYTES, where)
        record = parse_json(raw, where, what="a cache entry", max_depth=_MAX_ENTRY_DEPTH)
    except BadInputError as exc:
        raise CacheEntryError(str(exc)) from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise CacheEntryError("not an entry of this cache format")
    for name, expected in entry.parts.items():
        if record.get(name) != expected:
            raise CacheEntryError(f"its {name} is not this base's")
    text = record.get("report")
    if not isinstance(text, str):
        raise CacheEntryError("it holds no report")
    if hashlib.sha256(text.encode()).hexdigest() != record.get("report_sha256"):
        raise CacheEntryError("its report does not match its checksum (damaged)")
    try:
        report = Report.model_validate_json(text, context={UNTRUSTED: True})
    except ValueError:
        raise CacheEntryError("its report is not a valid hub-convert report") from None
    if report.schema_version not in READABLE_SCHEMA_VERSIONS:
        raise CacheEntryError(f"its report has schema_version {report.schema_version}")
    return text
