"""The failure classes a model's run shows (RESULTS.md's class table), with the evidence."""

from __future__ import annotations

import re
from typing import Any

from cell_text import cos, num, psnr, range_text
from log_lines import first_line, matching_line, reason_line

CLASS_NAMES = {
    "1": "false drift from absolute bounds on large outputs",
    "2": "false pass on NaN/inf/strings",
    "3": "order-sensitive TopK/NMS outputs",
    "4": "validation inputs that do not exercise the model",
    "5": "converter gives up early",
    "6": "TF.js rebuild crashes TensorFlow / TF1 loops",
    "7": "Keras 2 file missing defaults",
    "8": "op coverage lists save/restore ops",
}
FLOAT32_COS = 1.0 - 1e-6
FLOAT32_PSNR = 80.0
GIVE_UP = re.compile(
    r"tensor list ops|select tf ops|rewrite failed|fast fail|sigsegv|segmentation|"
    r"signal \d+|died|crash|terminated abruptly|process pool",
    re.IGNORECASE,
)
BAD_SHAPE = re.compile(
    r"must be positive|negative dimension|dimension size must|cropping|pool|"
    r"computed output size would be negative|output dimensions|invalid argument|"
    r"invalid input shape",
    re.IGNORECASE,
)
NO_ONNX_OPS = re.compile(r"no conversion to standard ONNX ops for ([\w, ]+?), which")
UNMAPPED_OP = re.compile(r"(\w+) \(at ")  # tf2onnx's "could not convert Op (at node)"
KERAS_DEFAULTS = re.compile(r"reset_after|unrecognized keyword|time_major", re.IGNORECASE)
KERAS_ADVICE = re.compile(r"custom classes|--allow-unsafe", re.IGNORECASE)


def failing_checks(drift: dict[str, Any], tolerance: dict[str, Any] | None) -> list[str]:
    """Which of the artifact's checks this output fails, with value and bound."""
    if drift.get("problem"):
        return [f"problem: {drift['problem']}"]
    tolerance = tolerance or {}
    failed = []
    if tolerance.get("max_abs") is not None and (drift.get("max_abs") or 0) > tolerance["max_abs"]:
        failed.append(f"max_abs {num(drift['max_abs'])} > {num(tolerance['max_abs'])}")
    cosine = drift.get("cosine")
    min_cosine = tolerance.get("min_cosine")
    if min_cosine is not None and cosine is not None and cosine < min_cosine:
        failed.append(f"cosine {cos(cosine)} < {tolerance['min_cosine']}")
    psnr = drift.get("psnr_db")
    min_psnr = tolerance.get("min_psnr_db")
    if min_psnr is not None and psnr is not None and psnr < min_psnr:
        failed.append(f"PSNR {psnr:.1f} < {tolerance['min_psnr_db']}")
    return failed


def worst_output(artifact: dict[str, Any]) -> dict[str, Any] | None:
    """The failing output furthest from the original: lowest cosine, then largest max abs."""
    drifts: list[dict[str, Any]] = artifact.get("drift", [])
    failing = [d for d in drifts if not d.get("within_tolerance")]
    if not failing:
        return None

    def key(d: dict[str, Any]) -> tuple[float, float]:
        cosine = d.get("cosine")
        return (cosine if cosine is not None else -2.0, -(d.get("max_abs") or 0.0))

    return min(failing, key=key)


Found = dict[str, str]


def _found(cls: str, where: str, evidence: str) -> Found:
    return {"class": cls, "where": where, "evidence": evidence}


