"""Text from a model or a report made inert before it reaches a log a runner reads.

On a GitHub runner every line a step prints is read for workflow commands: a line that starts
with ``::`` once leading blanks are trimmed, and the legacy ``##[name]`` form anywhere in a line
(actions/runner's ``ActionCommand.TryParse`` looks for the prefix with ``IndexOf``), for every
registered command, ``set-output`` and ``add-mask`` among them. A node name in a GraphDef, an
op's error message or a layer name is any string the model's author chose, so each printed line
is kept to one line and neither form survives in it.
"""

from __future__ import annotations

import re

# Line breaks and other control characters (NEL and the Unicode line separators included).
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
_LEGACY_COMMAND = "##["


def inert_line(text: str) -> str:
    """``text`` as one printable line that cannot start a workflow command."""
    line = _CONTROL.sub(" ", text).replace(_LEGACY_COMMAND, "## [")
    stripped = line.lstrip()
    if stripped.startswith("::"):
        line = line[: len(line) - len(stripped)] + ": :" + stripped[2:]
    return line


def inert_lines(text: str) -> str:
    """Each line of ``text`` made inert, the line breaks kept (a multi-line log message)."""
    return "\n".join(inert_line(line) for line in text.splitlines())
