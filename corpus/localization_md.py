"""RESULTS.md's section on where each drifting file drifts: the run's own localization of every
`drift` artifact (the first layer over the tolerance, the layer that adds the most error, how
many of the file's tensors mapped onto the original) and its measured keep-in-float fix."""

from __future__ import annotations

from typing import Any

from cell_text import md


def localization_summary(localization: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the corpus keeps of an artifact's ``localization`` (None when it has none)."""
    if not localization:
        return None
    worst = localization.get("worst") or []
    return {
        "tensors": localization.get("tensors"),
        "mapped": localization.get("mapped"),
        "first_over": _layer(localization.get("first_over")),
        "worst": _layer(worst[0]) if worst else None,
        "keep_in_float": localization.get("keep_in_float"),
        "error": localization.get("error"),
        "seconds": localization.get("seconds"),
    }


def _layer(layer: dict[str, Any] | None) -> dict[str, Any] | None:
    if not layer:
        return None
    return {key: layer.get(key) for key in ("node", "op", "introduced", "cosine")}


def localization_section(records: list[dict[str, Any]]) -> list[str]:
    """One row per drifting artifact that was localized."""
    rows = [
        (record["id"], artifact)
        for record in records
        for artifact in record.get("artifacts") or []
        if artifact.get("status") == "drift"
    ]
    lines = [
        "",
        "## Where the drifting files drift",
        "",
        "Each `drift` artifact's own localization (report.json `localization`): how many of the",
        "file's tensors mapped onto the original's, the first layer whose output is over the",
        "artifact's tolerance, the layer that adds the most error (`introduced`: its output's",
        "relative error minus its inputs'), and the measured fix: the fewest worst layers kept in",
        "float that bring the file within tolerance, or the closest tried.",
        "",
        "| model | artifact | mapped | first over the tolerance | adds the most error | "
        "keep in float | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    if not rows:
        return [*lines[:2], "", "No `drift` artifact in this run."]
    for model, artifact in rows:
        loc = artifact.get("localization")
        where = f"{artifact['target']} {artifact['variant']}"
        if not loc:
            lines.append(f"| {model} | {where} | not localized | — | — | — | — |")
            continue
        if loc.get("error"):
            lines.append(f"| {model} | {where} | {md(loc['error'])} | — | — | — | — |")
            continue
        lines.append(
            f"| {model} | {where} | {loc.get('mapped')}/{loc.get('tensors')} "
            f"| {_layer_cell(loc.get('first_over'))} | {_layer_cell(loc.get('worst'))} "
            f"| {_fix_cell(loc.get('keep_in_float'))} | {loc.get('seconds')} |"
        )
    return lines


def _layer_cell(layer: dict[str, Any] | None) -> str:
    if not layer:
        return "—"
    return f"`{md(layer['node'])}` ({layer.get('op')}, +{layer.get('introduced', 0):.3g})"


def _fix_cell(fix: dict[str, Any] | None) -> str:
    if not fix:
        return "—"
    count = len(fix.get("layers") or [])
    cosine = fix.get("worst_cosine")
    measured = f"cosine {cosine:.5f}" if cosine is not None else "no cosine"
    size = f", size ×{fix['size_ratio']}" if fix.get("size_ratio") is not None else ""
    tried = fix.get("tried")
    verdict = "passes" if fix.get("within_tolerance") else f"still over after {tried} tried"
    return f"{count} layer(s): {measured}{size}; {verdict}"