def classify(record: dict[str, Any]) -> list[Found]:
    """The failure classes this model's run shows, each with its evidence."""
    found = _no_report_classes(record)
    for artifact in record.get("artifacts", []):
        where = f"{artifact['target']} {artifact['variant']}"
        if artifact["status"] == "failed":
            found += _failed_classes(record, artifact, where)
        elif artifact["status"] == "passed":
            found += _passed_classes(record, artifact, where)
        elif artifact["status"] == "drift":
            found += _drift_classes(record, artifact, where)
    output_stats = record.get("output_stats") or {}
    input_stats = record.get("input_stats") or {}
    if record.get("fixed_dimensions") and not any(c["class"] == "4" for c in found):
        frozen = [n for n, s in output_stats.items() if s.get("same_for_every_sample")]
        if frozen and any(s.get("dtype", "").startswith("float") for s in input_stats.values()):
            found.append(
                _found("4", "model", f"outputs identical for all samples: {', '.join(frozen)}")
            )
    for extra in record.get("manual_classes") or []:
        evidence = f"(by hand) {extra['evidence']}"
        found.append(_found(str(extra["class"]), extra.get("where", "model"), evidence))
    if record.get("checkpoint_ops"):
        ops = ", ".join(sorted(record["checkpoint_ops"]))
        found.append(_found("8", "model", f"source op counts list {ops}"))
    return found


def _no_report_classes(record: dict[str, Any]) -> list[Found]:
    """A run that ended without a report (exit 2, crash, timeout): the class of its error."""
    outcome = record.get("outcome", "")
    error = record.get("error") or ""
    kind = record.get("kind", "")
    if not (outcome.startswith("exit") or outcome in ("crash", "timeout")):
        return []
    if kind.startswith("tfjs") and (outcome == "crash" or GIVE_UP.search(error)):
        return [_found("6", "model", error)]
    if kind in ("keras2-h5", "keras3") and KERAS_DEFAULTS.search(error):
        return [_found("7", "model", error)]
    if kind in ("keras2-h5", "keras3") and KERAS_ADVICE.search(error):
        return [_found("7?", "model", error)]
    if BAD_SHAPE.search(error):
        return [_found("4", "model", error)]
    if GIVE_UP.search(error):
        return [_found("5", "model", error)]
    return []


def _failed_classes(record: dict[str, Any], artifact: dict[str, Any], where: str) -> list[Found]:
    found = []
    reason = artifact.get("reason") or ""
    fixed = record.get("fixed_dimensions") or []
    if fixed and BAD_SHAPE.search(reason):
        found.append(_found("4", where, f"{reason_line(reason)} (fixed: {'; '.join(fixed)})"))
    elif GIVE_UP.search(reason):
        found.append(_found("5", where, matching_line(reason, GIVE_UP)))
    # A graph with loops can fail on something else (string ops, say): the loops are the
    # cause only when tf2onnx named no op it cannot map, or named a loop op among them.
    named = set(UNMAPPED_OP.findall(reason))
    if listed := NO_ONNX_OPS.search(reason):
        named |= {op.strip() for op in listed.group(1).split(",")}
    loops_named = not named or bool(named & set(record.get("loop_ops") or {}))
    if artifact["target"] == "onnx" and record.get("loop_ops") and loops_named:
        loops = ", ".join(f"{k}×{v}" for k, v in record["loop_ops"].items())
        found.append(_found("6", where, f"graph has loops ({loops}): {first_line(reason)}"))
    return found


def _passed_classes(record: dict[str, Any], artifact: dict[str, Any], where: str) -> list[Found]:
    """Class 2: a pass on an output with NaN/inf, a problem, or strings."""
    found = []
    output_stats = record.get("output_stats") or {}
    for d in artifact.get("drift") or []:
        stats = output_stats.get(d["output"], {})
        if d.get("problem") or stats.get("nan") or stats.get("inf"):
            evidence = (
                f"{d['output']} passed with NaN {stats.get('nan')}, inf "
                f"{stats.get('inf')}, problem {d.get('problem')!r}"
            )
            found.append(_found("2", where, evidence))
        elif stats.get("strings"):
            found.append(_found("2", where, f"{d['output']} is a string output and passed"))
    return found


