"""How numbers, ranges and text are written in RESULTS.md's cells and class evidence."""

from __future__ import annotations

import math
import re
from typing import Any


def num(value: float | None) -> str:
    """A measured value, four significant digits or scientific when very large or small."""
    if value is None:
        return "—"
    if value == 0:
        return "0"
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f"{value:.2e}"
    return f"{value:.4g}"


def cos(value: float | None) -> str:
    """A cosine; near 1 as its distance from 1, which is what tells them apart."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if value >= 0.9999:
        gap = 1.0 - value
        return "1.0" if gap <= 0 else f"1−{gap:.1e}"
    return f"{value:.4f}"


def psnr(value: float | None) -> str:
    """A PSNR in dB."""
    return "—" if value is None else f"{value:.1f} dB"


def range_text(stats: dict[str, Any] | None) -> str:
    """An original output's [min, max] over the samples, with its NaN/inf counts."""
    if not stats:
        return "n/a"
    if stats.get("strings"):
        return "strings"
    if stats.get("min") is None:
        return f"no finite values (NaN {stats.get('nan')}, inf {stats.get('inf')})"
    text = f"[{num(stats['min'])}, {num(stats['max'])}]"
    if stats.get("nan") or stats.get("inf"):
        text += f" +NaN {stats['nan']}/inf {stats['inf']}"
    return text


def size(value: int | None) -> str:
    """A model's size in decimal MB.

    Not hub_convert.units.human_bytes (binary units, two decimals): the committed RESULTS.md
    has always given decimal MB, and a rerun's diff should show changed results, not units.
    """
    return "—" if value is None else f"{value / 1e6:.1f} MB"


def md(text: str) -> str:
    """``text`` safe in one Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def class_key(cls: str) -> tuple[int, str]:
    """Sort key for class labels: by number ("3" before "3?" before "10")."""
    digits = re.match(r"\d+", cls)
    return (int(digits.group()) if digits else 99, cls)
