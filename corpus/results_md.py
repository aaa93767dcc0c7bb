"""RESULTS.md: the corpus's totals, tables, failure classes and drift details, as Markdown."""

from __future__ import annotations

from typing import Any

from cell_text import class_key, cos, md, num, psnr, range_text, size
from classify import CLASS_NAMES, failing_checks, worst_output
from family_md import family_section
from localization_md import localization_section
from log_lines import reason_line
from totals import totals

ARTIFACT_COLUMNS = [
    ("tflite", "float32"),
    ("tflite", "dynamic"),
    ("tflite", "float16"),
    ("onnx", "float32"),
]


def render(records: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    """RESULTS.md for ``records`` (in models.yaml's order) and the run's ``meta``."""
    t = totals(records)
    env: dict[str, Any] = next((r["environment"] for r in records if r.get("environment")), {})
    lines = [
        "# Regression corpus: results",
        "",
        "Written by `corpus/run.py` (`make corpus`); do not edit by hand. Models and pins:",
        "`corpus/models.yaml`; raw data: `corpus/results.json`. Each model was converted with",
        "`hub-convert convert MODEL --output-dir corpus/.out/<id> --latency-runs 0 --debug`",
        "(plus the entry's options), one model at a time.",
        "",
        f"- last run: {meta.get('started_at', '?')} to {meta.get('finished_at', '?')} "
        f"({meta.get('ran', '?')}), wall clock {meta.get('wall_seconds', 0) / 60:.1f} min",
        f"- corpus time: {t['seconds'] / 60:.1f} min ({t['seconds']:.0f} s, fetch + extract + "
        "convert + checks, summed over the models in this file)",
        "- toolchain: " + ", ".join(f"{k} {v}" for k, v in env.items()),
        "",
        "## Totals",
        "",
        f"- models: **{t['models']}**",
        f"- every float32 artifact (TFLite and ONNX) passed: **{t['every_float32_passed']}**",
        f"- every artifact passed (ran and matched): **{t['every_artifact_passed']}**",
        f"- exit 0 (no `drift` or `failed`; `not-validated` does not fail the run): "
        f"**{t['exit_0']}**",
        f"- with at least one `drift` artifact: **{t['with_drift']}**",
        f"- with at least one `failed` artifact: **{t['with_failed']}**",
        f"- ended without a report: exit 2 **{t['exit_2']}**, exit 1 (a fatal error, e.g. a "
        f"worker killed by a signal) **{t['exit_1_no_report']}**; crashed: **{t['crash']}**; "
        f"timed out: **{t['timeout']}**; fetch failed: **{t['fetch_failed']}**",
        "- artifacts: " + ", ".join(f"{k} {v}" for k, v in sorted(t["artifacts"].items())),
        "",
        "## Per model",
        "",
        "| id | kind | size | outcome | tflite float32 | tflite dynamic | tflite float16 "
        "| onnx float32 | classes | time |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        cells = [_status_cell(r, *column) for column in ARTIFACT_COLUMNS]
        lines.append(
            f"| {r['id']} | {r['kind']} | {size(r.get('size_bytes'))} | {r.get('outcome')} | "
            + " | ".join(cells)
            + f" | {_classes_cell(r)} | {r.get('seconds', 0):.0f} s |"
        )
    lines += [
        "",
        "## Every artifact that is not `passed`",
        "",
        "The worst failing output (lowest cosine, then largest max abs). *Range* is the original",
        "output's [min, max] over the validation samples, read from hub-convert's samples.npz",
        "(report.json has no value range; its PSNR peak is max − min). *Checks* are the ones the",
        "output fails against the artifact's tolerance.",
        "",
        "| model | artifact | status | output | max abs | cosine | PSNR | range | checks "
        "| class | reason |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        stats = r.get("output_stats") or {}
        for a in r.get("artifacts", []):
            if a["status"] == "passed":
                continue
            where = f"{a['target']} {a['variant']}"
            classes = sorted(
                {c["class"] for c in r.get("classes", []) if c["where"] == where}, key=class_key
            )
            worst = worst_output(a)
            if worst is None:
                cells = ["—"] * 6
            else:
                cells = [
                    worst["output"],
                    num(worst.get("max_abs")),
                    cos(worst.get("cosine")),
                    psnr(worst.get("psnr_db")),
                    range_text(stats.get(worst["output"])),
                    "; ".join(failing_checks(worst, a.get("tolerance"))),
                ]
            reason = reason_line(a.get("reason") or "")
            lines.append(
                f"| {r['id']} | {where} | {a['status']} | "
                + " | ".join(md(c) for c in cells)
                + f" | {', '.join(classes) or '—'} | {md(reason) or '—'} |"
            )
    problems = [r for r in records if r.get("error")]
    if problems:
        lines += [
            "",
            "## Models without a report",
            "",
            "| model | outcome | class | error (first line) |",
            "|---|---|---|---|",
        ]
        for r in problems:
            classes = sorted({c["class"] for c in r.get("classes", []) if c["where"] == "model"})
            lines.append(
                f"| {r['id']} | {r['outcome']} | {', '.join(classes) or '—'} | {md(r['error'])} |"
            )
    lines += _class_section(records)
    lines += family_section(records)
    lines += _drift_section(records)
    lines += localization_section(records)
    lines += [
        "",
        "## Models",
        "",
        "| id | package | path in package | kind | license | options | what it is |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in records:
        lines.append(
            f"| {r['id']} | {r['registry']}: {r['package']}@{r['version']} | `{r['path']}` | "
            f"{r['kind']} | {r.get('license')} | {' '.join(r.get('options') or []) or '—'} | "
            f"{md(r.get('note') or '')} |"
        )
    lines.append("")
    return "\n".join(lines)


def _class_section(records: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "## Issue-9 classes",
        "",
        "Found automatically from report.json, samples.npz and the order-insensitive rerun",
        "(the rules are `classify()` in corpus/classify.py; entries marked *(by hand)* come from",
        "`manual_classes` in models.yaml):",
        "",
        "- 1: a `drift` whose failing outputs all have cosine ≥ 1−1e-6 and PSNR ≥ 80 dB; or a",
        "  float16 file failing only the absolute 1e-2 bound; or cosine ≥ 1−1e-6 with only the",
        "  PSNR check failing because the output's range over the samples is tiny",
        "- 2: `passed` with NaN/inf in the original output, an empty comparison or a string output",
        "- 3: TopK/NMS in the graph and every failing output with cosine < 1−1e-6 reaches",
        "  cosine ≥ 1−1e-6 once each sample's values are sorted or its rows matched one to one;",
        "  3?: it gets closer but does not reach it (a real difference remains, e.g. quantization",
        "  moves candidates across the NMS/TopK cut)",
        "- 4: a shape error with dynamic dimensions fixed to 1, or every sample giving the same",
        "  output",
        "- 5: the converter's give-up messages (tensor list lowering, tf2onnx fast fail, crashes)",
        "- 6: a TF.js model crashing TensorFlow, or an ONNX failure on a graph with loops",
        "- 7: a Keras file refused for a config default (7?: refused with advice that does not",
        "  fit)",
        "- 8: SaveV2/RestoreV2/MergeV2Checkpoints in the source op counts",
        "",
        "| class | models | artifacts | models (artifacts) |",
        "|---|---|---|---|",
    ]
    by_class: dict[str, dict[str, list[str]]] = {}
    for r in records:
        for c in r.get("classes", []):
            by_class.setdefault(c["class"], {}).setdefault(r["id"], []).append(c["where"])
    for cls in sorted(by_class, key=class_key):
        models = by_class[cls]
        count = sum(len(w) for w in models.values())
        listed = "; ".join(f"{m} ({', '.join(w)})" for m, w in models.items())
        name = CLASS_NAMES.get(cls.rstrip("?"), "")
        lines.append(f"| {cls} {name} | {len(models)} | {count} | {md(listed)} |")
    unseen = [c for c in CLASS_NAMES if not any(k.rstrip("?") == c for k in by_class)]
    if unseen:
        lines += ["", "Not seen in this run: " + "; ".join(f"{c} {CLASS_NAMES[c]}" for c in unseen)]
    lines += ["", "Evidence per model:", ""]
    for r in records:
        for c in r.get("classes", []):
            if c["class"] == "8":
                continue
            lines.append(f"- **{r['id']}** {c['where']} → class {c['class']}: {md(c['evidence'])}")
    return lines


def _drift_section(records: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "## Every failing output of every `drift` artifact",
        "",
        "For tolerance design: each output outside its tolerance, with the original output's",
        "magnitude (max |value|) and, for models with TopK/NMS, the order-insensitive rerun of",
        "the converted file on the same inputs: each sample's values sorted, and each sample's",
        "rows (last axis) matched one to one; *rows off*: rows still beyond 1e-4 + 1e-4·|value|.",
        "",
        "| model | artifact | output | max abs | cosine | PSNR | max abs/‖ref‖∞ | ref max abs "
        "| range | sorted max abs | sorted cosine | rows matched: max abs, cosine, rows off |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        stats = r.get("output_stats") or {}
        for a in r.get("artifacts", []):
            if a["status"] != "drift":
                continue
            unordered = a.get("order_insensitive") or {}
            for d in a.get("drift", []):
                if d.get("within_tolerance"):
                    continue
                s = stats.get(d["output"]) or {}
                magnitude = s.get("max_abs")
                relative = (
                    (d.get("max_abs") or 0.0) / magnitude
                    if magnitude and d.get("max_abs") is not None
                    else None
                )
                u = unordered.get(d["output"]) or {}
                lines.append(
                    f"| {r['id']} | {a['target']} {a['variant']} | {d['output']} | "
                    f"{num(d.get('max_abs'))} | {cos(d.get('cosine'))} | "
                    f"{psnr(d.get('psnr_db'))} | {num(relative)} | {num(magnitude)} | "
                    f"{md(range_text(s))} | {num(u.get('sorted_max_abs'))} | "
                    f"{cos(u.get('sorted_cosine'))} | {_matched_text(u)} |"
                )
    return lines


def _matched_text(check: dict[str, Any]) -> str:
    if check.get("shape_differs"):
        return "shapes differ"
    if check.get("rows") is None:
        return "—"
    return (
        f"{num(check.get('matched_max_abs'))}, {cos(check.get('matched_cosine'))}, "
        f"{check.get('matched_rows_off')}/{check['rows']}"
    )


def _status_cell(record: dict[str, Any], target: str, variant: str) -> str:
    for artifact in record.get("artifacts", []):
        if (artifact["target"], artifact["variant"]) == (target, variant):
            return str(artifact["status"])
    return "—"


def _classes_cell(record: dict[str, Any]) -> str:
    classes = sorted({c["class"] for c in record.get("classes", [])}, key=class_key)
    return ", ".join(classes) or "—"