def _drift_classes(record: dict[str, Any], artifact: dict[str, Any], where: str) -> list[Found]:
    """Class 3 (the order-insensitive rerun explains the drift), then class 1 (what is left
    differs only in scale) unless reordering leaves a difference unexplained."""
    drifts = artifact.get("drift") or []
    failing = [d for d in drifts if not d.get("within_tolerance")]
    misordered = [d for d in failing if (d.get("cosine") or 0) < FLOAT32_COS]
    found: list[Found] = []
    explained_names: set[str] = set()
    if record.get("order_ops"):
        found, explained_names = _order_classes(artifact, misordered, where)
        if len(explained_names) < len(misordered):
            return found  # a difference that reordering does not explain: not a scale-only drift
    rest = [d for d in failing if d["output"] not in explained_names]
    if rest:
        found += _scale_classes(record, artifact, rest, where)
    return found


def _order_classes(
    artifact: dict[str, Any], misordered: list[dict[str, Any]], where: str
) -> tuple[list[Found], set[str]]:
    """Class 3 or 3? for the misordered outputs, and the names the rerun explains."""
    unordered = artifact.get("order_insensitive") or {}
    explained, partly = [], []
    explained_names: set[str] = set()
    for d in misordered:
        check = unordered.get(d["output"]) or {}
        best = max(
            (check.get(k) for k in ("sorted_cosine", "matched_cosine")),
            key=lambda v: -2.0 if v is None else v,
        )
        text = (
            f"{d['output']}: as-is max abs {num(d.get('max_abs'))} cos "
            f"{cos(d.get('cosine'))}; sorted max abs "
            f"{num(check.get('sorted_max_abs'))} cos {cos(check.get('sorted_cosine'))}"
        )
        if check.get("rows") is not None:
            text += (
                f"; rows matched max abs {num(check.get('matched_max_abs'))} cos "
                f"{cos(check.get('matched_cosine'))}, {check.get('matched_rows_off')}"
                f" of {check['rows']} rows off"
            )
        if best is not None and best >= FLOAT32_COS:
            explained.append(text)
            explained_names.add(d["output"])
        elif best is not None and best > (d.get("cosine") or 0):
            partly.append(text)
    if explained and not partly and len(explained) == len(misordered):
        return [_found("3", where, "; ".join(explained))], explained_names
    if explained or partly:
        evidence = "only partly order-insensitive: " + "; ".join(explained + partly)
        return [_found("3?", where, evidence)], explained_names
    return [], explained_names


def _scale_classes(
    record: dict[str, Any], artifact: dict[str, Any], rest: list[dict[str, Any]], where: str
) -> list[Found]:
    """Class 1: failing outputs that match in direction and differ only against a bound."""
    output_stats = record.get("output_stats") or {}
    worst = max(rest, key=lambda d: d.get("max_abs") or 0)
    numbers = (
        f"{worst['output']} max abs {num(worst.get('max_abs'))}, cos "
        f"{cos(worst.get('cosine'))}, PSNR {psnr(worst.get('psnr_db'))}, range "
        f"{range_text(output_stats.get(worst['output']))}"
    )
    strict = all(
        (d.get("cosine") or 0) >= FLOAT32_COS
        and (d.get("psnr_db") is None or d["psnr_db"] >= FLOAT32_PSNR)
        for d in rest
    )
    checks = {c.split()[0] for d in rest for c in failing_checks(d, artifact["tolerance"])}
    if strict:
        return [_found("1", where, f"failing outputs all cos ≥ 1−1e-6 and PSNR ≥ 80 dB: {numbers}")]
    if artifact["variant"] == "float16" and checks == {"max_abs"}:
        return [_found("1", where, f"fails only the absolute 1e-2 bound: {numbers}")]
    if checks <= {"PSNR"} and all((d.get("cosine") or 0) >= FLOAT32_COS for d in rest):
        evidence = f"cos ≥ 1−1e-6, PSNR low only because the range is small: {numbers}"
        return [_found("1", where, evidence)]
    return []
