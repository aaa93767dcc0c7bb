"""TensorFlow's errors in one line: the op's own message and the node it names (worker only).

A failing graph raises e.g. ``InvalidArgumentError`` whose text is "Graph execution error:",
"Detected at node X defined at (most recent call last):", the Python frames, the op's
message, a Python traceback for a ``py_function``, and ``[[{{node X}}]] [Op:__inference_...]``.
Users need the message and the node.
"""

from __future__ import annotations

import re

from .. import memory_limit

_NODE_RE = re.compile(r"Detected at node '?([^\s']+)'?|\{\{node ([^}]+)\}\}")
_NOT_THE_MESSAGE = (
    "Graph execution error",
    "Detected at node",
    "<stack traces unavailable>",
    'File "',
    "[[",
    "Traceback",
)


def one_line(exc: BaseException) -> str:
    """TensorFlow's error in one line: its message and the node, without the stack it prints
    ("Graph execution error:" / "Detected at node …" / the Python frames)."""
    message = str(getattr(exc, "message", None) or exc)
    lines = [
        line.strip()
        for line in message.splitlines()
        if line.strip() and not line[:1].isspace() and not line.startswith(_NOT_THE_MESSAGE)
    ]
    text = lines[0] if lines else message.strip().splitlines()[0] if message.strip() else ""
    node = _NODE_RE.search(message)
    where = f" (node {node.group(1) or node.group(2)})" if node else ""
    return f"{type(exc).__name__}: {text[:300]}{where}"


def describe_failure(doing: str, exc: BaseException) -> str:
    """What failed while ``doing`` something, in one line; memory exhaustion says so."""
    if memory_limit.looks_exhausted(exc):
        return f"{memory_limit.exhausted(doing)} ({one_line(exc)})"
    return f"{doing} failed: {one_line(exc)}"
