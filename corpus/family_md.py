"""RESULTS.md's section on the model-family classes: which real model shows each class, its
outcome, and what reading its run showed (``family_classes`` and ``family_result`` in
models.yaml, written by hand like ``manual_classes``)."""

from __future__ import annotations

from typing import Any

from cell_text import md

FAMILY_CLASS_NAMES = {
    "1": "outputs of unknown rank (Keras 2 subclassed models as SavedModels)",
    "2": "RNN loops left as TensorList ops",
    "3": "a false drift on a multi-input TFLite file",
    "4": "TF1 Estimator exports with string features",
    "5": "TF.js graph models with a modelInitializer (hash tables filled at load)",
    "6": "TF.js layers names changed by the rebuild",
    "7": "TF.js layers models with JS-only custom layers",
    "8": "a converter that dies",
    "9": "TF.js graph models from the 1.x converters (string attributes as byte lists)",
    "10": "safety checks refusing legitimate models (own assets, TensorFlow's own Keras classes)",
    "11": "frozen GraphDefs (.pb)",
}


def family_section(records: list[dict[str, Any]]) -> list[str]:
    """The section's lines: one row per class and model, then the classes no model shows."""
    lines = [
        "",
        "## Issue-22 classes (model families)",
        "",
        "Which real model of this corpus shows each class of the model families first run in",
        "issue 22, and what its run showed (*shows* is read from the run's log and report by",
        "hand: `family_classes` and `family_result` in models.yaml).",
        "",
        "| class | model | outcome | shows |",
        "|---|---|---|---|",
    ]
    shown: set[str] = set()
    for number, name in FAMILY_CLASS_NAMES.items():
        for record in records:
            if number not in [str(c) for c in record.get("family_classes") or []]:
                continue
            shown.add(number)
            lines.append(
                f"| {number} {name} | {record['id']} | {_outcome_text(record)} "
                f"| {md(record.get('family_result') or '—')} |"
            )
    missing = [f"{n} {FAMILY_CLASS_NAMES[n]}" for n in FAMILY_CLASS_NAMES if n not in shown]
    if missing:
        lines += ["", "No real model in the corpus for: " + "; ".join(missing)]
    return lines


def _outcome_text(record: dict[str, Any]) -> str:
    """The run's outcome and each artifact's status, e.g. ``exit 2`` or ``passed: tflite
    float32 passed, ...``."""
    artifacts = record.get("artifacts") or []
    if not artifacts:
        return str(record.get("outcome", "?"))
    statuses = ", ".join(f"{a['target']} {a['variant']} {a['status']}" for a in artifacts)
    return f"{record.get('outcome', '?')}: {statuses}"
