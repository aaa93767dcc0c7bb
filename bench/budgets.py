"""Budgets: what localization and the "where it runs" checks cost, from hub-convert's own timings.

On each model (default: the bench's MobileNetV2), ``--repeats`` interleaved rounds of:

- **a default run** (its files pass: nothing to localize) beside the bare pair (``tflite_convert``
  then ``tf2onnx.convert``): both walls, their ratio, and the seconds report.json's timings give
  the ``localize`` stage (the budget: none);
- **a run with ``--explain``** and the int8 variant added: ``--explain`` localizes every
  artifact as a drifting one is (the bench's MobileNetV2 has random weights and its files pass,
  so this is how a drift is had honestly; int8 adds the keep-in-float proposal's path when a
  layer is over its tolerance). Per artifact: its conversion's seconds (report.json's
  ``convert`` stage) and its localization's (``localization.seconds``); the budget: localization
  ≤ conversion;
- **the device checks** of the default run, per artifact: each file's device view (XNNPACK, ONNX
  Runtime's mobile partitions, opset) and the ONNX files' second-shape check, as the run logs
  them; the budget: 1 s per artifact.

Medians over the rounds. The machine is shared: absolute seconds move with its load, ratios
taken within a round less.

Usage: python bench/budgets.py [--models mobilenet_v2] [--repeats N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_convert import BIN, ENV, ROOT, bare_pair, build_model

DEVICE_LINE = re.compile(r"^\s+(\S+\.(?:tflite|onnx)): .* \((\d+\.\d+) s\)$")
SHAPES_LINE = re.compile(r"second shapes checked in (\d+\.\d+) s")
EXPLAIN = ("--explain", "--tflite-variants", "float32,dynamic,float16,int8")


def hub_convert(model: Path, out: Path, *extra: str) -> tuple[float, dict[str, object], str]:
    """One run: its wall seconds, its report.json and its log."""
    began = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "hub-convert"), "convert", str(model), "-o", str(out), *extra],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=ROOT,
    )
    wall = time.perf_counter() - began
    report = out / "report.json"
    if not report.is_file():
        raise SystemExit(
            f"hub-convert on {model} wrote no report (exit {done.returncode}):\n"
            + done.stderr[-2000:]
        )
    return wall, json.loads(report.read_text()), done.stderr


def bare(model: Path, out: Path) -> float:
    out.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    for argv in bare_pair(model, out):
        subprocess.run(argv, check=True, capture_output=True, env=ENV, cwd=ROOT)
    return time.perf_counter() - began


def stage_seconds(report: dict[str, object], stage: str) -> dict[str, float]:
    """Seconds per ``target variant`` (or ``""``) of one stage in report.json's timings."""
    timings = report["timings"]
    assert isinstance(timings, dict)
    seconds: dict[str, float] = {}
    for item in timings["stages"]:
        if item["stage"] == stage:
            key = f"{item['target']} {item['variant']}" if item["target"] else ""
            seconds[key] = seconds.get(key, 0.0) + item["seconds"]
    return seconds


def one_round(model: Path, work: Path) -> dict[str, object]:
    """The three measurements once, each in its own output directory."""
    bare_wall = bare(model, work / "bare")
    wall, report, log = hub_convert(model, work / "default")
    views = {m[1]: float(m[2]) for m in map(DEVICE_LINE.match, log.splitlines()) if m}
    shapes = SHAPES_LINE.search(log)
    _, explained, _ = hub_convert(model, work / "explain", *EXPLAIN)
    converted = stage_seconds(explained, "convert")
    artifacts = explained["artifacts"]
    assert isinstance(artifacts, list)
    localized = {
        f"{a['target']} {a['variant']}": (a.get("localization") or {}).get("seconds")
        for a in artifacts
    }
    return {
        "bare_wall": bare_wall,
        "default_wall": wall,
        "default_localize": sum(stage_seconds(report, "localize").values()),
        "device_views": views,
        "second_shapes": float(shapes[1]) if shapes else None,
        "explain": {
            key: {"convert": converted.get(key), "localize": seconds, "status": status}
            for key, seconds, status in (
                (
                    f"{a['target']} {a['variant']}",
                    localized[f"{a['target']} {a['variant']}"],
                    a["status"],
                )
                for a in artifacts
            )
        },
    }


def median(values: list[Any]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def markdown(name: str, rounds: list[dict[str, Any]]) -> str:
    def med(key: str) -> float:
        return statistics.median(float(r[key]) for r in rounds)

    ratio = statistics.median(float(r["default_wall"]) / float(r["bare_wall"]) for r in rounds)
    lines = [
        f"**{name}**, median of {len(rounds)} round(s):",
        "",
        f"- default run {med('default_wall'):.1f} s, bare pair {med('bare_wall'):.1f} s: "
        f"{ratio:.2f}× (within each round); localize stage {med('default_localize'):.2f} s "
        "(budget 0: nothing drifts)",
        "",
        "| artifact (`--explain`) | status | conversion | localization | ÷ conversion |",
        "|---|---|---:|---:|---:|",
    ]
    explain = [r["explain"] for r in rounds]
    for key in explain[0]:
        conv = median([e[key]["convert"] for e in explain])
        loc = median([e[key]["localize"] for e in explain])
        status = explain[-1][key]["status"]
        shown = f"{loc / conv:.2f}" if conv and loc is not None else "–"
        lines.append(
            f"| {key} | {status} | {conv or 0:.2f} s | "
            f"{'–' if loc is None else f'{loc:.2f} s'} | {shown} |"
        )
    views: dict[str, list[float]] = {}
    for r in rounds:
        for file, seconds in r["device_views"].items():
            views.setdefault(file, []).append(seconds)
    shapes = median([r["second_shapes"] for r in rounds])
    shown = ", ".join(f"{f} {statistics.median(s):.2f} s" for f, s in views.items())
    lines += [
        "",
        f"- device checks per artifact (budget 1 s): {shown or 'none logged'}; ONNX second-shape "
        f"check {'not run' if shapes is None else f'{shapes:.2f} s'}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="mobilenet_v2")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the measurements here too")
    args = parser.parse_args()
    results: dict[str, list[dict[str, object]]] = {}
    for name in [n for n in args.models.split(",") if n]:
        model = build_model(name)
        results[name] = []
        for repeat in range(args.repeats):
            work = Path(tempfile.mkdtemp(prefix="hub-convert-budgets-"))
            try:
                results[name].append(one_round(model, work))
            finally:
                shutil.rmtree(work, ignore_errors=True)
            print(f"{name} round {repeat + 1}: {json.dumps(results[name][-1])}", file=sys.stderr)
    for name, rounds in results.items():
        print(markdown(name, rounds) + "\n")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
