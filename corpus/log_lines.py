"""The lines that matter in hub-convert's output and in an artifact's reason."""

from __future__ import annotations

import re
from pathlib import Path


def work_dir(text: str) -> Path | None:
    """The work directory hub-convert's ``--debug`` kept, as its output names it."""
    match = re.search(r"work directory kept for debugging: (\S+)", text)
    return Path(match.group(1)) if match else None


def first_line(text: str) -> str:
    """The first non-blank line, stripped and cut to 300 characters."""
    for line in text.strip().splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


def matching_line(text: str, pattern: re.Pattern[str]) -> str:
    """The first line of ``text`` that ``pattern`` finds (the cause), else its first line."""
    for line in text.splitlines():
        if pattern.search(line):
            return line.strip()[:300]
    return first_line(text)


def reason_line(text: str) -> str:
    """The line of an artifact's reason that says what went wrong: its first line, unless
    that only introduces a traceback ("in user code:"), then the exception line under it."""
    first = first_line(text)
    if first.endswith(":"):
        for line in text.splitlines()[1:]:
            if re.search(r"\w+(Error|Exception): \S", line):
                return line.strip()[:300]
    return first


def last_error(text: str) -> str:
    """hub-convert's one-line error, else the last exception line of a traceback."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("hub-convert: error:"):
            return line[:400]
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if re.match(r"^[A-Za-z_.]*(Error|Exception|Fault)\b", line):
            if line.endswith(":"):  # TensorFlow's "Graph execution error:" and the like
                line = _with_detail(line, lines[index + 1 :])
            return line[:400]
    return lines[-1][:400] if lines else "(no output)"


def _with_detail(line: str, following: list[str]) -> str:
    """An error line that ends in ":" with the message under it and the node it names."""
    node = message = ""
    for more in following:
        found = re.match(r"Detected at node (\S+)", more)
        if found:
            node = "/".join(found.group(1).rsplit("/", 2)[-2:])
        elif not more.startswith(("<stack", "[[", "File ", "Traceback")):
            message = more
            break
    return f"{line} {message}" + (f" (node …/{node})" if node else "")
